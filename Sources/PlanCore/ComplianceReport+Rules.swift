public import ICal

/// How each kind of tracking rule is computed from the ledger: a news target's periods, an
/// organisation-wide dissemination, a share of residents reached, and the per-unit lines.
extension ComplianceReport {
    /// A news target's periods (quarters or months). Without `year`: from the plan's start to
    /// today's period; with it: that year's periods within the plan, the ones not begun yet included.
    static func periods(_ plan: Plan, target: TargetID, period: TrackingRule.NewsPeriod, _ occurrences: [Occurrence],
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
                let item = NewsItem(date: c.doneOn.iso, url: c.record.evidenceURL, note: c.record.note, unit: c.unit, source: o.id.rawValue)
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

    static func dissemination(_ plan: Plan, target: TargetID, _ occurrences: [Occurrence], _ ledger: CompletionLedger,
                              year: Int, today: CivilDate) -> Dissemination {
        var informed: [UnitID: CivilDate] = [:]
        func note(_ unit: UnitID, _ day: CivilDate) {
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

    static func reach(_ plan: Plan, target: TargetID, goal: Double, by: Int, _ ledger: CompletionLedger,
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
