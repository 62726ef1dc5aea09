/// Errors raised by the libical wrapper. Each names what was wrong.
public enum ICalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A recurrence rule libical cannot read.
    case invalidRecurrenceRule(rule: String, reason: String)
    /// One part of a rule is wrong in a way libical would not notice (it wraps numbers that do
    /// not fit its fields, e.g. `COUNT=4294967297` becomes 1): checked before libical sees it.
    case invalidRulePart(rule: String, part: String, problem: RulePartProblem)
    /// The rule parsed but libical refuses to iterate it from that start (RFC 5545 forbids the combination).
    case unusableRecurrenceRule(rule: String, start: String)
    /// The rule gives more dates than a plan can sensibly hold.
    case tooManyOccurrences(rule: String, limit: Int)
    /// Text that is not an iCalendar object at all.
    case notICalendar(String)
    /// Text that parsed, but with properties libical flagged as errors (X-LIC-ERROR).
    case parseErrors([String])
    /// libical returned NULL where it should have made an object.
    case allocationFailed(String)
    /// A value that cannot be put into a property (e.g. invalid UTF-8 or a NUL byte).
    case invalidValue(property: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidRecurrenceRule(rule, reason): return "invalid RRULE \"\(rule)\": \(reason)"
        case let .invalidRulePart(rule, part, problem):
            return "invalid RRULE \"\(rule)\": \(part) \(problem)"
        case let .unusableRecurrenceRule(rule, start):
            return "RRULE \"\(rule)\" cannot be expanded from DTSTART \(start) (a combination RFC 5545 forbids)"
        case let .tooManyOccurrences(rule, limit):
            return "RRULE \"\(rule)\" gives more than \(limit) dates in the plan period"
        case let .notICalendar(why): return "not an iCalendar object: \(why)"
        case let .parseErrors(errors): return "iCalendar errors: " + errors.joined(separator: "; ")
        case let .allocationFailed(what): return "libical could not create \(what)"
        case let .invalidValue(property, reason): return "invalid value for \(property): \(reason)"
        }
    }
}

/// What is wrong with one part of a recurrence rule (RFC 5545 §3.3.10).
public enum RulePartProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a part RFC 5545 defines.
    case unknown
    /// The part is given more than once.
    case repeated
    /// A value that is not a whole number.
    case notANumber(String)
    /// A number outside what RFC 5545 (and libical's field) allows: `min...max`, and
    /// `-max...-min` too where `signed`.
    case outOfRange(String, min: Int, max: Int, signed: Bool)
    /// Not one of SU, MO, TU, WE, TH, FR, SA (BYDAY may put an ordinal before it).
    case notAWeekday(String)
    /// COUNT and UNTIL together, which RFC 5545 forbids.
    case countWithUntil

    public var description: String {
        switch self {
        case .unknown: return "is not a rule part of RFC 5545"
        case .repeated: return "is given more than once"
        case let .notANumber(v): return "value \"\(v)\" is not a whole number"
        case let .outOfRange(v, min, max, signed):
            return "value \(v) is outside \(min)...\(max)" + (signed ? " and -\(max)...-\(min)" : "")
        case let .notAWeekday(v): return "value \"\(v)\" is not a weekday (SU, MO, TU, WE, TH, FR, SA)"
        case .countWithUntil: return "cannot be used with UNTIL"
        }
    }
}
