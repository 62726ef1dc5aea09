import Foundation
import ICal
import Yams

/// A YAML mapping being read field by field, for errors that name the file, the
/// line and the field path. Keys not read are reported as unknown (a typo in a
/// field name must not pass silently).
struct YAMLMap {
    let file: String
    let path: String
    let line: Int?
    // Keys, values and key lines side by side, and which keys were read (a plan has thousands of
    // small maps: tuples of a Node and a Set of keys per map were a third of reading them).
    private let keys: [String]
    private let values: [Node]
    private let lines: [Int?]
    private var used: [Bool]

    init(_ node: Node, file: String, path: String) throws {
        self.file = file
        self.path = path
        self.line = node.mark?.line
        guard case let .mapping(mapping) = node else {
            throw PlanError(file: file, line: node.mark?.line, field: path.isEmpty ? nil : path,
                            "cần một bảng các trường (khóa: giá trị), nhưng gặp \(YAMLMap.describe(node))")
        }
        var keys: [String] = []
        var values: [Node] = []
        var lines: [Int?] = []
        // Small maps (nearly all) look for a repeated key by comparing; a large one by hashing.
        var seen: Set<String>? = mapping.count > 32 ? [] : nil
        keys.reserveCapacity(mapping.count)
        values.reserveCapacity(mapping.count)
        lines.reserveCapacity(mapping.count)
        for (k, v) in mapping {
            guard let key = k.string else {
                throw PlanError(file: file, line: k.mark?.line, field: path, "khóa phải là một đoạn chữ")
            }
            guard seen.map({ !$0.contains(key) }) ?? !keys.contains(key) else {
                throw PlanError(file: file, line: k.mark?.line, field: YAMLMap.join(path, key), "khóa bị lặp")
            }
            seen?.insert(key)
            keys.append(key)
            values.append(v)
            lines.append(k.mark?.line)
        }
        self.keys = keys
        self.values = values
        self.lines = lines
        used = Array(repeating: false, count: keys.count)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "giá trị rỗng" : "\"\(s.string.prefix(40))\""
        case .mapping: return "một bảng (mapping)"
        case .sequence: return "một danh sách"
        case .alias: return "một bí danh (alias)"
        }
    }

    /// Where a key's value is (its line, else the map's) and its field path.
    func location(_ key: String) -> (line: Int?, field: String) {
        guard let i = keys.firstIndex(of: key) else { return (line, YAMLMap.join(path, key)) }
        return (values[i].mark?.line ?? lines[i] ?? line, YAMLMap.join(path, key))
    }

    func error(_ key: String, _ message: String) -> PlanError {
        let at = location(key)
        return PlanError(file: file, line: at.line, field: at.field, message)
    }

    func missing(_ key: String) -> PlanError {
        PlanError(file: file, line: line, field: YAMLMap.join(path, key), "thiếu trường bắt buộc")
    }

    mutating func node(_ key: String) -> Node? {
        guard let i = keys.firstIndex(of: key) else { return nil }
        used[i] = true
        if case let .scalar(s) = values[i], s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return nil }
        return values[i]
    }

    func has(_ key: String) -> Bool { keys.contains(key) }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let n = node(key) else { return nil }
        guard case let .scalar(s) = n else { throw error(key, "cần một đoạn chữ, nhưng gặp \(YAMLMap.describe(n))") }
        let v = s.string.trimmedOfWhitespace
        return v.isEmpty ? nil : v
    }

    mutating func string(_ key: String) throws -> String {
        guard has(key) else { throw missing(key) }
        guard let v = try optionalString(key) else { throw error(key, "không được để trống") }
        return v
    }

    mutating func optionalInt(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = try optionalString(key) else { return nil }
        guard let i = Int(v) else { throw error(key, "cần một số nguyên, nhưng gặp \"\(v)\"") }
        guard range.contains(i) else {
            throw error(key, "\(i) nằm ngoài khoảng cho phép (\(range.lowerBound)…\(range.upperBound))")
        }
        return i
    }

    mutating func date(_ key: String) throws -> CivilDate {
        guard has(key) else { throw missing(key) }
        guard let d = try optionalDate(key) else { throw error(key, "không được để trống") }
        return d
    }

    mutating func optionalDate(_ key: String) throws -> CivilDate? {
        guard let v = try optionalString(key) else { return nil }
        guard let d = CivilDate(parsing: v) else {
            throw error(key, "\"\(v)\" không phải là ngày hợp lệ (cần yyyy-mm-dd, ví dụ 2026-12-14)")
        }
        return d
    }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let v = try optionalString(key) else { return value }
        switch v.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw error(key, "cần true hoặc false, nhưng gặp \"\(v)\"")
        }
    }

    /// A list of texts; a single text is accepted as a one-item list.
    mutating func strings(_ key: String) throws -> [String] {
        guard let n = node(key) else { return [] }
        switch n {
        case .scalar(let s): return s.string.isEmpty ? [] : [s.string]
        case .sequence(let seq):
            return try seq.map { item in
                guard case let .scalar(s) = item, !s.string.isEmpty else {
                    throw error(key, "cần một danh sách các đoạn chữ, nhưng gặp \(YAMLMap.describe(item))")
                }
                return s.string
            }
        default: throw error(key, "cần một danh sách, nhưng gặp \(YAMLMap.describe(n))")
        }
    }

    /// A list of mappings.
    mutating func maps(_ key: String) throws -> [YAMLMap] {
        guard let n = node(key) else { return [] }
        guard case let .sequence(seq) = n else { throw error(key, "cần một danh sách, nhưng gặp \(YAMLMap.describe(n))") }
        return try seq.enumerated().map { i, item in
            try YAMLMap(item, file: file, path: "\(YAMLMap.join(path, key))[\(i)]")
        }
    }

    mutating func map(_ key: String) throws -> YAMLMap {
        guard let n = node(key) else { throw missing(key) }
        return try YAMLMap(n, file: file, path: YAMLMap.join(path, key))
    }

    /// Fails on any key that was never read.
    func rejectUnknown(allowed: [String]) throws {
        for (i, key) in keys.enumerated() where !used[i] && !allowed.contains(key) {
            throw PlanError(file: file, line: lines[i], field: YAMLMap.join(path, key),
                            "trường không xác định (các trường hợp lệ ở đây: \(allowed.sorted().joined(separator: ", ")))")
        }
    }
}
