public import ICal

/// What a unit did in a year, drafted from the records: the report every unit owes before the
/// deadline of the plan's `tracking.annual_report` obligation (Bạch Đằng: the closing paragraph,
/// "trước ngày 15/12"). Pure: built from the plan, its occurrences, the ledger and the figures;
/// the numbers it shares with the compliance report are read off that report, never recomputed.
public struct UnitAnnualReport: Sendable {
    /// A standing completion of one of the year's items, by the unit (or one of its members).
    public struct Completion: Sendable, Equatable {
        public var occurrence: OccurrenceID
        public var title: String
        public var section: String
        /// The item's last day (its deadline, or a span's last day).
        public var due: CivilDate
        /// The item's first day (a span's start; a deadline's day).
        public var starts: CivilDate
        public var doneOn: CivilDate
        /// False when the unit only recorded its part in another unit's item.
        public var isOwn: Bool
        public var evidence: String?
        public var note: String?
        public var reached: Int?
        public var participants: Int?
        /// Names of the organisations its meeting informed.
        public var organisations: [String] = []
        /// True for a news item, a session (training), or a gathering that reached residents,
        /// had participants or informed organisations: counted with the unit's activities.
        public var isActivity = false
        /// True when another record fulfilled it (`fulfilled_by:`); `note` says which.
        public var isFulfilled = false
        /// True for an item serving a news target (its completion is a news item published).
        public var isNews = false
    }

    /// An ad hoc news item, meeting or training, or an obstacle.
    public struct Activity: Sendable, Equatable {
        public var kind: CompletionRecord.Action
        public var unit: UnitID
        public var day: CivilDate
        public var evidence: String?
        public var note: String?
        public var reached: Int?
        public var participants: Int?
        /// Names of the organisations a meeting informed.
        public var organisations: [String]
        /// For an obstacle the lead unit resolved: the day and how (`resolve`).
        public var resolution: Resolution? = nil

        public struct Resolution: Sendable, Equatable {
            public var day: CivilDate
            public var how: String
        }
    }

    /// An item of the year that is the unit's duty and not done: overdue, under way or ahead.
    public struct OpenItem: Sendable, Equatable {
        public var occurrence: OccurrenceID
        public var title: String
        public var due: CivilDate
        public var state: OccurrenceState
    }

    /// A figure the unit supplies for a target: its value for the year, or nil when not recorded.
    public struct Figure: Sendable, Equatable {
        public var target: TargetID
        public var figure: String
        public var label: String
        public var value: Double?
    }

    public var unitID: UnitID
    public var unitName: String
    public var year: Int
    public var today: CivilDate
    /// The unit's line of the compliance report (on-time rate, its annual report).
    public var line: ComplianceReport.UnitLine?
    public var completions: [Completion]
    /// Spans (e.g. the action month) of the year the unit owns or takes part in, in its own view.
    public var campaigns: [OpenItem]
    public var activities: [Activity]
    public var figures: [Figure]
    public var open: [OpenItem]
    public var obstacles: [Activity]
    /// Next year's items of the unit, one line per obligation (the report's last section).
    public var nextYearTasks: [String] = []

    /// News items, meetings and trainings of the year: ad hoc, or recorded on the unit's items.
    public var activityCount: Int { activities.count + completions.filter { $0.isOwn && $0.isActivity }.count }

    /// Residents reached in the year by the unit's completions and ad hoc records.
    public var reached: Int {
        completions.compactMap(\.reached).reduce(0, +) + activities.compactMap(\.reached).reduce(0, +)
    }

