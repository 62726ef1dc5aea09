internal import CLibical
import Foundation

/// A date or a date-time as a property value: all-day items use `.date`, timed
/// ones a wall-clock time in a named zone (which needs its VTIMEZONE in the
/// calendar), instants use `.utc`.
public enum ICalTime: Sendable, Equatable {
    case date(CivilDate)
    /// A wall-clock time; `tzid` nil only inside a VTIMEZONE observance, where RFC 5545 wants it floating.
    case local(CivilDate, hour: Int, minute: Int, tzid: String?)
    case utc(UTCDateTime)

    var raw: icaltimetype {
        var t = icaltime_null_time()
        switch self {
        case let .date(d):
            t.year = Int32(d.year); t.month = Int32(d.month); t.day = Int32(d.day)
            t.is_date = 1
        case let .local(d, hour, minute, _):
            t.year = Int32(d.year); t.month = Int32(d.month); t.day = Int32(d.day)
            t.hour = Int32(hour); t.minute = Int32(minute)
        case let .utc(u):
            let p = u.parts
            t.year = Int32(p.date.year); t.month = Int32(p.date.month); t.day = Int32(p.date.day)
            t.hour = Int32(p.hour); t.minute = Int32(p.minute); t.second = Int32(p.second)
            t.zone = icaltimezone_get_utc_timezone()
        }
        return t
    }

    var tzid: String? {
        if case let .local(_, _, _, tzid) = self { return tzid }
        return nil
    }
}

/// Status values plancal uses (RFC 5545 §3.8.1.11).
public enum ICalStatus: Sendable {
    case confirmed, needsAction, completed, cancelled

    var raw: icalproperty_status {
        switch self {
        case .confirmed: return ICAL_STATUS_CONFIRMED
        case .needsAction: return ICAL_STATUS_NEEDSACTION
        case .completed: return ICAL_STATUS_COMPLETED
        case .cancelled: return ICAL_STATUS_CANCELLED
        }
    }
}

/// A property to add to a component. Each case is built with libical's typed
/// constructor, so escaping, value types and folding are libical's.
public enum ICalProperty: Sendable {
    case productID(String)
    case version(String)
    case calendarScale(String)
    case methodPublish
    /// RFC 7986 NAME.
    case name(String)
    /// RFC 7986 REFRESH-INTERVAL;VALUE=DURATION.
    case refreshInterval(seconds: Int)
    /// An `X-` property with a raw value (libical escapes backslashes and newlines only).
    case extended(name: String, text: String)
    case uid(String)
    case summary(String)
    case description(String)
    case location(String)
    case url(String)
    /// CATEGORIES with several values; commas inside a value are replaced so the list stays unambiguous.
    case categories([String])
    case stamp(UTCDateTime)
    case lastModified(UTCDateTime)
    case sequence(Int)
    case start(ICalTime)
    case end(ICalTime)
    case due(ICalTime)
    case completed(UTCDateTime)
    case percentComplete(Int)
    case status(ICalStatus)
    case transparent
    case priority(Int)
    /// VALARM action DISPLAY.
    case actionDisplay
    /// A trigger relative to the start: negative seconds are before it.
    case trigger(seconds: Int)
    case timeZoneID(String)
    case timeZoneName(String)
    case offsetFrom(seconds: Int)
    case offsetTo(seconds: Int)
    /// A busy period of a VFREEBUSY (RFC 5545 §3.8.2.6), in UTC.
    case freeBusy(start: UTCDateTime, end: UTCDateTime)

    var label: String { String(describing: self).prefix { $0 != "(" }.description }

