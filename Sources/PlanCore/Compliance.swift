public import ICal

/// The tracked targets and per-unit compliance on a given day. Which target is which comes
/// from the plan's `tracking:` (Bạch Đằng: II.2.6 targets 1–3; the closing paragraph for reports).
public struct ComplianceReport: Sendable, Encodable {
    /// A news target in one period: a quarter, or a month for a monthly rule.
    public struct Quarter: Sendable, Encodable {
        public enum State: String, Sendable, Encodable {
            case met, late, missed, open
            /// The quarter has not begun.
            case future
            /// It ended before the plan's `tracking_from` with no item: not judged.
            case beforeTracking = "before-tracking"
        }
        /// e.g. `2026-Q4`, or `2026-03` for a month.
        public var key: String
        /// e.g. `quý IV/2026`, or `tháng 3/2026`.
        public var label: String
        /// The quarter's last day (ISO).
        public var ends: String
        public var state: State
        /// News items published in the quarter (or, when late, after it).
        public var items: [NewsItem]
    }

    /// A news item counted for G6.T3.
    public struct NewsItem: Sendable, Encodable {
        public var date: String
        public var url: String?
        /// The note, the evidence of an item without a link (a loudspeaker bulletin).
        public var note: String?
        public var unit: UnitID
        /// `occurrence` id or `ad-hoc`.
        public var source: String

        /// The evidence to show: the link, else the note.
        public var evidence: String? { url ?? note }

        enum CodingKeys: String, CodingKey { case date, url, note, unit, source }

