public import PlanCore
import ICal

/// One item at a time: what a CalDAV collection serves (the same items, UIDs and text as the
/// feeds, each in its own VCALENDAR).
extension FeedBuilder {
    /// The occurrences a feed holds, in its order: a unit's (nil: the whole plan's) events or tasks.
    public func items(unit unitID: UnitID?, variant: Feed.Variant) -> [Occurrence] {
        let schedule = Schedule(plan: plan)
        return occurrences.filter { o in
            if let unitID, !schedule.involves(o, unitID) { return false }
            return variant == .events || o.minutes == nil
        }
    }

    /// One item as a whole iCalendar object: the calendar's PRODID and VERSION, the time zone a
    /// timed event needs, and the item as `viewer`'s feed has it; `notice` goes first in its
    /// DESCRIPTION (why a change from a task app was not recorded).
    public func itemCalendar(_ o: Occurrence, unit viewer: UnitID?, variant: Feed.Variant, notice: String? = nil) throws -> String {
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

extension FeedBuilder {
    /// RFC 4791 §7.10's answer for a collection: one VFREEBUSY over [`start`, `end`) whose busy
    /// periods are the timed events (sessions) of the collection in it. All-day items are
    /// transparent and tasks take no time, so they add none; a waived session adds none either.
    public func freeBusy(unit viewer: UnitID?, variant: Feed.Variant, from start: UTCDateTime,
                         to end: UTCDateTime) throws -> String {
        let calendar = try ICalComponent(.calendar)
        try calendar.add([.productID(FeedBuilder.productID), .version("2.0"), .calendarScale("GREGORIAN")])
        let busy = try ICalComponent(.freeBusy)
        // DTSTAMP from the range, not the clock: the same question gets the same bytes.
        try busy.add([.stamp(start), .start(.utc(start)), .end(.utc(end))])
        if variant == .events {
            for o in items(unit: viewer, variant: .events) {
                guard let minutes = o.minutes, ledger.waiver(of: o.id) == nil else { continue }
                let day = o.first.daysSinceEpoch * 86_400 - plan.utcOffsetSeconds
                let from = UTCDateTime(secondsSinceEpoch: day + minutes.lowerBound * 60)
                let to = UTCDateTime(secondsSinceEpoch: day + minutes.upperBound * 60)
                guard from < end, to > start else { continue }
                try busy.add(.freeBusy(start: max(from, start), end: min(to, end)))
            }
        }
        calendar.add(busy)
        return calendar.serialize()
    }
}
