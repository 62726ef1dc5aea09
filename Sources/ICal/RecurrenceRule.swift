internal import CLibical
import Foundation

/// An RFC 5545 recurrence rule, parsed and expanded by libical.
public struct RecurrenceRule: Sendable, Equatable {
    /// The rule as written, e.g. `FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15`.
    public let text: String
    /// The rule's FREQ, e.g. `YEARLY`.
    public let frequency: String

    /// Parses a rule; throws when libical cannot read it.
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ICalError.invalidRecurrenceRule(rule: text, reason: "empty rule") }
        guard !trimmed.utf8.contains(0), trimmed.allSatisfy(\.isASCII) else {
            throw ICalError.invalidRecurrenceRule(rule: text, reason: "rules are plain ASCII")
        }
        plancal_icalerror_clear()
        let rule = icalrecurrencetype_from_string(trimmed)
        guard rule.freq != ICAL_NO_RECURRENCE, plancal_icalerrno() == ICAL_NO_ERROR else {
            throw ICalError.invalidRecurrenceRule(rule: text, reason: "libical cannot parse it (check FREQ and the BY* parts)")
        }
        self.text = trimmed
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

    /// The rule's first date from `start` up to `end`, if any.
    public func firstDate(from start: CivilDate, through end: CivilDate) throws -> CivilDate? {
        try iterate(from: start, through: end, stopAfter: 1).first
    }

    /// Expansions already made, by rule, start, end and limit: a pure function of them. Wards of
    /// one city copy one plan's rules, and libical (built with ICU) opens ICU calendars for every
    /// iterator, so a country's plans expand the same rules thousands of times otherwise.
    private final class Memo: @unchecked Sendable {
        struct Key: Hashable {
            var text: String
            var start: CivilDate
            var end: CivilDate
            var limit: Int
        }
        let lock = NSLock()
        var dates: [Key: [CivilDate]] = [:]
        static let capacity = 4096
    }
    private static let memo = Memo()

    private func iterate(from start: CivilDate, through end: CivilDate, stopAfter limit: Int) throws -> [CivilDate] {
        let key = Memo.Key(text: text, start: start, end: end, limit: limit)
        let memo = RecurrenceRule.memo
        if let known = memo.lock.withLock({ memo.dates[key] }) { return known }
        let out = try expand(from: start, through: end, stopAfter: limit)
        memo.lock.withLock {
            if memo.dates.count >= Memo.capacity { memo.dates.removeAll(keepingCapacity: true) }
            memo.dates[key] = out
        }
        return out
    }

    private func expand(from start: CivilDate, through end: CivilDate, stopAfter limit: Int) throws -> [CivilDate] {
        let rule = icalrecurrencetype_from_string(text)
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
