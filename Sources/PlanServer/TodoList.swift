import Foundation
import ICal
import PlanCore

/// "Việc cần làm": what a unit (or the whole plan) has to do now. First what is due or
/// overdue in the current quarter, or under way; then what comes in the next 30 days; older
/// overdue items folded under a count; for a unit, what it takes part in, folded too.
/// Done, waived and before-tracking items are not things to do.
struct TodoList: Sendable {
    struct Item: Sendable {
        var when: String
        var title: String
        var link: String
        var state: String
        var stateLabel: String
        // Distinct names: Mustache looks a nil value up in the enclosing objects.
        var ownerName: String?
        var domID: String
        var markAction: MarkAction?
        /// The day it was done, in the viewing unit's view (the year's list shows it).
        var doneOn: String?
        /// On the whole plan's list, one line stands for an item owed by several units (each
        /// unit's annual report): the units, each with its own page.
        var members: [Member] = []
        var hasMembers = false
        var memberCount = 0
        /// The occurrence it stands for.
        var occurrenceID = ""
    }
    struct Member: Sendable {
        var memberName: String
        var memberLink: String
        var memberID: String
    }
    struct MarkAction: Sendable {
        var markLabel: String
        var markLink: String
    }

    // Stored, not computed: Mustache reads a value's stored properties only.
    var periodLabel: String
    var now: [Item] = []
    var soon: [Item] = []
    var older: [Item] = []
    var takingPart: [Item] = []
    /// What the unit receives from others (e.g. reports), not delivered yet.
    var receiving: [Item] = []
    /// Requests ("Đề nghị", V.6) whose day passed with nothing recorded: listed apart, never
    /// among the overdue duties.
    var requests: [Item] = []
    var hasReceiving = false
    var hasRequests = false
    var receivingCount = 0
    var requestCount = 0
    var hasNow = false
    var hasSoon = false
    var hasOlder = false
    var hasTakingPart = false
    var olderCount = 0
    var takingPartCount = 0
    var isEmpty = true
    var lookAheadDays = TodoList.lookAheadDays

    /// Days ahead the list looks.
    static let lookAheadDays = 30

    /// `unit` nil: the whole plan's list (with each item's unit). `canMark` says whether the
    /// signed-in browser may record an occurrence for the viewing unit (nil: for its owner).
    static func build(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, today: CivilDate,
                      unit: PlanUnit?, canMark: (Occurrence) -> Bool) -> TodoList {
        let schedule = Schedule(plan: plan)
        let quarterStart = CivilDate(year: today.year, month: (today.quarter - 1) * 3 + 1, day: 1)!
        let quarterEnd = CivilDate(year: today.year, month: today.quarter * 3,
                                   day: CivilDate.daysIn(month: today.quarter * 3, year: today.year))!
        let horizon = today.adding(days: lookAheadDays)
        var list = TodoList(periodLabel: "quý \(Vietnamese.roman(today.quarter))/\(today.year)")
        var now: [(Occurrence, Item)] = [], soon: [(Occurrence, Item)] = [], older: [(Occurrence, Item)] = []
        for o in occurrences where unit.map({ schedule.involves(o, $0.id) }) ?? true {
            let state = OccurrenceState.of(o, ledger: ledger, today: today, for: unit?.id)
            if [.doneOnTime, .doneLate, .participated, .received, .waived, .beforeTracking].contains(state) { continue }
            let made = Self.item(o, state: state, plan: plan, unit: unit, today: today, canMark: canMark)
            let item = { made }
            switch state {
            case .doneOnTime, .doneLate, .participated, .received, .waived, .beforeTracking:
                continue
            case .awaiting:
                // Something to receive: what is due this quarter or soon, and what of this year is late to come.
                if o.tracked && o.first <= horizon && (o.last >= quarterStart || o.last.year == today.year) {
                    list.receiving.append(item())
                }
            case .requestPending:
                // The requested unit's own page lists its requests with its other items (never
                // red); the ward's list folds them apart from the offices' overdue duties.
                if unit != nil { now.append((o, item())) } else { list.requests.append(item()) }
            case .takingPart:
                // Another unit's duty: only what is under way or close, never as overdue.
                if o.last >= quarterStart && o.first <= horizon && ledger.done(o) == nil { list.takingPart.append(item()) }
            case .overdue:
                if o.last >= quarterStart { now.append((o, item())) } else { older.append((o, item())) }
            case .inProgress, .dueSoon, .upcoming:
                if state != .upcoming || (o.last <= quarterEnd && o.opens <= today) {
                    now.append((o, item()))
                } else if o.first <= horizon {
                    soon.append((o, item()))
                }
            }
        }
        let group = unit == nil ? { Self.grouped($0, plan: plan) } : { (items: [(Occurrence, Item)]) in items.map(\.1) }
        list.now = group(now)
        list.soon = group(soon)
        // The latest overdue first: the one most worth catching up.
        list.older = group(older).reversed()
        list.hasNow = !list.now.isEmpty
        list.hasSoon = !list.soon.isEmpty
        list.hasOlder = !list.older.isEmpty
        list.hasTakingPart = !list.takingPart.isEmpty
        // What a unit receives from several units alike (the annual reports) is one line with the units inside.
        func paired(_ items: [Item]) -> [(Occurrence, Item)] {
            items.compactMap { item in occurrences.first { $0.id.rawValue == item.occurrenceID }.map { ($0, item) } }
        }
        list.receiving = Self.grouped(paired(list.receiving), plan: plan)
        list.requests = group(paired(list.requests)).reversed()
        list.hasReceiving = !list.receiving.isEmpty
        list.hasRequests = !list.requests.isEmpty
        list.receivingCount = list.receiving.count
        list.requestCount = list.requests.count
        list.olderCount = list.older.count
        list.takingPartCount = list.takingPart.count
        list.isEmpty = !(list.hasNow || list.hasSoon || list.hasOlder || list.hasTakingPart || list.hasReceiving || list.hasRequests)
        return list
    }

