public import Foundation
public import ICal
public import PlanCore

/// A request body or field the API refuses (answered 400): what is wrong, in Vietnamese, and
/// the field at fault.
public struct APIBodyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let field: String?

    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// `POST /api/<plan>/completions`.
public struct DoneBody: Decodable, Sendable {
    public var occurrence: String?
    public var unit: String?
    public var on: String?
    public var evidence: String?
    public var note: String?
    public var reached: Int?
    public var participants: Int?
    /// Unit ids of the organisations a meeting held for the item informed (`counts: [organisations]`).
    public var organisations: [String]?
    /// `same-event` or `separate-event`, when the unit already has a record of the day counting
    /// residents reached (otherwise the API answers 409 asking which).
    public var sameDayReach: String?
    public var correct: Bool?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case occurrence, unit, on, evidence, note, reached, participants, organisations, sameDayReach, correct
    }

    /// The completion's details, the day checked.
    public func details() throws -> CompletionService.Details {
        CompletionService.Details(doneOn: try APIBody.date(on, field: "on"), evidenceURL: evidence, note: note,
                                  reached: reached, participants: participants, organisations: organisations ?? [],
                                  sameDayReach: try sameDayReach.map { text in
                                      guard let choice = SameDayReach(rawValue: text) else {
                                          throw APIBodyError("Trường \"sameDayReach\" cần same-event hoặc separate-event", field: "sameDayReach")
                                      }
                                      return choice
                                  })
    }
}

/// `POST /api/<plan>/figures`: a target's figures for a year, by their ids in the plan file.
public struct FigureBody: Decodable, Sendable {
    public var target: String?
    public var unit: String?
    public var year: Int?
    public var values: [String: Double]?
    public var evidence: String?
    public var note: String?

    public enum CodingKeys: String, CodingKey, CaseIterable { case target, unit, year, values, evidence, note }
}

/// `POST /api/<plan>/baselines`: an indicator's baseline, recorded by the lead unit.
public struct BaselineBody: Decodable, Sendable {
    public var target: String?
    public var indicator: String?
    public var year: Int?
    public var value: Double?
    public var evidence: String?
    public var note: String?

    public enum CodingKeys: String, CodingKey, CaseIterable { case target, indicator, year, value, evidence, note }
}

/// `POST /api/<plan>/undo`.
public struct UndoBody: Decodable, Sendable {
    public var occurrence: String?
    public var unit: String?
    /// Instead of occurrence and unit: the id of an ad hoc record to withdraw.
    public var record: Int64?
    public var reason: String?

    public enum CodingKeys: String, CodingKey, CaseIterable { case occurrence, unit, record, reason }
}

/// Reading the API's JSON bodies: pure functions, no HTTP, so a fuzzer can drive them.
public enum APIBody {
    /// Decodes a JSON object body; a field it does not have (a mistyped one, say "evidance")
    /// is an error rather than evidence silently dropped.
    public static func decode<T: Decodable, Keys: CodingKey & CaseIterable>(_ type: T.Type, keys: Keys.Type,
                                                                             _ data: Data) throws -> T {
        let allowed = Set(Keys.allCases.map(\.stringValue))
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            throw APIBodyError("Nội dung không phải là JSON hợp lệ")
        }
        guard let fields = object as? [String: Any] else {
            throw APIBodyError("Nội dung phải là một đối tượng JSON {\"trường\": giá trị, …}")
        }
        // Counts and record ids are whole numbers within Int (JSONDecoder's own error for 5.7
        // names no field).
        for key in ["reached", "participants", "record"] {
            guard let n = fields[key] as? NSNumber else { continue }
            let d = n.doubleValue
            if d.rounded() != d || abs(d) >= 9.2e18 {
                throw APIBodyError("Trường \"\(key.prefix(40))\" phải là một số nguyên", field: String(key.prefix(40)))
            }
        }
        try checkWritten(JSONScan(data))
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIBodyError("Không có trường \"\(unknown.prefix(40))\"; các trường: \(allowed.sorted().joined(separator: ", "))",
                               field: String(unknown.prefix(40)))
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch let DecodingError.typeMismatch(_, ctx) {
            throw APIBodyError("Trường \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" sai kiểu dữ liệu",
                               field: ctx.codingPath.first?.stringValue)
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            // e.g. 5.7 or 1e30 for a count: a number, but not a whole one that fits.
            throw APIBodyError("Trường \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" phải là một số nguyên",
                               field: ctx.codingPath.first?.stringValue)
        } catch {
            throw APIBodyError("Nội dung không phải là JSON hợp lệ")
        }
    }

    /// What `JSONSerialization` lets through and a body must not have: a key twice in one
    /// object (one of the values would be dropped silently), a number with an exponent (`1e19`
    /// for a count), a number too large to be one.
    static func checkWritten(_ scan: JSONScan) throws {
        if let (path, key) = scan.duplicate {
            let name = (path + [key]).joined(separator: ".").prefix(60)
            throw APIBodyError("Trường \"\(name)\" xuất hiện hai lần trong nội dung; mỗi trường chỉ được ghi một lần",
                               field: String(key.prefix(40)))
        }
        for n in scan.numbers {
            let name = n.path.joined(separator: ".").prefix(60), field = n.path.last.map { String($0.prefix(40)) }
            if n.text.contains(where: { $0 == "e" || $0 == "E" }) {
                throw APIBodyError("Trường \"\(name)\" = \(n.text.prefix(30)): cần một số viết đầy đủ, không dùng số mũ (e)",
                                   field: field)
            }
            guard let d = Double(n.text), d.isFinite else {
                throw APIBodyError("Trường \"\(name)\" = \(n.text.prefix(30))…: số quá lớn", field: field)
            }
        }
    }

    /// A field that must be present and not blank.
    public static func required(_ value: String?, _ field: String) throws -> String {
        guard let v = value?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
            throw APIBodyError("Thiếu trường bắt buộc \"\(field)\"", field: field)
        }
        return v
    }

    /// An optional day, `dd/mm/yyyy` or `yyyy-mm-dd`.
    public static func date(_ text: String?, field: String) throws -> CivilDate? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = CivilDate(parsing: text) else {
            throw APIBodyError("\"\(text.prefix(40))\" không phải là ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)", field: field)
        }
        return d
    }
}
