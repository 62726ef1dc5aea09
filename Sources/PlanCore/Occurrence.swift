public import ICal
import Foundation

/// One dated instance of an obligation or session: what a calendar shows and a
/// unit marks done. Its obligation's `terms` (targets, section, reminders, counts, revision) read
/// as its own fields.
@dynamicMemberLookup
public struct Occurrence: Sendable, Equatable, Identifiable {
    /// Stable, readable id, e.g. `quarterly-news/2026-Q4` or `annual-report/2026/cong-an`.
    public var id: OccurrenceID
    /// The obligation it comes from (`session` for one-off sessions).
    public var obligationID: String
    /// The obligation's Vietnamese title.
    public var title: String
    /// Which period it is, in Vietnamese, e.g. `quý IV/2026`.
    public var periodLabel: String
    /// Deadline (due on `last`) or span (`first`…`last`) or a timed session.
    public var isDeadline: Bool
    /// First day (equal to `last` for a deadline).
    public var first: CivilDate
    /// Last day allowed, inclusive.
    public var last: CivilDate
    /// For sessions: start and end, minutes after local midnight.
    public var minutes: ClosedRange<Int>?
    /// For sessions: where.
    public var place: String?
    /// Responsible unit.
    public var owner: UnitID
    /// Units taking part (not including the owner).
    public var participants: [UnitID]
    /// Units receiving what the owner delivers (not including the owner): they see the item as
    /// something to receive, never as their own duty or participation.
    public var recipients: [UnitID] = []
    /// True when the owner is a unit the plan only requests ("Đề nghị"): the item is a request,
    /// never an overdue duty, and stays out of the on-time rates.
    public var requested = false
    /// Its obligation's (or session's) targets, section, reminders, counts and revision.
    public var terms: ObligationTerms
    /// True when the occurrence was made per unit (`for_each`), so the owner is part of its name.
    public var perUnit: Bool
    /// The first day a completion may be dated: the start of the period it is for (its year,
    /// quarter or month for a deadline; its first day for a span or a session).
    public var opens: CivilDate = CivilDate(year: 1970, month: 1, day: 1)!
    /// Units whose completion makes the occurrence done: the owner, its collective and its
    /// members, and the lead unit (which runs and monitors the plan, V.1, and may record for any
    /// unit). Other participants' completions record their part without completing it.
    public var doneBy: [UnitID] = []
    /// The obligation's longer explanation, when the plan gives one.
    public var details: String?
    /// The units whose own duty it is: the owner, its collective and its members (the lead unit
    /// only when it is the owner). Anyone else involved takes part.
    public var responsible: [UnitID] = []
    /// False when it fell due before the plan's `tracking_from`: history, never overdue, out of
    /// the rates.
    public var tracked = true

    /// True when the occurrence is a unit's own duty (see `responsible`), not participation.
    public func isDuty(of unit: UnitID) -> Bool { responsible.contains(unit) }

    /// True when a unit receives the occurrence (a recipient, or a member of one) and it is not its duty.
    public func isReceived(by unit: UnitID) -> Bool { !isDuty(of: unit) && recipients.contains(unit) }

    /// Its name for people: the title, the period (not for a session, whose title says it)
    /// and, for a per-unit item, the unit.
    public func name(in plan: Plan) -> String {
        var s = minutes == nil ? "\(title) — \(periodLabel)" : title
        if perUnit, let unit = plan.unit(owner) { s += " — \(unit.name)" }
        return s
    }

    /// Every unit involved: owner first, then participants.
    public var units: [UnitID] { [owner] + participants.filter { $0 != owner } }

    /// `occurrence.targets` and the rest of its terms.
    @inlinable public subscript<T>(dynamicMember keyPath: WritableKeyPath<ObligationTerms, T>) -> T {
        get { terms[keyPath: keyPath] }
        set { terms[keyPath: keyPath] = newValue }
    }
}

/// Expands a plan's obligations into occurrences over the plan period with libical.
public struct Schedule: Sendable {
    /// The plan being expanded.
    public let plan: Plan

    /// A schedule for a plan.
    public init(plan: Plan) { self.plan = plan }

