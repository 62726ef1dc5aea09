import Foundation

/// A cell of a CSV file plancal writes: text, or a number meant as a number.
///
/// Text that a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return (OWASP's rule for CSV injection) — is written with a leading `'`, so a
/// note such as `=HYPERLINK(…)` stays text. Numbers (`-3`, `14,3%`) are written as they are.
public enum CSVCell: Sendable, Equatable {
    /// Free text: neutralised when it could be read as a formula.
    case text(String)
    /// A number, e.g. `12`, `-3` or `14,3%`: written as it is.
    case number(String)

    /// The characters a spreadsheet reads as the start of a formula.
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// The cell as it goes into the file, quoted where needed.
    public var encoded: String {
        var s: String
        switch self {
        case let .text(t): s = t.first.map { CSVCell.formulaStarts.contains($0) } == true ? "'" + t : t
        case let .number(n): s = n
        }
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            s = "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// A whole file: UTF-8 with a byte-order mark (so spreadsheets keep the diacritics), CRLF.
    public static func document(_ rows: [[CSVCell]]) -> String {
        "\u{FEFF}" + rows.map { $0.map(\.encoded).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
