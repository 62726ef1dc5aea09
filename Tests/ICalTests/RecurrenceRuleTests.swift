import Testing

@testable import ICal

@Suite("ICal: recurrence through libical's iterator")
struct RecurrenceRuleTests {
    func d(_ y: Int, _ m: Int, _ day: Int) -> CivilDate { CivilDate(year: y, month: m, day: day)! }

    @Test("quarter ends need BYMONTH, not INTERVAL=3 (ICAL-NOTES)")
    func quarterEnds() throws {
        let rule = try RecurrenceRule("FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1")
        let dates = try rule.dates(from: d(2025, 3, 31), through: d(2026, 12, 31))
        #expect(dates == [d(2025, 3, 31), d(2025, 6, 30), d(2025, 9, 30), d(2025, 12, 31),
                          d(2026, 3, 31), d(2026, 6, 30), d(2026, 9, 30), d(2026, 12, 31)])
        let interval = try RecurrenceRule("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1")
        #expect(try interval.dates(from: d(2025, 1, 31), through: d(2025, 12, 31)) == [d(2025, 1, 31), d(2025, 4, 30), d(2025, 7, 31), d(2025, 10, 31)])
    }

    @Test("yearly rules, UNTIL and COUNT")
    func yearly() throws {
        let month = try RecurrenceRule("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15")
        #expect(try month.dates(from: d(2025, 11, 15), through: d(2030, 12, 31)).map(\.year) == Array(2025...2030))
        let until = try RecurrenceRule("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25;UNTIL=20291231")
        #expect(try until.dates(from: d(2025, 12, 25), through: d(2030, 12, 31)).last == d(2029, 12, 25))
        let once = try RecurrenceRule("FREQ=YEARLY;COUNT=1")
        #expect(try once.dates(from: d(2030, 12, 25), through: d(2030, 12, 31)) == [d(2030, 12, 25)])
        #expect(month.frequency == "YEARLY")
    }

    @Test("a start that does not match the rule is not returned first (so the loader must check it)")
    func mismatchedStart() throws {
        let rule = try RecurrenceRule("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=14")
        #expect(try rule.dates(from: d(2025, 1, 1), through: d(2026, 12, 31)).first == d(2025, 12, 14))
    }

    @Test("bad rules are refused", arguments: ["", "FREQ=BOGUS", "FREQ=WEEKLY;BYDAY=XX", "FREQ=YEARLY;BYMÔNTH=1"])
    func badRules(text: String) {
        #expect(throws: ICalError.self) { try RecurrenceRule(text) }
    }

    @Test("a rule libical parses but cannot iterate is an error, not an empty list")
    func unusable() throws {
        let rule = try RecurrenceRule("FREQ=YEARLY;BYMONTH=13")
        #expect(throws: ICalError.unusableRecurrenceRule(rule: "FREQ=YEARLY;BYMONTH=13", start: "2025-01-01")) {
            try rule.dates(from: d(2025, 1, 1), through: d(2025, 12, 31))
        }
    }

    @Test("a rule giving more dates than the limit is refused, never cut short")
    func limit() throws {
        let daily = try RecurrenceRule("FREQ=DAILY")
        #expect(throws: ICalError.tooManyOccurrences(rule: "FREQ=DAILY", limit: 100)) {
            try daily.dates(from: d(2025, 1, 1), through: d(2999, 1, 1), limit: 100)
        }
        #expect(try daily.dates(from: d(2025, 1, 1), through: d(2025, 4, 10), limit: 100).count == 100)
        #expect(try daily.firstDate(from: d(2025, 1, 1), through: d(2999, 1, 1)) == d(2025, 1, 1))
    }
}
