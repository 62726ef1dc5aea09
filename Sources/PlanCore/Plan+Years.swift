import ICal

extension Plan {
    /// The calendar years the plan covers, e.g. 2025...2030.
    public var years: ClosedRange<Int> { start.year...end.year }

    /// The year a report shows by default: `year` when given, else today's, brought within the plan.
    public func reportYear(_ year: Int? = nil, today: CivilDate) -> Int {
        min(max(year ?? today.year, start.year), end.year)
    }
}
