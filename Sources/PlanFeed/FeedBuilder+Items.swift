public import PlanCore
import ICal

/// One item at a time: what a CalDAV collection serves (the same items, UIDs and text as the
/// feeds, each in its own VCALENDAR).
extension FeedBuilder {
    /// The occurrences a feed holds, in its order: a unit's (nil: the whole plan's) events or tasks.
    public func items(unit unitID: String?, variant: Feed.Variant) -> [Occurrence] {
        let schedule = Schedule(plan: plan)
        return occurrences.filter { o in
            if let unitID, !schedule.involves(o, unitID) { return false }
            return variant == .events || o.minutes == nil
        }
    }

    /// One item as a whole iCalendar object: the calendar's PRODID and VERSION, the time zone a
    /// timed event needs, and the item as `viewer`'s feed has it; `notice` goes first in its
    /// DESCRIPTION (why a change from a task app was not recorded).
    public func itemCalendar(_ o: Occurrence, unit viewer: String?, variant: Feed.Variant, notice: String? = nil) throws -> String {
        let calendar = try ICalComponent(.calendar)
        try calendar.add([.productID(FeedBuilder.productID), .version("2.0"), .calendarScale("GREGORIAN")])
        if variant == .events, o.minutes != nil {
            calendar.add(try ICalComponent.fixedOffsetTimeZone(
                tzid: plan.timeZone, offsetSeconds: plan.utcOffsetSeconds,
                abbreviation: FeedBuilder.offsetName(plan.utcOffsetSeconds)))
        }
        calendar.add(variant == .events ? try event(o, for: viewer, notice: notice) : try task(o, for: viewer, notice: notice))
        return calendar.serialize()
    }
}
