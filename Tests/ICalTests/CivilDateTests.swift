import Foundation
import Testing

@testable import ICal

@Suite("CivilDate")
struct CivilDateTests {
    @Test("parses ISO and Vietnamese forms, refuses impossible days")
    func parsing() {
        #expect(CivilDate(parsing: "2026-12-14") == CivilDate(year: 2026, month: 12, day: 14))
        #expect(CivilDate(parsing: "14/12/2026") == CivilDate(year: 2026, month: 12, day: 14))
        #expect(CivilDate(parsing: "7/5/2026") == CivilDate(year: 2026, month: 5, day: 7))
        #expect(CivilDate(parsing: "2026-02-30") == nil)
        #expect(CivilDate(parsing: "31/02/2026") == nil)
        #expect(CivilDate(parsing: "2028-02-29") != nil)
        #expect(CivilDate(parsing: "2027-02-29") == nil)
        #expect(CivilDate(parsing: "26-12-14") == nil)
        #expect(CivilDate(parsing: "14/12/26") == nil)
        #expect(CivilDate(parsing: "") == nil)
        #expect(CivilDate(parsing: "２０２６-12-14") == nil)
    }

    @Test("reads iCalendar basic dates and UTC date-times, refuses the rest")
    func basic() {
        #expect(CivilDate(basic: "20261214") == CivilDate(year: 2026, month: 12, day: 14))
        #expect(CivilDate(basic: "20261214T030000Z") == CivilDate(year: 2026, month: 12, day: 14))
        #expect(CivilDate(basic: "20260230") == nil)
        #expect(CivilDate(basic: "2026121") == nil)
        #expect(CivilDate(basic: "2026-12-14") == nil)
        #expect(CivilDate(basic: "２０２６1214") == nil)
        let d = CivilDate(year: 2026, month: 12, day: 1)!
        #expect(UTCDateTime(basic: "20261201T000000Z") == UTCDateTime(startOf: d))
        #expect(UTCDateTime(basic: "20261201T235960Z")?.secondsSinceEpoch == UTCDateTime(startOf: d).secondsSinceEpoch + 86_400)
        #expect(UTCDateTime(basic: "20261201T030405Z")?.iso == "2026-12-01T03:04:05Z")
        for bad in ["20261201T030405", "20261201", "20261201T240000Z", "20261201T036000Z", "20261201T0304Z",
                    "20261201X030405Z", "20261201T03040aZ", "20261301T030405Z", ""] {
            #expect(UTCDateTime(basic: bad) == nil, "\(bad)")
        }
    }

    @Test("day arithmetic round-trips across years and leap days")
    func arithmetic() {
        let d = CivilDate(year: 2028, month: 2, day: 28)!
        #expect(d.adding(days: 1) == CivilDate(year: 2028, month: 2, day: 29))
        #expect(d.adding(days: 2) == CivilDate(year: 2028, month: 3, day: 1))
        #expect(CivilDate(year: 2026, month: 12, day: 15)!.adding(days: 1) == CivilDate(year: 2026, month: 12, day: 16))
        #expect(CivilDate(year: 1970, month: 1, day: 1)!.daysSinceEpoch == 0)
        for offset in stride(from: -800_000, through: 800_000, by: 7919) {
            #expect(CivilDate(daysSinceEpoch: offset).daysSinceEpoch == offset)
        }
        #expect(CivilDate(year: 2026, month: 11, day: 15)!.vietnamese == "15/11/2026")
        #expect(CivilDate(year: 2026, month: 11, day: 15)!.quarter == 4)
    }

    @Test("the local date at an instant honours the offset")
    func local() {
        // 2026-11-28T17:30Z is already 29/11 in Hà Nội / Hải Phòng (+07:00).
        let instant = Date(timeIntervalSince1970: 1_795_887_000)
        #expect(CivilDate(instant: instant, utcOffsetSeconds: 25_200) == CivilDate(year: 2026, month: 11, day: 29))
        #expect(CivilDate(instant: instant, utcOffsetSeconds: 0) == CivilDate(year: 2026, month: 11, day: 28))
        #expect(UTCDateTime(secondsSinceEpoch: 1_795_887_000).iso == "2026-11-28T17:30:00Z")
    }
}