    func make() throws -> OpaquePointer {
        try validateText()
        let made: OpaquePointer?
        switch self {
        case let .productID(v): made = icalproperty_new_prodid(v)
        case let .version(v): made = icalproperty_new_version(v)
        case let .calendarScale(v): made = icalproperty_new_calscale(v)
        case .methodPublish: made = icalproperty_new_method(ICAL_METHOD_PUBLISH)
        case let .name(v): made = icalproperty_new_name(v)
        case let .refreshInterval(seconds):
            made = icalproperty_new_refreshinterval(icaldurationtype_from_int(Int32(seconds)))
            if let p = made { icalproperty_add_parameter(p, icalparameter_new_value(ICAL_VALUE_DURATION)) }
        case let .extended(name, text):
            // Built as an X value, so no VALUE=TEXT parameter appears (X-WR-CALNAME and
            // X-PUBLISHED-TTL are read raw by clients). libical escapes backslashes and
            // newlines in X values but leaves commas and semicolons as they are; escaping
            // them here would be doubled by libical, so they stay plain, as clients expect.
            made = icalproperty_new_x(text)
            if let p = made { icalproperty_set_x_name(p, name) }
        case let .uid(v): made = icalproperty_new_uid(v)
        case let .summary(v): made = icalproperty_new_summary(v)
        case let .description(v): made = icalproperty_new_description(v)
        case let .location(v): made = icalproperty_new_location(v)
        case let .url(v): made = icalproperty_new_url(v)
        case let .categories(values):
            let joined = values.map { $0.utf8.contains(UInt8(ascii: ",")) ? $0.replacingOccurrences(of: ",", with: " ") : $0 }
                .joined(separator: ",")
            made = icalproperty_new_categories(joined)
        case let .stamp(t): made = icalproperty_new_dtstamp(ICalTime.utc(t).raw)
        case let .lastModified(t): made = icalproperty_new_lastmodified(ICalTime.utc(t).raw)
        case let .sequence(n): made = icalproperty_new_sequence(Int32(n))
        case let .start(t): made = ICalProperty.zoned(icalproperty_new_dtstart(t.raw), t)
        case let .end(t): made = ICalProperty.zoned(icalproperty_new_dtend(t.raw), t)
        case let .due(t): made = ICalProperty.zoned(icalproperty_new_due(t.raw), t)
        case let .completed(t): made = icalproperty_new_completed(ICalTime.utc(t).raw)
        case let .percentComplete(n): made = icalproperty_new_percentcomplete(Int32(n))
        case let .status(s): made = icalproperty_new_status(s.raw)
        case .transparent: made = icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT)
        case let .priority(n): made = icalproperty_new_priority(Int32(n))
        case .actionDisplay: made = icalproperty_new_action(ICAL_ACTION_DISPLAY)
        case let .trigger(seconds):
            var trig = icaltriggertype()
            trig.time = icaltime_null_time()
            trig.duration = icaldurationtype_from_int(Int32(seconds))
            made = icalproperty_new_trigger(trig)
        case let .timeZoneID(v): made = icalproperty_new_tzid(v)
        case let .timeZoneName(v): made = icalproperty_new_tzname(v)
        case let .offsetFrom(s): made = icalproperty_new_tzoffsetfrom(Int32(s))
        case let .offsetTo(s): made = icalproperty_new_tzoffsetto(Int32(s))
        case let .freeBusy(start, end):
            var period = icalperiodtype()
            period.start = ICalTime.utc(start).raw
            period.end = ICalTime.utc(end).raw
            period.duration = icaldurationtype_null_duration()
            made = icalproperty_new_freebusy(period)
        }
        guard let p = made else { throw ICalError.allocationFailed("property \(label)") }
        return p
    }

    /// libical neither checks UTF-8 nor survives a NUL byte; an empty text value
    /// re-parses as an error. Refuse all three here rather than emit a broken feed.
    private func validateText() throws {
        let texts: [String]
        switch self {
        case let .productID(v), let .version(v), let .calendarScale(v), let .name(v), let .uid(v),
             let .summary(v), let .description(v), let .location(v), let .url(v),
             let .timeZoneID(v), let .timeZoneName(v):
            texts = [v]
        case let .extended(_, v): texts = [v]
        case let .categories(vs): texts = vs.isEmpty ? [""] : vs
        default: return
        }
        for var t in texts {
            if t.isEmpty { throw ICalError.invalidValue(property: label, reason: "empty value") }
            let nul = t.withUTF8 { memchr($0.baseAddress!, 0, $0.count) != nil }
            if nul { throw ICalError.invalidValue(property: label, reason: "NUL byte") }
        }
    }

    /// libical's `icalproperty_new_dtstart` and friends drop the zone: a wall-clock
    /// time needs its TZID parameter added by hand.
    private static func zoned(_ p: OpaquePointer?, _ t: ICalTime) -> OpaquePointer? {
        if let p, let tzid = t.tzid { icalproperty_add_parameter(p, icalparameter_new_tzid(tzid)) }
        return p
    }
}
