public import ICal

/// Where an occurrence stands on a given day.
public enum OccurrenceState: String, Sendable, Codable, CaseIterable {
    case doneOnTime = "done-on-time"
    case doneLate = "done-late"
    /// In a participating unit's own view: it recorded its part (the owner has not completed it).
    case participated
    /// In a participating unit's own view: another unit's duty it takes part in, not done yet.
    case takingPart = "taking-part"
    /// The lead unit declared it not applicable, with a reason: neither due nor overdue.
    case waived
    /// Due before the plan's `tracking_from`: history, not judged.
    case beforeTracking = "before-tracking"
    case overdue
    /// A request to a unit the plan does not direct ("Đề nghị", Bạch Đằng V.6) whose day has
    /// passed with nothing recorded: visible, never an overdue duty, out of the rates.
    case requestPending = "request-pending"
    /// In a receiving unit's own view (e.g. the lead unit receiving a report): not delivered yet.
    case awaiting
    /// In a receiving unit's own view: the owner has delivered it.
    case received
    case inProgress = "in-progress"
    case dueSoon = "due-soon"
    case upcoming

    /// Vietnamese label.
    public var label: String {
        switch self {
        case .doneOnTime: return "Hoàn thành đúng hạn"
        case .doneLate: return "Hoàn thành trễ hạn"
        case .participated: return "Đã tham gia"
        case .takingPart: return "Phối hợp"
        case .waived: return "Không áp dụng"
        case .beforeTracking: return "Trước khi theo dõi"
        case .overdue: return "Quá hạn"
        case .requestPending: return "Đề nghị, chưa ghi nhận"
        case .awaiting: return "Chờ nhận"
        case .received: return "Đã nhận"
        case .inProgress: return "Đang diễn ra"
        case .dueSoon: return "Sắp đến hạn"
        case .upcoming: return "Chưa đến hạn"
        }
    }

    /// What the state means, for a legend.
    public var meaning: String {
        switch self {
        case .doneOnTime: return "đã ghi nhận hoàn thành, không muộn hơn hạn"
        case .doneLate: return "đã ghi nhận hoàn thành sau hạn"
        case .participated: return "đơn vị đã ghi nhận phần tham gia của mình"
        case .takingPart: return "nhiệm vụ của đơn vị khác mà đơn vị tham gia, chưa hoàn thành"
        case .waived: return "đơn vị chủ trì xác định không áp dụng, có lý do; không tính vào tỷ lệ"
        case .beforeTracking: return "hạn trước ngày phường bắt đầu theo dõi; không tính vào tỷ lệ"
        case .overdue: return "đã qua hạn, chưa ghi nhận hoàn thành"
        case .requestPending: return "việc kế hoạch đề nghị (không giao) Mặt trận, hội đoàn thể; đã qua thời hạn đề nghị, chưa ghi nhận; không tính là quá hạn, không tính vào tỷ lệ"
        case .awaiting: return "đơn vị là nơi nhận (ví dụ báo cáo của đơn vị khác), đơn vị nộp chưa ghi nhận hoàn thành"
        case .received: return "đơn vị nộp đã ghi nhận hoàn thành; đơn vị là nơi nhận"
        case .inProgress: return "đang trong thời gian thực hiện"
        case .dueSoon: return "hạn trong \(OccurrenceState.dueSoonDays) ngày tới"
        case .upcoming: return "chưa đến thời gian thực hiện"
        }
    }

    /// True for the states that count as done.
    public var isDone: Bool { self == .doneOnTime || self == .doneLate || self == .participated || self == .received }

    /// Days before the last day from which an open occurrence is "due soon".
    public static let dueSoonDays = 14

