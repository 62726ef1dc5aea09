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
        let rule = try RecurrenceRule("FREQ=WEEKLY;BYMONTHDAY=1")
        #expect(throws: ICalError.unusableRecurrenceRule(rule: "FREQ=WEEKLY;BYMONTHDAY=1", start: "2025-01-01")) {
            try rule.dates(from: d(2025, 1, 1), through: d(2025, 12, 31))
        }
    }

    /// libical stores COUNT in an int and INTERVAL in a short: `COUNT=4294967297` gave one date
    /// and `INTERVAL=4294967297` acted as 1. Such values, and BY* values outside RFC 5545's
    /// ranges, are refused before libical reads them, naming the part.
    @Test("numbers that do not fit are refused, naming the part", arguments: [
        ("FREQ=DAILY;COUNT=4294967297", "COUNT", RulePartProblem.outOfRange("4294967297", min: 1, max: 2_147_483_647, signed: false)),
        ("FREQ=DAILY;COUNT=0", "COUNT", .outOfRange("0", min: 1, max: 2_147_483_647, signed: false)),
        ("FREQ=DAILY;COUNT=99999999999999999999999", "COUNT", .outOfRange("99999999999999999999999", min: 1, max: 2_147_483_647, signed: false)),
        ("FREQ=DAILY;INTERVAL=4294967297", "INTERVAL", .outOfRange("4294967297", min: 1, max: 32767, signed: false)),
        ("FREQ=DAILY;INTERVAL=40000", "INTERVAL", .outOfRange("40000", min: 1, max: 32767, signed: false)),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL", .outOfRange("-1", min: 1, max: 32767, signed: false)),
        ("FREQ=DAILY;INTERVAL=x", "INTERVAL", .notANumber("x")),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY", .outOfRange("32", min: 1, max: 31, signed: true)),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY", .outOfRange("0", min: 1, max: 31, signed: true)),
        ("FREQ=MONTHLY;BYMONTHDAY=1,,2", "BYMONTHDAY", .notANumber("")),
        ("FREQ=MONTHLY;BYMONTHDAY=4294967297", "BYMONTHDAY", .outOfRange("4294967297", min: 1, max: 31, signed: true)),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH", .outOfRange("13", min: 1, max: 12, signed: false)),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH", .outOfRange("-1", min: 1, max: 12, signed: false)),
        ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY", .outOfRange("367", min: 1, max: 366, signed: true)),
        ("FREQ=YEARLY;BYWEEKNO=-54", "BYWEEKNO", .outOfRange("-54", min: 1, max: 53, signed: true)),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0", "BYSETPOS", .outOfRange("0", min: 1, max: 366, signed: true)),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=65537", "BYSETPOS", .outOfRange("65537", min: 1, max: 366, signed: true)),
        ("FREQ=MONTHLY;BYDAY=54MO", "BYDAY", .outOfRange("54", min: 1, max: 53, signed: true)),
        ("FREQ=MONTHLY;BYDAY=1XY", "BYDAY", .notAWeekday("1XY")),
        ("FREQ=WEEKLY;WKST=XX", "WKST", .notAWeekday("XX")),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR", .outOfRange("24", min: 0, max: 23, signed: false)),
        ("FREQ=DAILY;COUNT=2;COUNT=3", "COUNT", .repeated),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ", .repeated),
        ("FREQ=DAILY;FOO=1", "FOO", .unknown),
        ("FREQ=DAILY;COUNT=2;UNTIL=20301231", "COUNT", .countWithUntil),
    ])
    func outOfRangeParts(text: String, part: String, problem: RulePartProblem) {
        #expect(throws: ICalError.invalidRulePart(rule: text, part: part, problem: problem)) { try RecurrenceRule(text) }
    }

    @Test("ordinary rules, and the largest values that fit, are still accepted", arguments: [
        "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=+2MO",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=MO",
        "FREQ=YEARLY;BYYEARDAY=-1",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
        "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25;UNTIL=20291231",
        "FREQ=DAILY;COUNT=2147483647",
        "FREQ=DAILY;INTERVAL=32767",
        "FREQ=DAILY;",
    ])
    func acceptedRules(text: String) throws {
        let rule = try RecurrenceRule(text)
        #expect(try rule.firstDate(from: d(2025, 1, 1), through: d(2030, 12, 31)) != nil)
    }

    /// libical searches up to the year 2582 for a date that never comes; the search stops at
    /// the end asked for (an UNTIL there), with the same dates.
    @Test("a rule that never matches gives no date; its own UNTIL still counts")
    func neverMatches() throws {
        let never = try RecurrenceRule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
        #expect(try never.firstDate(from: d(2025, 1, 1), through: d(2074, 12, 31)) == nil)
        let until = try RecurrenceRule("FREQ=DAILY;UNTIL=20250105")
        #expect(try until.dates(from: d(2025, 1, 1), through: d(2025, 1, 3)) == [d(2025, 1, 1), d(2025, 1, 2), d(2025, 1, 3)])
        #expect(try until.dates(from: d(2025, 1, 1), through: d(2025, 12, 31)).last == d(2025, 1, 5))
    }

    @Test("a COUNT that fits is honoured, where libical would have wrapped a larger one")
    func countIsHonoured() throws {
        let rule = try RecurrenceRule("FREQ=DAILY;COUNT=40")
        #expect(try rule.dates(from: d(2025, 1, 1), through: d(2030, 12, 31)).count == 40)
        #expect(try rule.firstDates(5, from: d(2025, 1, 1), through: d(2030, 12, 31)).count == 5)
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