    /// Every occurrence of the plan, ordered by last day, then first day, then id.
    public func occurrences() throws -> [Occurrence] {
        var out: [Occurrence] = []
        for o in plan.obligations {
            let dates = try o.rule.dates(from: o.dtstart, through: plan.end)
            let owners: [UnitID] = o.forEach.map { Schedule.owners(forEach: $0, unit: plan.unit) } ?? [o.owner]
            for date in dates {
                let first = date
                let last: CivilDate
                switch o.kind {
                case .deadline: last = date
                case let .span(days): last = date.adding(days: days - 1)
                }
                for owner in owners {
                    var id = "\(o.id)/\(Schedule.key(o.key, first: first, last: last))"
                    if o.forEach != nil { id += "/\(owner)" }
                    var occurrence = Occurrence(
                        // The loader checked the obligation's and the units' ids; the key is made here.
                        id: OccurrenceID(wellFormed: id), obligationID: o.id, title: o.title,
                        periodLabel: Schedule.label(o.key, first: first, last: last),
                        isDeadline: o.kind == .deadline, first: first, last: last, minutes: nil, place: nil,
                        owner: owner, participants: o.participants.filter { $0 != owner }, terms: o.terms,
                        perUnit: o.forEach != nil)
                    occurrence.opens = o.kind == .deadline ? Schedule.periodStart(o.key, last: last) : first
                    occurrence.doneBy = doneBy(owner)
                    occurrence.responsible = responsible(owner)
                    occurrence.tracked = last >= plan.trackedFrom
                    occurrence.details = o.details
                    occurrence.recipients = o.recipients.filter { $0 != owner }
                    occurrence.requested = plan.unit(owner)?.isRequested ?? false
                    out.append(occurrence)
                }
            }
        }
        for s in plan.sessions {
            var occurrence = Occurrence(
                id: OccurrenceID(wellFormed: "session/\(s.id)"), obligationID: "session", title: s.title, periodLabel: s.date.vietnamese,
                isDeadline: false, first: s.date, last: s.date, minutes: s.startMinutes...s.endMinutes, place: s.place,
                owner: s.owner, participants: s.participants.filter { $0 != s.owner },
                terms: ObligationTerms(targets: s.targets, section: s.section, assumption: s.assumption, reminderDays: [1],
                                       counts: [.participants], revision: s.revision, revised: s.revised),
                perUnit: false)
            occurrence.opens = s.date
            occurrence.doneBy = doneBy(s.owner)
            occurrence.responsible = responsible(s.owner)
            occurrence.tracked = s.date >= plan.trackedFrom
            occurrence.requested = plan.unit(s.owner)?.isRequested ?? false
            out.append(occurrence)
        }
        // Sort the keys, then move each occurrence once (sorting the large structs themselves
        // moved them about log n times each).
        let order = out.indices.sorted { (out[$0].last, out[$0].first, out[$0].id) < (out[$1].last, out[$1].first, out[$1].id) }
        return order.map { out[$0] }
    }

    /// The owner, its collective (if a member), its members (if a collective) and the lead unit.
    private func doneBy(_ owner: UnitID) -> [UnitID] {
        var ids = responsible(owner)
        if let lead = plan.leadUnit?.id, !ids.contains(lead) { ids.append(lead) }
        return ids
    }

    /// The owner, its collective (if a member) and its members (if a collective).
    private func responsible(_ owner: UnitID) -> [UnitID] {
        guard let unit = plan.unit(owner) else { return [owner] }
        return [owner] + (unit.parentID.map { [$0] } ?? []) + unit.members.map(\.id)
    }

    /// The first day of the period a deadline's key names (a deadline of key `date` opens a
    /// year before it).
    static func periodStart(_ key: OccurrenceKey, last: CivilDate) -> CivilDate {
        switch key {
        case .year: return CivilDate(year: last.year, month: 1, day: 1)!
        case .quarter: return CivilDate(year: last.year, month: (last.quarter - 1) * 3 + 1, day: 1)!
        case .month: return CivilDate(year: last.year, month: last.month, day: 1)!
        case .date: return last.adding(days: -365)
        }
    }

    /// The units a `for_each` list gives one occurrence each: a collective that lists members
    /// stands for its members; each unit once. The loader counts occurrences with it too.
    static func owners(forEach ids: [UnitID], unit: (UnitID) -> PlanUnit?) -> [UnitID] {
        // "all" lists collectives and their members: keep each member once.
        var seen: Set<UnitID> = []
        var out: [UnitID] = []
        for id in ids {
            let owners = unit(id).flatMap { $0.hasMembers ? $0.members.map(\.id) : nil } ?? [id]
            for owner in owners where seen.insert(owner).inserted { out.append(owner) }
        }
        return out
    }

    /// The occurrences a unit sees: those it owns or takes part in, directly, through
    /// its collective, or (for a collective) through any of its members.
    public func occurrences(for unitID: UnitID) throws -> [Occurrence] {
        try occurrences().filter { involves($0, unitID) }
    }

    /// True when a unit is involved in an occurrence (see `occurrences(for:)`).
    public func involves(_ occurrence: Occurrence, _ unitID: UnitID) -> Bool {
        guard let unit = plan.unit(unitID) else { return false }
        // An occurrence names a handful of units: a linear look is cheaper than a Set.
        func named(_ id: UnitID) -> Bool {
            occurrence.owner == id || occurrence.participants.contains(id) || occurrence.recipients.contains(id)
        }
        if named(unit.id) { return true }
        if let parent = unit.parentID, named(parent) { return true }
        return unit.members.contains { named($0.id) }
    }

    /// The period part of an occurrence's id, e.g. `2026` or `2026-Q4`.
    public static func key(_ o: Occurrence) -> String { String(o.id.period) }

    static func key(_ key: OccurrenceKey, first: CivilDate, last: CivilDate) -> String {
        switch key {
        case .year: return String(last.year)
        case .quarter: return "\(last.year)-Q\(last.quarter)"
        case .month: return String(last.iso.prefix(7))
        case .date: return first.iso
        }
    }

    static func label(_ key: OccurrenceKey, first: CivilDate, last: CivilDate) -> String {
        switch key {
        case .year: return "năm \(last.year)"
        case .quarter: return "quý \(Vietnamese.roman(last.quarter))/\(last.year)"
        case .month: return "tháng \(last.month)/\(last.year)"
        case .date: return first.vietnamese
        }
    }
}
