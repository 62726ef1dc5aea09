import Foundation

/// A second look at a JSON text `JSONSerialization` has accepted, for what it does not say:
/// a key given twice in one object (it keeps one of the values silently), and how each number
/// was written (it keeps only the value: `1e19` and `10000000000000000000` look the same).
struct JSONScan {
    /// A number as written, with the keys leading to it (`["values", "victims-detected"]`).
    struct Number: Equatable {
        var path: [String]
        var text: String
    }

    /// The first key found twice in one object, with the keys leading to its object.
    private(set) var duplicate: (path: [String], key: String)?
    /// Every number of the text, in order.
    private(set) var numbers: [Number] = []

    private let bytes: [UInt8]
    private var i = 0

    /// Scans `data`, which must be JSON already accepted by `JSONSerialization` (anything
    /// else stops the scan where it stops making sense, finding less).
    init(_ data: Data) {
        bytes = [UInt8](data)
        skipSpace()
        value(path: [], depth: 0)
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func value(path: [String], depth: Int) {
        guard i < bytes.count, depth < 1000 else { return }
        switch bytes[i] {
        case UInt8(ascii: "{"): object(path: path, depth: depth)
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            while i < bytes.count {
                skipSpace()
                value(path: path, depth: depth + 1)
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { break }
                i += 1
            }
            if i < bytes.count { i += 1 }
        case UInt8(ascii: "\""): _ = string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            while i < bytes.count, Self.numberBytes.contains(bytes[i]) { i += 1 }
            numbers.append(Number(path: path, text: String(decoding: bytes[start..<i], as: UTF8.self)))
        default:
            // true, false, null
            while i < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[i]) { i += 1 }
        }
    }

    private static let numberBytes = Set("0123456789+-.eE".utf8)

    private mutating func object(path: [String], depth: Int) {
        i += 1
        var seen: Set<String> = []
        while i < bytes.count {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { break }
            let key = string()
            if !seen.insert(key).inserted, duplicate == nil { duplicate = (path, key) }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return }
            i += 1
            skipSpace()
            value(path: path + [key], depth: depth + 1)
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { break }
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1 }
    }

    /// A string's text, escapes decoded (`"\u0061"` and `"a"` are the same key).
    private mutating func string() -> String {
        i += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        var pendingHigh: UInt32?
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else {
                raw.append(bytes[i])
                i += 1
                continue
            }
            flush()
            let e = bytes[i + 1]
            i += 2
            var code: UInt32
            switch e {
            case UInt8(ascii: "u"):
                guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                    return String(scalars)
                }
                i += 4
                code = v
            case UInt8(ascii: "b"): code = 0x08
            case UInt8(ascii: "f"): code = 0x0C
            case UInt8(ascii: "n"): code = 0x0A
            case UInt8(ascii: "r"): code = 0x0D
            case UInt8(ascii: "t"): code = 0x09
            default: code = UInt32(e)
            }
            if (0xD800...0xDBFF).contains(code) {
                pendingHigh = code
                continue
            }
            if let high = pendingHigh, (0xDC00...0xDFFF).contains(code) {
                code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
            }
            pendingHigh = nil
            scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
        }
        flush()
        i += 1
        return String(scalars)
    }
}