    /// The report of `unit` for `year`; `compliance` is the compliance report of the same year and records.
    public init(plan: Plan, unit: PlanUnit, year: Int, occurrences: [Occurrence], ledger: CompletionLedger,
                figures: FigureLedger, compliance: ComplianceReport) {
        let today = CivilDate(parsing: compliance.today) ?? plan.start
        let ids = Set([unit.id] + unit.members.map(\.id))
        unitID = unit.id
        unitName = unit.name
        self.year = year
        self.today = today
        line = compliance.units.first { $0.id == unit.id }
        let ofYear = occurrences.filter { $0.last.year == year }
        let news = Set(plan.tracking.newsTargets.map(\.target))
        completions = ofYear.flatMap { o -> [Completion] in
            let own = ledger.completions(of: o.id).filter { ids.contains($0.unit) }.map { c in
                let r = c.record
                return Completion(occurrence: o.id, title: o.name(in: plan), section: o.section, due: o.last, starts: o.first,
                                  doneOn: c.doneOn, isOwn: o.doneBy.contains(c.unit), evidence: r.evidenceURL, note: r.note,
                                  reached: r.reached, participants: r.participants,
                                  organisations: r.organisations.map { plan.name(of: $0) },
                                  isActivity: o.targets.contains(where: news.contains) || o.minutes != nil
                                      || r.reached != nil || r.participants != nil || !r.organisations.isEmpty,
                                  isNews: o.targets.contains(where: news.contains))
            }
            // Done through another record (a meeting that informed the unit, …): listed, with the
            // note saying which; its activity is counted where it was recorded.
            guard !own.contains(where: \.isOwn), ids.contains(o.owner), let f = ledger.fulfilled[o.id] else { return own }
            return own + [Completion(occurrence: o.id, title: o.name(in: plan), section: o.section, due: o.last, starts: o.first,
                                     doneOn: f.doneOn,
                               isOwn: true, evidence: f.record.evidenceURL, note: f.record.note, isFulfilled: true)]
        }.sorted { ($0.doneOn, $0.occurrence) < ($1.doneOn, $1.occurrence) }
        let involved = ofYear.filter { o in ids.contains(o.owner) || o.participants.contains { ids.contains($0) } }
        campaigns = involved.filter { $0.first < $0.last && $0.minutes == nil }.map {
            OpenItem(occurrence: $0.id, title: $0.name(in: plan), due: $0.last,
                     state: OccurrenceState.of($0, ledger: ledger, today: today, for: unit.id))
        }
        open = ofYear.filter { o in ids.contains { o.isDuty(of: $0) } }.compactMap { o in
            let state = OccurrenceState.of(o, ledger: ledger, today: today, for: unit.id)
            guard [.overdue, .inProgress, .dueSoon, .upcoming].contains(state) else { return nil }
            return OpenItem(occurrence: o.id, title: o.name(in: plan), due: o.last, state: state)
        }
        let records = ledger.adHoc.compactMap { r -> Activity? in
            guard ids.contains(r.unit), case let .adHoc(kind, a) = r.kind, a.on.year == year else { return nil }
            return Activity(kind: kind.action, unit: r.unit, day: a.on, evidence: a.evidenceURL, note: a.note, reached: a.reached,
                            participants: a.participants, organisations: a.organisations.map { plan.name(of: $0) },
                            resolution: r.id.flatMap(ledger.resolution(of:)).flatMap { s in
                                s.doneOn.map { Activity.Resolution(day: $0, how: s.note ?? "") }
                            })
        }
        activities = records.filter { $0.kind != .obstacle }
        obstacles = records.filter { $0.kind == .obstacle }
        nextYearTasks = year < plan.end.year
            ? ReportDocument.nextYearTasks(plan: plan, occurrences: occurrences, year: year + 1, units: ids) : []
        self.figures = plan.targets.flatMap { t in
            t.figures.filter { ids.contains($0.unit) }.map {
                Figure(target: t.id, figure: $0.id, label: $0.label, value: figures.value(t.id, year: year, figure: $0.id))
            }
        }
    }
}

/// The ward's report to the level above for a year (Bạch Đằng: V.1, vhxh compiles the units'
/// reports): every unit's results and whether its annual report came in on time, the tracked
/// targets (Goal 6) from the compliance report, every indicator from the indicator report, and
/// the obstacles units recorded.
public struct WardAnnualReport: Sendable {
    public var year: Int
    public var today: CivilDate
    public var compliance: ComplianceReport
    public var indicators: IndicatorReport
    /// One per unit of the compliance report (units without members), in document order.
    public var units: [UnitAnnualReport]
    /// What each unit reported (its annual report's day and note), for the reports received.
    public var reported: [String] = []
    /// The proposals the units wrote in their annual reports.
    public var proposals: [String] = []
    /// Next year's tasks of the plan, one line per obligation.
    public var nextYearTasks: [String] = []
    /// Records of one unit and day that both count residents reached, not confirmed as two
    /// events: possibly one event counted twice, said in the report for the lead unit to settle.
    public var possibleDoubleCounts: [String] = []

