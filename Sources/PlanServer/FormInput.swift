import Foundation
import Hummingbird
import ICal
import PlanCore

/// Reading the fields of a posted form: every refusal is an `APIError` naming the field in
/// Vietnamese, so the page comes back with the message and what was typed.
enum FormInput {
    /// Trimmed text, nil when empty.
    static func text(_ value: String?) -> String? {
        guard let v = value?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// A whole number, nil when empty.
    static func count(_ value: String?, field: String) throws -> Int? {
        guard let text = text(value) else { return nil }
        // People write thousands with dots or spaces ("1.200").
        let digits = text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: " ", with: "")
        guard let n = Int(digits) else {
            throw APIError(.badRequest, "\(CompletionError.label(field)): \"\(text.prefix(20))\" không phải là một số", field: field)
        }
        return n
    }

    /// A day typed as dd/mm/yyyy (or yyyy-mm-dd), nil when empty; an impossible or swapped
    /// day is refused with a message naming the field.
    static func day(_ value: String?, field: String = "on", label: String) throws -> CivilDate? {
        guard let text = text(value) else { return nil }
        do { return try DayText.parse(text) } catch {
            throw APIError(.badRequest, "\(label): \(error.description)", field: field)
        }
    }

    /// Checkbox and multi-select values: `organisations=a&organisations=b` (or one value with commas).
    static func list(_ values: [String]?) -> [String] {
        (values ?? []).flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    /// The same-day choice of a form (`same-event`, `separate-event`); anything else is no choice.
    static func sameDay(_ value: String?) -> SameDayReach? { value.flatMap(SameDayReach.init(rawValue:)) }

    /// Only ever redirect within this plan's pages: anything else goes to `fallback`.
    static func localPath(_ target: String?, plan: String, fallback: String) -> String {
        let base = "/plans/\(plan)"
        guard let target, target == base || target.hasPrefix(base + "/"), !target.contains("//"), !target.contains("\\"),
              !target.contains("?"), !target.contains("#") else { return fallback }
        return target
    }
}
