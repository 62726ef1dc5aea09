/// An id a plan file gives or the schedule makes, whose type owns its format: `init?(rawValue:)`
/// accepts only a well-formed one, so a value of the type is never a string of the wrong shape.
/// Interpolated, it prints its raw value; encoded, it is that string.
public protocol PlanIdentifier: RawRepresentable<String>, Hashable, Sendable, Comparable, Codable,
    CustomStringConvertible {
    /// True for a string of the id's format.
    static func isWellFormed(_ text: String) -> Bool
    /// An id already known to be well-formed.
    init(wellFormed: String)
}

extension PlanIdentifier {
    /// The id, when `rawValue` has the format.
    public init?(rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.init(wellFormed: rawValue)
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String { rawValue }
}

extension PlanIdentifier {
    /// An id read back from a store: `StorageError.corrupt` naming `column` when the stored
    /// text is not of the id's form (plancal writes only checked ids).
    public init(stored text: String, column: String) throws {
        guard let id = Self(rawValue: text) else {
            throw StorageError.corrupt("\(column) = \"\(text)\" không phải là mã hợp lệ")
        }
        self = id
    }
}

/// A literal id (in tests, and the names plancal itself gives, like `session`), checked: a
/// malformed literal is a programming error and stops at once.
extension PlanIdentifier {
    public init(stringLiteral value: String) {
        precondition(Self.isWellFormed(value), "malformed \(Self.self) literal \"\(value)\"")
        self.init(wellFormed: value)
    }
}

/// A unit's id (and the format of a plan's, an obligation's and a session's):
/// `[a-z0-9][a-z0-9-]{0,62}`, e.g. `vhxh`, `cong-an`. The loader checks a plan's ids with it and
/// the server every plan, unit and feed name of a request.
public struct UnitID: PlanIdentifier, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(wellFormed: String) { rawValue = wellFormed }

    /// A byte loop: a regular expression per request cost more than the rest of a cached
    /// feed's answer.
    public static func isWellFormed(_ text: String) -> Bool { isWellFormed(Substring(text)) }

    /// The same check of a part of a longer text.
    public static func isWellFormed(_ text: Substring) -> Bool {
        let utf8 = text.utf8
        guard (1...63).contains(utf8.count) else { return false }
        for (i, b) in utf8.enumerated() {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "-") where i > 0: continue
            default: return false
            }
        }
        return true
    }
}

/// A target's id: `G<goal>.T<number>`, e.g. `G6.T3`.
public struct TargetID: PlanIdentifier, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(wellFormed: String) { rawValue = wellFormed }

    /// `G[0-9]{1,2}\.T[0-9]{1,2}`, compared byte by byte: a `Regex` literal is parsed again each
    /// time it is evaluated, and the loader asks this for every target an obligation names.
    public static func isWellFormed(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        func numbered(_ part: Substring.UTF8View, _ letter: Character) -> Bool {
            guard (2...3).contains(part.count), part.first == letter.asciiValue else { return false }
            return part.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        return parts.count == 2 && numbered(parts[0], "G") && numbered(parts[1], "T")
    }

    /// The target's number within its goal, as written: `3` for `G6.T3`.
    public var number: Substring { rawValue[rawValue.index(after: rawValue.lastIndex(of: "T")!)...] }
}

/// An occurrence's id, made by the schedule: `<obligation>/<period>` with the period a year,
/// quarter, month or day (`2026`, `2026-Q4`, `2026-11`, `2026-11-20`), then `/<unit>` for an
/// obligation each unit does (`for_each`); a session's is `session/<session>`.
public struct OccurrenceID: PlanIdentifier, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(wellFormed: String) { rawValue = wellFormed }

    /// Byte comparisons, as for `UnitID`: every stored record's id is checked as it is read.
    public static func isWellFormed(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), UnitID.isWellFormed(Substring(parts[0])) else { return false }
        if parts[0].elementsEqual("session".utf8) { return parts.count == 2 && UnitID.isWellFormed(Substring(parts[1])) }
        guard isPeriod(parts[1]) else { return false }
        return parts.count == 2 || UnitID.isWellFormed(Substring(parts[2]))
    }

    /// `yyyy`, `yyyy-Qn` (n 1–4), `yyyy-mm` or `yyyy-mm-dd`.
    static func isPeriod(_ p: Substring.UTF8View) -> Bool {
        let b = Array(p)
        func digits(_ r: Range<Int>) -> Bool { b[r].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
        switch b.count {
        case 4: return digits(0..<4)
        case 7 where b[5] == UInt8(ascii: "Q"):
            return digits(0..<4) && b[4] == UInt8(ascii: "-") && (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(b[6])
        case 7: return digits(0..<4) && b[4] == UInt8(ascii: "-") && digits(5..<7)
        case 10: return digits(0..<4) && b[4] == UInt8(ascii: "-") && digits(5..<7) && b[7] == UInt8(ascii: "-") && digits(8..<10)
        default: return false
        }
    }

    /// The period part, e.g. `2026` or `2026-Q4` (a session's: its id).
    public var period: Substring {
        guard let slash = rawValue.firstIndex(of: "/") else { return rawValue[...] }
        return rawValue[rawValue.index(after: slash)...].prefix { $0 != "/" }
    }

    /// The obligation's (or `session`) part.
    public var obligation: String { String(rawValue.prefix { $0 != "/" }) }
}
