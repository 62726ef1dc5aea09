internal import CLibical
import Foundation
import Synchronization

/// An RFC 5545 recurrence rule, parsed and expanded by libical.
public struct RecurrenceRule: Sendable, Equatable {
    /// The rule as written, e.g. `FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15`.
    public let text: String
    /// The rule's FREQ, e.g. `YEARLY`.
    public let frequency: String
    /// The names of the parts it gives, upper-cased, e.g. `FREQ`, `BYMONTH`, `BYMONTHDAY`.
    public let partNames: Set<String>

    /// Parses a rule; throws when libical cannot read it.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ICalError.invalidRecurrenceRule(rule: text, reason: "empty rule") }
        guard !trimmed.utf8.contains(0), trimmed.allSatisfy(\.isASCII) else {
            throw ICalError.invalidRecurrenceRule(rule: text, reason: "rules are plain ASCII")
        }
        let names = try RecurrenceRule.checkParts(trimmed)
        plancal_icalerror_clear()
        let rule = icalrecurrencetype_from_string(trimmed)
        guard rule.freq != ICAL_NO_RECURRENCE, plancal_icalerrno() == ICAL_NO_ERROR else {
            throw ICalError.invalidRecurrenceRule(rule: text, reason: "libical cannot parse it (check FREQ and the BY* parts)")
        }
        self.text = trimmed
        self.partNames = names
        self.frequency = String(cString: icalrecur_freq_to_string(rule.freq))
    }

    /// The most dates `dates(from:through:)` returns before it refuses the rule.
    public static let defaultLimit = 10_000

    /// Every date the rule gives from `start` (which counts as the first occurrence
    /// only when it matches the rule) up to and including `end`.
    ///
    /// - Parameter limit: a guard against rules like `FREQ=DAILY` over centuries: a rule
    ///   that gives more dates than this throws rather than being cut short silently.
    public func dates(from start: CivilDate, through end: CivilDate, limit: Int = defaultLimit) throws -> [CivilDate] {
        let out = try iterate(from: start, through: end, stopAfter: limit + 1)
        guard out.count <= limit else { throw ICalError.tooManyOccurrences(rule: text, limit: limit) }
        return out
    }

    /// The rule's first `count` dates (fewer when the rule ends or reaches `end` before), for
    /// counting a rule's dates without expanding more of them than a caller can use.
    public func firstDates(_ count: Int, from start: CivilDate, through end: CivilDate) throws -> [CivilDate] {
        try iterate(from: start, through: end, stopAfter: max(0, count))
    }

    /// The rule's first date from `start` up to `end`, if any.
    public func firstDate(from start: CivilDate, through end: CivilDate) throws -> CivilDate? {
        try iterate(from: start, through: end, stopAfter: 1).first
    }

    /// The numeric parts and what RFC 5545 §3.3.10 allows for each (COUNT: what fits libical's
    /// `int`; INTERVAL: its `short`). libical reads numbers with `atoi`/`strtol` and stores them
    /// in narrower fields, so larger values wrap (`COUNT=4294967297` gives one date,
    /// `INTERVAL=4294967297` acts as 1): they are refused here first.
    static let numericParts: [String: (min: Int, max: Int, signed: Bool)] = [
        "COUNT": (1, Int(Int32.max), false),
        "INTERVAL": (1, Int(Int16.max), false),
        "BYSECOND": (0, 60, false),
        "BYMINUTE": (0, 59, false),
        "BYHOUR": (0, 23, false),
        "BYMONTHDAY": (1, 31, true),
        "BYYEARDAY": (1, 366, true),
        "BYWEEKNO": (1, 53, true),
        "BYMONTH": (1, 12, false),
        "BYSETPOS": (1, 366, true),
    ]
    /// Parts whose value is a list.
    static let listParts: Set<String> = ["BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
                                         "BYWEEKNO", "BYMONTH", "BYSETPOS"]
    static let weekdays: Set<String> = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

    /// Refuses unknown or repeated parts and numbers out of range, naming the part; returns the
    /// names of the parts.
    static func checkParts(_ text: String) throws -> Set<String> {
        var seen: Set<String> = []
        for clause in text.split(separator: ";") {
            let pieces = clause.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pieces[0].uppercased()
            let value = pieces.count > 1 ? String(pieces[1]) : ""
            func fail(_ problem: RulePartProblem) -> ICalError {
                .invalidRulePart(rule: text, part: name, problem: problem)
            }
            guard ["FREQ", "UNTIL", "WKST", "BYDAY"].contains(name) || numericParts[name] != nil else {
                throw fail(.unknown)
            }
            guard seen.insert(name).inserted else { throw fail(.repeated) }
            let values = listParts.contains(name) ? value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [value]
            for v in values {
                if let range = numericParts[name] {
                    if let problem = checkNumber(v, range) { throw fail(problem) }
                } else if name == "WKST", !weekdays.contains(v.uppercased()) {
                    throw fail(.notAWeekday(v))
                } else if name == "BYDAY" {
                    // [+|-][1…53]weekday
                    let day = String(v.suffix(2))
                    guard weekdays.contains(day.uppercased()) else { throw fail(.notAWeekday(v)) }
                    let ordinal = String(v.dropLast(2))
                    if !ordinal.isEmpty, let problem = checkNumber(ordinal, (1, 53, true)) { throw fail(problem) }
                }
            }
        }
        if seen.contains("COUNT") && seen.contains("UNTIL") {
            throw ICalError.invalidRulePart(rule: text, part: "COUNT", problem: .countWithUntil)
        }
        return seen
    }

    /// The problem with one number of a part, if any.
    private static func checkNumber(_ v: String, _ range: (min: Int, max: Int, signed: Bool)) -> RulePartProblem? {
        var digits = Substring(v)
        let negative = digits.hasPrefix("-")
        if negative || digits.hasPrefix("+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .notANumber(v) }
        // More digits than an Int holds is out of range all the same.
        let magnitude = Int(digits) ?? Int.max
        let fits = (range.min...range.max).contains(magnitude) && (!negative || (range.signed && magnitude != 0))
        return fits ? nil : .outOfRange(v, min: range.min, max: range.max, signed: range.signed)
    }

    /// Expansions already made, by rule, start, end and limit: a pure function of them. Wards of
    /// one city copy one plan's rules, and libical (built with ICU) opens ICU calendars for every
    /// iterator, so a country's plans expand the same rules thousands of times otherwise.
    private enum Memo {
        struct Key: Hashable {
            var text: String
            var start: CivilDate
            var end: CivilDate
            var limit: Int
        }
        static let dates = Mutex<[Key: [CivilDate]]>([:])
        static let capacity = 4096
    }

    private func iterate(from start: CivilDate, through end: CivilDate, stopAfter limit: Int) throws -> [CivilDate] {
        let key = Memo.Key(text: text, start: start, end: end, limit: limit)
        if let known = Memo.dates.withLock({ $0[key] }) { return known }
        let out = try expand(from: start, through: end, stopAfter: limit)
        Memo.dates.withLock { dates in
            if dates.count >= Memo.capacity { dates.removeAll(keepingCapacity: true) }
            dates[key] = out
        }
        return out
    }

    private func expand(from start: CivilDate, through end: CivilDate, stopAfter limit: Int) throws -> [CivilDate] {
        var rule = icalrecurrencetype_from_string(text)
        // libical looks for the next matching date with no bound but the year 2582: a rule that
        // never matches (30 February) took 0.75 s DAILY and hours SECONDLY. Dates after `end`
        // are not wanted, so an UNTIL there stops the search (libical checks it as it goes).
        let bound = ICalTime.date(end).raw
        if icaltime_is_null_time(rule.until) != 0 || icaltime_compare(rule.until, bound) > 0 { rule.until = bound }
        guard let iterator = icalrecur_iterator_new(rule, ICalTime.date(start).raw) else {
            throw ICalError.unusableRecurrenceRule(rule: text, start: start.iso)
        }
        defer { icalrecur_iterator_free(iterator) }
        var out: [CivilDate] = []
        while out.count < limit {
            let t = icalrecur_iterator_next(iterator)
            if icaltime_is_null_time(t) != 0 { break }
            guard let d = CivilDate(year: Int(t.year), month: Int(t.month), day: Int(t.day)) else { break }
            if d > end { break }
            out.append(d)
        }
        return out
    }
}