        /// Encodes a missing link as null rather than leaving it out.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(date, forKey: .date)
            try c.encode(url, forKey: .url)
            try c.encode(note, forKey: .note)
            try c.encode(unit, forKey: .unit)
            try c.encode(source, forKey: .source)
        }
    }

    /// An organisation's G6.T2 standing in the year.
    public struct Organisation: Sendable, Encodable {
        public var id: UnitID
        public var name: String
        /// First day it was recorded as informed in the year, if it was.
        public var informedOn: String?

        enum CodingKeys: String, CodingKey { case id, name, informedOn }

        /// Encodes `informedOn` as null rather than leaving it out: the JSON shape is fixed.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(informedOn, forKey: .informedOn)
        }
    }

    /// A news target's periods (Bạch Đằng: G6.T3's quarters).
    public struct NewsTrack: Sendable {
        public var target: TargetID
        public var period: TrackingRule.NewsPeriod
        public var periods: [Quarter]
    }

    /// A dissemination target for the year (Bạch Đằng: G6.T2).
    public struct Dissemination: Sendable, Encodable {
        /// Where the year stands.
        public enum State: String, Sendable, Encodable {
            /// Every organisation informed.
            case met
            /// The year is under way and not every organisation is informed yet.
            case open
            /// The year ended without every organisation informed.
            case missed
            /// The year has not begun.
            case future
            /// The year ended before the plan's `tracking_from`: not judged.
            case beforeTracking = "before-tracking"
        }
        public var year: Int
        public var state: State
        public var organisations: [Organisation]
        public var informed: Int
        public var total: Int
        public var share: Double
        public var met: Bool
        /// Units the plan does not count as organisations (e.g. residential groups): named so
        /// the reader sees what the share is of.
        public var notCounted: [String]
        /// The target (not in the JSON's `dissemination`, which is the plan's first such target).
        public var target: TargetID

        enum CodingKeys: String, CodingKey { case year, state, organisations, informed, total, share, met, notCounted }
    }

    /// A reach target so far (Bạch Đằng: G6.T1).
    public struct Reach: Sendable, Encodable {
        /// The day reach is counted to (ISO): today, or the end of a past year asked for.
        public var asOf: String
        public var reached: Int
        public var population: Int?
        /// reached / population, when the population is known.
        public var share: Double?
        /// Where a straight line from 0 at the plan's start to 80% at its end stands today.
        public var path: Double
        public var goal: Double
        /// share ≥ path; nil without a population.
        public var onTrack: Bool?
        /// The target (not in the JSON's `reach`, which is the plan's first such target).
        public var target: TargetID
        /// The year the goal is for.
        public var by = 0

        enum CodingKeys: String, CodingKey { case asOf, reached, population, share, path, goal, onTrack }

        /// Encodes unknowns as null rather than leaving them out: the JSON shape is fixed.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(asOf, forKey: .asOf)
            try c.encode(reached, forKey: .reached)
            try c.encode(population, forKey: .population)
            try c.encode(share, forKey: .share)
            try c.encode(path, forKey: .path)
            try c.encode(goal, forKey: .goal)
            try c.encode(onTrack, forKey: .onTrack)
        }
    }

    /// A unit's record for the year.
    public struct UnitLine: Sendable, Encodable {
        public var id: UnitID
        public var name: String
        /// State of its annual report for the year, if it owes one.
        public var annualReport: OccurrenceState?
        /// Its annual report's due day (ISO), if it owes one.
        public var annualReportDue: String?
        /// The day its annual report was done (ISO), or waived: the waiver's reason.
        public var annualReportOn: String?
        public var annualReportWaiver: String?
        /// Tracked occurrences it owns that fell due in the year up to today (or were done),
        /// not waived.
        public var due: Int
        public var onTime: Int
        public var late: Int
        public var overdue: Int
        /// Its occurrences of the year the lead unit declared not applicable.
        public var waived: Int
        /// onTime / due; nil when nothing fell due, and always nil for a requested unit.
        public var onTimeRate: Double?
        /// True for a unit the plan only requests ("Đề nghị", `relation: requested`): its items
        /// are requests, never overdue, and it has no on-time rate.
        public var requested = false

        /// True when the unit owes an annual report for the year: one falls due, and it is not waived.
        public var owesAnnualReport: Bool { annualReport != nil && annualReport != .waived }
        /// A requested unit's requests whose day passed with nothing recorded (`request-pending`).
        public var pending = 0

        enum CodingKeys: String, CodingKey {
            case id, name, requested, annualReport, annualReportDue, annualReportOn, annualReportWaiver, due, onTime, late,
                 overdue, pending, waived, onTimeRate
        }

        /// Encodes unknowns as null rather than leaving them out: the JSON shape is fixed.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(requested, forKey: .requested)
            try c.encode(annualReport, forKey: .annualReport)
            try c.encode(annualReportDue, forKey: .annualReportDue)
            try c.encode(annualReportOn, forKey: .annualReportOn)
            try c.encode(annualReportWaiver, forKey: .annualReportWaiver)
            try c.encode(due, forKey: .due)
            try c.encode(onTime, forKey: .onTime)
            try c.encode(late, forKey: .late)
            try c.encode(overdue, forKey: .overdue)
            try c.encode(pending, forKey: .pending)
            try c.encode(waived, forKey: .waived)
            try c.encode(onTimeRate, forKey: .onTimeRate)
        }
    }

    public var plan: String
    public var today: String
    public var year: Int
    /// One per news target, in the plan's order; empty when the plan tracks none.
    public var news: [NewsTrack]
    /// One per dissemination target, in the plan's order.
    public var disseminations: [Dissemination]
    /// One per reach target, in the plan's order.
    public var reaches: [Reach]
    /// The first news target's periods; empty when the plan tracks no news target.
    public var quarters: [Quarter] { news.first?.periods ?? [] }
    /// The first dissemination target; nil when the plan tracks none.
    public var dissemination: Dissemination? { disseminations.first }
    /// The first reach target; nil when the plan tracks none.
    public var reach: Reach? { reaches.first }
    public var units: [UnitLine]
    /// Occurrences of the year the lead unit declared not applicable, with the reasons.
    public var waived: [Waived]
    /// The first day tracked (ISO): the plan's `tracking_from`, else its start.
    public var trackedFrom: String

    /// An occurrence declared not applicable.
    public struct Waived: Sendable, Encodable {
        public var occurrence: OccurrenceID
        public var title: String
        public var unit: UnitID
        public var due: String
        public var reason: String
        public var on: String
        public var by: String
    }

    enum CodingKeys: String, CodingKey {
        case plan, today, year, quarters, dissemination, reach, units, waived, trackedFrom, moreTargets
    }

    /// A tracked target beyond the first under its rule, in the JSON's `moreTargets`.
    struct MoreTarget: Encodable {
        var target: TargetID
        var rule: String
        var periods: [Quarter]?
        var dissemination: Dissemination?
        var reach: Reach?
    }

    /// `quarters`, `dissemination` and `reach` are the first target under each rule (the shape
    /// documented in the README); `moreTargets`, only when the plan tracks more, lists the others
    /// with their rules.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(plan, forKey: .plan)
        try c.encode(today, forKey: .today)
        try c.encode(year, forKey: .year)
        try c.encode(quarters, forKey: .quarters)
        try c.encodeIfPresent(dissemination, forKey: .dissemination)
        try c.encodeIfPresent(reach, forKey: .reach)
        try c.encode(units, forKey: .units)
        try c.encode(waived, forKey: .waived)
        try c.encode(trackedFrom, forKey: .trackedFrom)
        let more = news.dropFirst().map {
            MoreTarget(target: $0.target, rule: TrackingRule.newsEvery($0.period).name, periods: $0.periods)
        } + disseminations.dropFirst().map {
            MoreTarget(target: $0.target, rule: TrackingRule.everyOrganisationYearly.name, dissemination: $0)
        } + reaches.dropFirst().map {
            MoreTarget(target: $0.target, rule: TrackingRule.shareReached(goal: $0.goal, by: $0.by).name, reach: $0)
        }
        if !more.isEmpty { try c.encode(more, forKey: .moreTargets) }
    }

    /// Builds the report. Without `year`, quarters run from the plan's start to today's
    /// quarter and the yearly parts are for today's year (the plan's first or last year when
    /// today is before or after the plan); with it, both are for that year.
    public init(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, today: CivilDate, year: Int? = nil) {
        self.plan = plan.id
        self.today = today.iso
        let y = plan.reportYear(year, today: today)
        self.year = y
        let t = plan.tracking
        news = t.newsTargets.map { target, period in
            NewsTrack(target: target, period: period,
                      periods: ComplianceReport.periods(plan, target: target, period: period, occurrences, ledger,
                                                        today: today, year: year))
        }
        disseminations = t.disseminationTargets.map {
            ComplianceReport.dissemination(plan, target: $0, occurrences, ledger, year: y, today: today)
        }
        // A past year's reach is counted to its last day; this year's and a later one's to today.
        let asOf = min(today, CivilDate(year: y, month: 12, day: 31)!)
        reaches = t.reachTargets.map { ComplianceReport.reach(plan, target: $0.target, goal: $0.goal, by: $0.by, ledger, today: asOf) }
        units = ComplianceReport.unitLines(plan, occurrences, ledger, today: today, year: y)
        trackedFrom = plan.trackedFrom.iso
        waived = occurrences.filter { $0.last.year == y }.compactMap { o in
            guard ledger.done(o) == nil, let w = ledger.waiver(of: o.id) else { return nil }
            return Waived(occurrence: o.id, title: o.name(in: plan), unit: o.owner, due: o.last.iso,
                          reason: w.reason ?? "", on: Vietnamese.localDay(w.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds).iso,
                          by: w.recordedBy)
        }
    }
}