    /// Units whose annual report was done by its deadline.
    public var reportsOnTime: [ComplianceReport.UnitLine] { compliance.units.filter { $0.annualReport == .doneOnTime } }
    /// Units owing an annual report for the year that have not sent it by its deadline (late, overdue, or still open).
    public var reportsNotOnTime: [ComplianceReport.UnitLine] {
        compliance.units.filter { !$0.requested && Self.notOnTime($0) }
    }
    /// Units the plan only requests a report of (`relation: requested`, such as the Front and
    /// the unions) whose report has not come in by its day: listed apart, not as the offices'
    /// shortfall.
    public var requestsNotOnTime: [ComplianceReport.UnitLine] {
        compliance.units.filter { $0.requested && Self.notOnTime($0) }
    }

    private static func notOnTime(_ line: ComplianceReport.UnitLine) -> Bool {
        line.owesAnnualReport && line.annualReport != .doneOnTime
    }
    /// Every obstacle of the year, in date order.
    public var obstacles: [UnitAnnualReport.Activity] {
        units.flatMap(\.obstacles).sorted { ($0.day, $0.unit) < ($1.day, $1.unit) }
    }

    /// The report for `year`, from the same records as `plancal compliance` and `plancal indicators`.
    /// `baselines`: the indicators' recorded baselines (see `IndicatorReport`).
    public init(plan: Plan, year: Int, occurrences: [Occurrence], ledger: CompletionLedger, figures: [FigureRecord],
                today: CivilDate, baselines: [BaselineRecord] = []) {
        self.year = year
        self.today = today
        let compliance = ComplianceReport(plan: plan, occurrences: occurrences, ledger: ledger, today: today, year: year)
        self.compliance = compliance
        indicators = IndicatorReport(plan: plan, figures: figures, compliance: compliance, year: year, baselines: baselines)
        let figureLedger = FigureLedger(figures.filter { $0.plan == plan.id })
        units = compliance.units.compactMap { line in
            plan.unit(line.id).map {
                UnitAnnualReport(plan: plan, unit: $0, year: year, occurrences: occurrences, ledger: ledger,
                                 figures: figureLedger, compliance: compliance)
            }
        }
        reported = reportedSentences(plan: plan, ledger: ledger, occurrences: occurrences)
        possibleDoubleCounts = SameDayReach.unconfirmedPairs(in: ledger, year: year).map { a, b in
            "Ngày \(a.doneOn?.vietnamese ?? ""), \(plan.name(of: a.unit)) có hai bản ghi cùng ghi số người được tiếp cận: bản ghi số \(a.id ?? 0) (\(Vietnamese.number(a.reached ?? 0)) người) và bản ghi số \(b.id ?? 0) (\(Vietnamese.number(b.reached ?? 0)) người); nếu là một sự kiện, hãy sửa bản ghi sau để số người chỉ tính một lần."
        }
        proposals = proposals(plan: plan, ledger: ledger, occurrences: occurrences)
        nextYearTasks = year < plan.end.year
            ? ReportDocument.nextYearTasks(plan: plan, occurrences: occurrences, year: year + 1, units: nil) : []
    }

    /// One unit's report, from the same records.
    public static func unit(_ unit: PlanUnit, plan: Plan, year: Int, occurrences: [Occurrence], ledger: CompletionLedger,
                            figures: [FigureRecord], today: CivilDate) -> UnitAnnualReport {
        let compliance = ComplianceReport(plan: plan, occurrences: occurrences, ledger: ledger, today: today, year: year)
        return UnitAnnualReport(plan: plan, unit: unit, year: year, occurrences: occurrences, ledger: ledger,
                                figures: FigureLedger(figures.filter { $0.plan == plan.id }), compliance: compliance)
    }
}
