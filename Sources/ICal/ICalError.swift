/// Errors raised by the libical wrapper. Each names what was wrong.
public enum ICalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A recurrence rule libical cannot read.
    case invalidRecurrenceRule(rule: String, reason: String)
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