    /// One line per item owed by several units alike (same obligation, period and state),
    /// listing the units; other items as they are, in order.
    static func grouped(_ items: [(Occurrence, Item)], plan: Plan) -> [Item] {
        var out: [Item] = []
        var index: [String: Int] = [:]
        for (o, item) in items {
            guard o.perUnit else { out.append(item); continue }
            // A request groups apart from the offices' duties; what a recipient awaits groups whoever sends it.
            let state = OccurrenceState(rawValue: item.state)
            let key = "\(o.obligationID)|\(o.periodLabel)|\(item.state)|\(state == .awaiting ? false : o.requested)"
            let member = Member(memberName: plan.name(of: o.owner), memberLink: item.link, memberID: item.domID)
            if let i = index[key] {
                out[i].members.append(member)
            } else {
                var head = item
                head.title = "\(o.title) — \(o.periodLabel)"
                head.ownerName = nil
                head.members = [member]
                // The line stands for several units: its state without one unit's name.
                if let state { head.stateLabel = Self.label(o, state: state, plan: plan, naming: false) }
                head.domID = "todo-" + o.obligationID + "-" + Schedule.key(o)
                index[key] = out.count
                out.append(head)
            }
        }
        return out.map { item in
            var item = item
            item.hasMembers = item.members.count > 1
            item.memberCount = item.members.count
            if item.members.count == 1, let only = item.members.first, let o = items.first(where: { $0.1.domID == only.memberID })?.0 {
                // A single unit: the item as it was, with its unit.
                item.stateLabel = Self.label(o, state: OccurrenceState(rawValue: item.state) ?? .upcoming, plan: plan, naming: true)
                item.title += " — \(only.memberName)"
                item.domID = only.memberID
                item.members = []
            }
            return item
        }
    }

    /// The state as a list shows it: whose duty another unit's item is, who sends what a unit
    /// receives (`naming`), and that a request ("Đề nghị", V.6) is one while it is open.
    static func label(_ o: Occurrence, state: OccurrenceState, plan: Plan, naming: Bool) -> String {
        var label = state.label
        if naming, state == .takingPart, let owner = plan.unit(o.owner) { label += " (chủ trì: \(owner.name))" }
        if naming, state == .awaiting || state == .received, let owner = plan.unit(o.owner) { label += " (đơn vị nộp: \(owner.name))" }
        if o.requested, [.upcoming, .dueSoon, .inProgress].contains(state) { label = "Đề nghị · " + label }
        return label
    }

    static func item(_ o: Occurrence, state: OccurrenceState, plan: Plan, unit: PlanUnit?, today: CivilDate,
                     canMark: (Occurrence) -> Bool) -> Item {
        let when: String
        if o.minutes != nil {
            when = "Ngày \(o.first.vietnamese)"
        } else if o.isDeadline {
            when = "Hạn \(o.last.vietnamese)"
        } else {
            when = "\(o.first.vietnamese) – \(o.last.vietnamese)"
        }
        let label = Self.label(o, state: state, plan: plan, naming: true)
        var action: MarkAction?
        // A recipient records a delivery only when it may complete the item (the lead unit).
        let mayRecord = state != .awaiting || (unit.map { o.doneBy.contains($0.id) } ?? true)
        if o.opens <= today, mayRecord, canMark(o) {
            let page = "/plans/\(plan.id)/occurrences/\(o.id)"
            let forUnit = unit.map { "?don-vi=\($0.id)" } ?? ""
            action = MarkAction(markLabel: state == .takingPart ? "Ghi nhận tham gia"
                                    : state == .awaiting ? "Ghi nhận đã nhận" : "Đánh dấu hoàn thành",
                                markLink: page + forUnit + "#danh-dau")
        }
        return Item(when: when, title: o.name(in: plan), link: "/plans/\(plan.id)/occurrences/\(o.id)", state: state.rawValue,
                    stateLabel: label, ownerName: unit == nil ? plan.unit(o.owner)?.name : nil,
                    domID: "todo-" + o.id.rawValue.replacingOccurrences(of: "/", with: "-"), markAction: action, occurrenceID: o.id.rawValue)
    }
}