    /// The state of an occurrence on `today`: a span (e.g. the action month) is in progress
    /// from its first day to its last; a deadline is due soon from 14 days before it.
    /// With `unit`, in that unit's view: a participant that recorded its part has done it,
    /// another unit's duty it takes part in is participation, and what it receives is awaited or
    /// received — never its own overdue item. A request's passed day is `requestPending`.
    public static func of(_ o: Occurrence, ledger: CompletionLedger, today: CivilDate,
                          for unit: String? = nil) -> OccurrenceState {
        if let unit, o.isReceived(by: unit) {
            if ledger.done(o) != nil { return .received }
            return ledger.waiver(of: o.id) != nil ? .waived : .awaiting
        }
        if let done = ledger.done(o, for: unit) {
            guard o.doneBy.contains(done.unit) else { return .participated }
            return done.doneOn <= o.last ? .doneOnTime : .doneLate
        }
        if ledger.waiver(of: o.id) != nil { return .waived }
        if let unit, !o.isDuty(of: unit) { return .takingPart }
        if !o.tracked { return .beforeTracking }
        if today > o.last { return o.requested ? .requestPending : .overdue }
        if o.first < o.last && today >= o.first { return .inProgress }
        if today >= o.first || o.last.days(until: today) >= -dueSoonDays { return .dueSoon }
        return .upcoming
    }
}

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
        public var unit: String
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
        public var id: String
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
        public var target: String
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
        public var target = ""

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
        public var target = ""
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
        public var id: String
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
        public var occurrence: String
        public var title: String
        public var unit: String
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
        var target: String
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

    /// A news target's periods (quarters or months). Without `year`: from the plan's start to
    /// today's period; with it: that year's periods within the plan, the ones not begun yet included.
    static func periods(_ plan: Plan, target: String, period: TrackingRule.NewsPeriod, _ occurrences: [Occurrence],
                        _ ledger: CompletionLedger, today: CivilDate, year: Int?) -> [Quarter] {
        // Every news item counts for the period it was published in, whichever period's
        // occurrence it was recorded against; a period's own occurrence done only after the
        // period ended makes it "late" (still not met: the target wants one in the period).
        func key(_ d: CivilDate) -> String {
            period == .quarter ? "\(d.year)-Q\(d.quarter)" : String(format: "%04d-%02d", d.year, d.month)
        }
        var items: [(day: CivilDate, item: NewsItem)] = []
        var lateByPeriod: [String: [NewsItem]] = [:]
        for o in occurrences where o.serves(target) {
            for c in ledger.completions(of: o.id) {
                let item = NewsItem(date: c.doneOn.iso, url: c.record.evidenceURL, note: c.record.note, unit: c.unit, source: o.id)
                items.append((c.doneOn, item))
                if c.doneOn > o.last { lateByPeriod[key(o.last), default: []].append(item) }
            }
        }
        // An ad hoc news item names no target: it counts for every news target.
        for r in ledger.adHoc where r.action == .news {
            guard let d = r.doneOn else { continue }
            items.append((d, NewsItem(date: d.iso, url: r.evidenceURL, note: r.note, unit: r.unit, source: "ad-hoc")))
        }
        let byKey = Dictionary(grouping: items) { key($0.day) }
        var out: [Quarter] = []
        let lastDay = year.map { min(CivilDate(year: $0, month: 12, day: 31)!, plan.end) } ?? min(today, plan.end)
        let months = period == .quarter ? 3 : 1
        // Periods start on months 1, 4, 7, 10 (quarters) or every month.
        var first = CivilDate(year: plan.start.year, month: (plan.start.month - 1) / months * months + 1, day: 1)!
        while first <= lastDay {
            let lastMonth = first.month + months - 1
            let last = CivilDate(year: first.year, month: lastMonth, day: CivilDate.daysIn(month: lastMonth, year: first.year))!
            defer { first = last.adding(days: 1) }
            if let year, first.year != year { continue }
            let k = key(first)
            let inPeriod = (byKey[k] ?? []).sorted { ($0.day, $0.item.source) < ($1.day, $1.item.source) }.map(\.item)
            let late = lateByPeriod[k] ?? []
            let state: Quarter.State
            if !inPeriod.isEmpty { state = .met } else if today < first { state = .future }
            else if today <= last { state = .open } else if last < plan.trackedFrom { state = .beforeTracking }
            else if !late.isEmpty { state = .late } else { state = .missed }
            let label = period == .quarter ? "quý \(Vietnamese.roman(first.quarter))/\(first.year)" : "tháng \(first.month)/\(first.year)"
            out.append(Quarter(key: k, label: label, ends: last.iso, state: state, items: inPeriod.isEmpty ? late : inPeriod))
        }
        return out
    }

    static func dissemination(_ plan: Plan, target: String, _ occurrences: [Occurrence], _ ledger: CompletionLedger,
                              year: Int, today: CivilDate) -> Dissemination {
        var informed: [String: CivilDate] = [:]
        func note(_ unit: String, _ day: CivilDate) {
            if informed[unit].map({ day < $0 }) ?? true { informed[unit] = day }
        }
        // Each organisation's own yearly dissemination occurrence (the per-unit ones serving the
        // target), completed during the year by the organisation or the lead unit.
        for o in occurrences where o.perUnit && o.serves(target) && o.last.year == year {
            for c in ledger.completions(of: o.id) where c.doneOn.year == year && o.doneBy.contains(c.unit) {
                note(o.owner, c.doneOn)
            }
        }
        // Meetings name the organisations they informed, recorded ad hoc or on an occurrence
        // (the action month's completion); a collective stands for its members.
        for r in ledger.standingRecords where !r.organisations.isEmpty {
            guard let d = r.doneOn, d.year == year else { continue }
            for org in r.organisations {
                let members = plan.unit(org)?.members.map(\.id) ?? []
                for id in members.isEmpty ? [org] : members { note(id, d) }
            }
        }
        let orgs = plan.organisations.map {
            Organisation(id: $0.id, name: $0.name, informedOn: informed[$0.id]?.iso)
        }
        let count = orgs.filter { $0.informedOn != nil }.count
        let share = orgs.isEmpty ? 0 : Double(count) / Double(orgs.count)
        let notCounted = plan.units.filter { !$0.isOrganisation }.map(\.name)
        let met = !orgs.isEmpty && count == orgs.count
        let state: Dissemination.State
        if met { state = .met } else if year > today.year { state = .future } else if year == today.year { state = .open }
        else if CivilDate(year: year, month: 12, day: 31)! < plan.trackedFrom { state = .beforeTracking } else { state = .missed }
        return Dissemination(year: year, state: state, organisations: orgs, informed: count, total: orgs.count, share: share,
                             met: met, notCounted: notCounted, target: target)
    }

    static func reach(_ plan: Plan, target: String, goal: Double, by: Int, _ ledger: CompletionLedger,
                      today: CivilDate) -> Reach {
        var reached = 0
        // Only completions still standing count (an undone or corrected one does not).
        for (_, list) in ledger.standing {
            for c in list where c.doneOn <= today { reached += c.record.reached ?? 0 }
        }
        for r in ledger.adHoc where (r.doneOn ?? today) <= today { reached += r.reached ?? 0 }
        // A straight line from 0 at the plan's start to the goal at the end of its year.
        let goalDay = CivilDate(year: by, month: 12, day: 31)!
        let total = Double(max(1, plan.start.days(until: goalDay.adding(days: 1))))
        let elapsed = Double(max(0, min(plan.start.days(until: today.adding(days: 1)), Int(total))))
        let path = goal * elapsed / total
        let share = plan.population.map { Double(reached) / Double($0) }
        return Reach(asOf: today.iso, reached: reached, population: plan.population, share: share, path: path, goal: goal,
                     onTrack: share.map { $0 >= path }, target: target, by: by)
    }

    static func unitLines(_ plan: Plan, _ occurrences: [Occurrence], _ ledger: CompletionLedger,
                          today: CivilDate, year: Int) -> [UnitLine] {
        plan.allUnits.filter { !$0.hasMembers }.map { unit in
            let owned = occurrences.filter { $0.owner == unit.id && $0.last.year == year }
            // Rates count what is judged: tracked items, not waived, that fell due (or were done).
            let judged = owned.filter { $0.tracked && (ledger.done($0) != nil || ledger.waiver(of: $0.id) == nil) }
            let due = judged.filter { $0.last < today || ledger.done($0) != nil }
            let states = due.map { OccurrenceState.of($0, ledger: ledger, today: today) }
            let onTime = states.filter { $0 == .doneOnTime }.count
            let report = owned.first { $0.obligationID == plan.tracking.annualReport }
            let reportState = report.map { OccurrenceState.of($0, ledger: ledger, today: today) }
            var line = UnitLine(
                id: unit.id, name: unit.name, annualReport: reportState, annualReportDue: report?.last.iso,
                annualReportOn: report.flatMap { ledger.done($0)?.doneOn.iso },
                annualReportWaiver: reportState == .waived ? report.flatMap { ledger.waiver(of: $0.id)?.reason } : nil,
                due: due.count, onTime: onTime, late: states.filter { $0 == .doneLate }.count,
                overdue: states.filter { $0 == .overdue }.count,
                waived: owned.filter { ledger.done($0) == nil && ledger.waiver(of: $0.id) != nil }.count,
                // V.6: what the plan only requests is no office's failure and has no on-time rate.
                onTimeRate: due.isEmpty || unit.isRequested ? nil : Double(onTime) / Double(due.count))
            line.requested = unit.isRequested
            line.pending = states.filter { $0 == .requestPending }.count
            return line
        }
    }
}
