import Foundation
import Testing

@testable import ICal

@Suite("ICal: serialisation through libical")
struct ICalComponentTests {
    /// Every physical line of a serialised calendar.
    func lines(_ text: String) -> [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring(String(decoding: $0, as: UTF8.self)) }
    }

    func event(description: String) throws -> String {
        let cal = try ICalComponent(.calendar)
        try cal.add([.productID("-//test//EN"), .version("2.0")])
        let e = try ICalComponent(.event)
        try e.add([.uid("x@test"), .stamp(UTCDateTime(secondsSinceEpoch: 0)), .start(.date(CivilDate(year: 2026, month: 11, day: 15)!)),
                   .description(description)])
        cal.add(e)
        return cal.serialize()
    }

    @Test("lines are CRLF, at most 75 octets, and never split a UTF-8 sequence")
    func folding() throws {
        let vietnamese = String(repeating: "Tháng hành động vì bình đẳng giới và phòng ngừa, ứng phó với bạo lực trên cơ sở giới. ", count: 6) + "hết."
        let text = try event(description: vietnamese)
        let bytes = Array(text.utf8)
        // No bare LF or CR anywhere.
        for (i, b) in bytes.enumerated() where b == 0x0A { #expect(i > 0 && bytes[i - 1] == 0x0D) }
        for (i, b) in bytes.enumerated() where b == 0x0D { #expect(i + 1 < bytes.count && bytes[i + 1] == 0x0A) }
        for line in text.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 75, "line too long: \(line)")
            // Decoding each physical line on its own must succeed: no sequence is split by a fold.
            #expect(String(validatingUTF8: line) != nil || String(data: Data(line.utf8), encoding: .utf8) != nil)
        }
        // Unfolding gives the text back.
        let parsed = try ICalComponent(parsing: text)
        #expect(parsed.children(.event).first?.value(of: "DESCRIPTION") == vietnamese)
        #expect(parsed.errors.isEmpty)
    }

    @Test("libical's 73-byte CR split is repaired, for every length around it", arguments: 60...230)
    func crSplitRepaired(length: Int) throws {
        // A long URL-like value with no ';', ':' or space is what triggers the defect.
        let value = "https://bachdang.example/" + String(repeating: "x", count: length)
        let text = try event(description: value)
        #expect(!text.contains("\r\r"))
        #expect(!text.utf8.contains(where: { $0 == 0x0A }) || !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75) }
        // No empty continuation line (a fold after the last character).
        #expect(!text.contains("\r\n \r\n"))
        let parsed = try ICalComponent(parsing: text)
        #expect(parsed.children(.event).first?.value(of: "DESCRIPTION") == value)
    }

    @Test("the repair turns the defect's exact bytes into a line end")
    func repairBytes() {
        #expect(ICalComponent.repairFolding("A:xyz\r\r\n \nB:1\r\n") == "A:xyz\r\nB:1\r\n")
        #expect(ICalComponent.repairFolding("A:ok\r\n b\r\n") == "A:ok\r\n b\r\n")
        #expect(ICalComponent.repairFolding("A:xyz\r\n \r\nB:1\r\n") == "A:xyz\r\nB:1\r\n")
        // A continuation holding a space of the value stays.
        #expect(ICalComponent.repairFolding("A:xyz\r\n  \r\nB:1\r\n") == "A:xyz\r\n  \r\nB:1\r\n")
    }

    @Test("all-day dates, UTC stamps and zoned times come out as RFC 5545 wants")
    func valueForms() throws {
        let e = try ICalComponent(.event)
        try e.add([
            .start(.date(CivilDate(year: 2026, month: 12, day: 14)!)),
            .end(.local(CivilDate(year: 2027, month: 3, day: 18)!, hour: 11, minute: 30, tzid: "Asia/Ho_Chi_Minh")),
            .stamp(UTCDateTime(secondsSinceEpoch: 1_795_910_400)),
            .trigger(seconds: -(6 * 86_400 + 16 * 3600)),
            .refreshInterval(seconds: 43_200),
            .extended(name: "X-WR-CALNAME", text: "Công an phường, Bạch Đằng; năm"),
        ])
        let text = e.serialize()
        #expect(text.contains("DTSTART;VALUE=DATE:20261214\r\n"))
        #expect(text.contains("DTEND;TZID=Asia/Ho_Chi_Minh:20270318T113000\r\n"))
        #expect(text.contains("DTSTAMP:20261129T000000Z\r\n"))
        #expect(text.contains("TRIGGER:-P6DT16H\r\n"))
        #expect(text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n"))
        // X- values carry no VALUE=TEXT parameter; libical leaves commas and semicolons plain.
        #expect(text.contains("X-WR-CALNAME:Công an phường, Bạch Đằng; năm\r\n"))
    }

    @Test("the Asia/Ho_Chi_Minh VTIMEZONE has one +07:00 STANDARD observance")
    func timeZone() throws {
        let tz = try ICalComponent.fixedOffsetTimeZone(tzid: "Asia/Ho_Chi_Minh", offsetSeconds: 25_200, abbreviation: "+07")
        let text = tz.serialize()
        #expect(text.hasPrefix("BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n"))
        #expect(text.contains("BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0700\r\nTZOFFSETTO:+0700\r\nTZNAME:+07\r\nEND:STANDARD"))
        #expect(!text.contains("freeassociation"))
    }

    @Test("empty text and NUL bytes are refused before they reach libical")
    func badValues() throws {
        let e = try ICalComponent(.event)
        #expect(throws: ICalError.invalidValue(property: "summary", reason: "empty value")) { try e.add(.summary("")) }
        #expect(throws: ICalError.invalidValue(property: "summary", reason: "NUL byte")) { try e.add(.summary("a\u{0}b")) }
    }

    @Test("parsing reports what libical could not read")
    func parseErrors() throws {
        #expect(throws: ICalError.self) { try ICalComponent(parsing: "garbage") }
        let broken = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let parsed = try ICalComponent(parsing: broken)
        #expect(parsed.errors.count == 1)
        let good = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261115\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let ok = try ICalComponent(parsing: good)
        #expect(ok.errors.isEmpty)
        let start = ok.children(.event).first?.properties(named: "DTSTART").first
        #expect(start?.value == "20261115")
        #expect(start?.parameters["VALUE"] == "DATE")
    }
}
