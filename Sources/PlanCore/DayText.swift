public import ICal
import Foundation

/// A day typed by a person: `dd/mm/yyyy` (one-digit day or month allowed), or `yyyy-mm-dd`,
/// which cannot be read the wrong way round. Anything else, an impossible day or a day typed
/// month first, is refused with a Vietnamese message that says what is wrong, so a day can
/// never be stored swapped whatever the browser's or the terminal's locale.
public enum DayText {
    /// Why a typed day was refused.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The message, in Vietnamese.
        public let description: String
    }

    /// Reads a typed day.
    public static func parse(_ raw: String) throws(Problem) -> CivilDate {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if let d = CivilDate(parsing: text) { return d }
        let shown = "\"\(text.prefix(40))\""
        let slash = text.split(separator: "/", omittingEmptySubsequences: false)
        guard slash.count == 3, let a = Int(slash[0]), let b = Int(slash[1]), let y = Int(slash[2]),
              slash.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) }) else {
            throw Problem(description: "\(shown) không phải là ngày; hãy viết ngày/tháng/năm, ví dụ 05/11/2026")
        }
        guard slash[2].count == 4 else {
            throw Problem(description: "\(shown): năm cần đủ 4 chữ số, ví dụ \(String(format: "%02d/%02d/20%02d", a, b, y % 100))")
        }
        if b > 12, (1...12).contains(a), let swapped = CivilDate(year: y, month: a, day: b) {
            // Typed month first, as an en-US date picker writes it.
            throw Problem(description: "\(shown) không đúng thứ tự ngày/tháng/năm (không có tháng \(b)); có phải ngày \(swapped.vietnamese)?")
        }
        guard (1...12).contains(b) else {
            throw Problem(description: "\(shown): không có tháng \(b) (tháng từ 1 đến 12); hãy viết ngày/tháng/năm")
        }
        let days = CivilDate.daysIn(month: b, year: y)
        throw Problem(description: "\(shown): không có ngày \(a) tháng \(b) năm \(y) (tháng \(b)/\(y) có \(days) ngày)")
    }
}
