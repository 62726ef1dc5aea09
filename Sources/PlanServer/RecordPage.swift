import Foundation
import ICal
import PlanCore

/// One record: what it says, what became of it, and (for whoever may) the forms to withdraw
/// it or correct it.
struct RecordPage: Page {
    static let template = "record"
    var chrome: PageChrome
    var row: HistoryPage.Row
    var canChange: Bool
    var canCorrect: Bool
    var correctLink: String
    var withdrawAction: String
    var withdrawLabel: String
    var reason: String
    var historyLink: String
    /// For the lead unit on a standing obstacle not resolved yet: the form to mark it resolved.
    var resolveAction: String?
    /// The obstacle's standing resolution, in words.
    var resolution: String?

    static func build(plan: Plan, entry: CompletionHistory.Entry, history: CompletionHistory, occurrences: [Occurrence],
                      ledger: CompletionLedger, chrome: PageChrome, token: UnitToken?, reason: String = "") -> RecordPage {
        let r = entry.record
        let row = HistoryPage.Row(entry, plan: plan, token: token, history: history)
        let may = RecordPermission.mayChange(entry, token: token, plan: plan)
        let resolution = r.id.flatMap(ledger.resolution(of:))
        // A completion is corrected while its occurrence is in the plan; a waiver only withdrawn.
        let correctable = r.action != .waive && (r.occurrenceID == nil || occurrences.contains { $0.id == r.occurrenceID })
        let year = entry.day.year
        return RecordPage(
            chrome: chrome, row: row, canChange: may, canCorrect: may && correctable,
            correctLink: "/plans/\(plan.id)/records/\(r.id ?? 0)/correct",
            withdrawAction: "/plans/\(plan.id)/records/\(r.id ?? 0)/withdraw",
            withdrawLabel: r.action == .waive ? "Hủy xác định không áp dụng" : "Hủy bản ghi này",
            reason: reason, historyLink: "/plans/\(plan.id)/units/\(r.unit)/history?year=\(year)",
            resolveAction: r.action == .obstacle && entry.standing && resolution == nil && token?.unit == plan.leadUnit?.id
                ? "/plans/\(plan.id)/records/\(r.id ?? 0)/resolve" : nil,
            resolution: resolution.map { "Đã giải quyết ngày \($0.doneOn?.vietnamese ?? ""): \($0.note ?? "") (\($0.recordedBy), bản ghi số \($0.id ?? 0))" })
    }
}
