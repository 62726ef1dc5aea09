import Foundation
import ICal
import PlanCore

/// A unit's page: "Việc cần làm" first, the buttons to record what it did, then every item of
/// a year with its state, and its calendars.
struct UnitPage: Page {
    static let template = "unit"
    struct YearLink: Sendable {
        var yearNumber: Int
        var yearHref: String
        var isCurrent: Bool
    }
    struct RecordLink: Sendable {
        var recordLabel: String
        var recordHref: String
        var recordID: String
    }
    var chrome: PageChrome
    var unitName: String
    var unitID: String
    var year: Int
    var years: [YearLink]
    var canWrite: Bool
    var recordLinks: [RecordLink]
    var historyLink: String
    var https: String
    var webcal: String
    var tasksHttps: String
    var tasksWebcal: String
    var todo: TodoList
    var items: [TodoList.Item]
    var legend: StateLegend

    static func build(plan: Plan, unit: PlanUnit, year: Int, occurrences: [Occurrence], ledger: CompletionLedger,
                      today: CivilDate, chrome: PageChrome, canWrite: Bool, feeds: (String) -> FeedLinks) -> UnitPage {
        let schedule = Schedule(plan: plan)
        let events = feeds("\(unit.id).ics"), tasks = feeds("\(unit.id)-tasks.ics")
        let canMark: (Occurrence) -> Bool = { o in canWrite && ledger.done(o, for: unit.id) == nil && ledger.waiver(of: o.id) == nil }
        let items = occurrences.filter { $0.last.year == year && schedule.involves($0, unit.id) }
            .sorted { ($0.first, $0.last, $0.id) < ($1.first, $1.last, $1.id) }
            .map { o -> TodoList.Item in
                let state = OccurrenceState.of(o, ledger: ledger, today: today, for: unit.id)
                var item = TodoList.item(o, state: state, plan: plan, unit: unit, today: today, canMark: canMark)
                item.domID = "o-" + o.id.rawValue.replacingOccurrences(of: "/", with: "-")
                item.doneOn = ledger.done(o, for: unit.id)?.doneOn.vietnamese
                return item
            }
        let base = "/plans/\(plan.id)/units/\(unit.id)"
        let kinds: [(CompletionRecord.Action, String)] = [
            (.news, "Ghi tin, bài"), (.meeting, "Ghi buổi tuyên truyền"), (.training, "Ghi buổi tập huấn"), (.obstacle, "Nêu vướng mắc"),
        ]
        return UnitPage(
            chrome: chrome, unitName: unit.name, unitID: unit.id.rawValue, year: year,
            years: plan.years.map { YearLink(yearNumber: $0, yearHref: "\(base)?year=\($0)", isCurrent: $0 == year) },
            canWrite: canWrite,
            recordLinks: kinds.map { RecordLink(recordLabel: $0.1, recordHref: "\(base)/record/\($0.0.rawValue)", recordID: "record-\($0.0.rawValue)") },
            historyLink: "\(base)/history?year=\(year)", https: events.https, webcal: events.webcal, tasksHttps: tasks.https,
            tasksWebcal: tasks.webcal,
            todo: TodoList.build(plan: plan, occurrences: occurrences, ledger: ledger, today: today, unit: unit, canMark: canMark),
            items: items, legend: .all)
    }
}
