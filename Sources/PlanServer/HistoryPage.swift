import Foundation
import ICal
import PlanCore

/// A unit's history of a year, filtered by kind, with the CSV of the same.
struct HistoryPage: Page {
    static let template = "history"

    /// One record as a card.
    struct Row: Sendable {
        var number: Int64
        var recordedAt: String
        var recordedBy: String
        var kind: String
        var action: String
        var rowTitle: String?
        var rowUnit: String
        var facts: [Fact]
        var hasFacts: Bool
        var later: String?
        var standing: Bool
        var recordLink: String
        var changeLabel: String

        init(_ e: CompletionHistory.Entry, plan: Plan, token: UnitToken?, history: CompletionHistory) {
            let r = e.record
            number = r.id ?? 0
            recordedAt = Vietnamese.dateTime(r.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds)
            recordedBy = r.recordedBy
            kind = e.kind.prefix(1).uppercased() + e.kind.dropFirst()
            action = r.action.rawValue
            rowTitle = e.title
            rowUnit = e.unitName
            var facts: [Fact] = []
            if let d = r.doneOn { facts.append(Fact(factLabel: "Ngày", factText: d.vietnamese)) }
            if let u = r.evidenceURL { facts.append(Fact(factLabel: "Minh chứng", factText: u, factURL: u)) }
            if let n = r.reached { facts.append(Fact(factLabel: "Số người dân được tiếp cận", factText: Vietnamese.number(n))) }
            if let n = r.participants { facts.append(Fact(factLabel: "Số người tham gia", factText: Vietnamese.number(n))) }
            if !r.organisations.isEmpty { facts.append(Fact(factLabel: "Tổ chức được phổ biến", factText: history.organisationNames(r))) }
            if let why = r.reason { facts.append(Fact(factLabel: "Lý do", factText: why)) }
            if let note = r.note { facts.append(Fact(factLabel: r.action == .obstacle ? "Nội dung" : "Ghi chú", factText: note)) }
            // What this record also completes (`fulfilled_by:`), each linked to its item.
            for f in e.fulfils {
                facts.append(Fact(factLabel: "Cũng hoàn thành", factText: f.name, factURL: "/plans/\(plan.id)/occurrences/\(f.id)"))
            }
            self.facts = facts
            hasFacts = !facts.isEmpty
            later = e.later
            standing = e.standing
            recordLink = "/plans/\(plan.id)/records/\(number)"
            changeLabel = RecordPermission.mayChange(e, token: token, plan: plan) ? "Sửa hoặc hủy" : "Xem bản ghi"
        }
    }
    struct Fact: Sendable {
        var factLabel: String
        var factText: String
        var factURL: String?
    }

    var chrome: PageChrome
    var unitName: String
    var unitLink: String
    var action: String
    var years: [SelectOption]
    var kinds: [SelectOption]
    var rows: [Row]
    var hasRows: Bool
    var count: Int
    var csvLink: String

    static let kindChoices: [(CompletionRecord.Action?, String)] = [
        (nil, "Tất cả"), (.done, "Hoàn thành, tham gia"), (.news, "Tin, bài"), (.meeting, "Buổi tuyên truyền, phổ biến"),
        (.training, "Buổi tập huấn"), (.obstacle, "Vướng mắc"), (.waive, "Không áp dụng"), (.undo, "Hủy"),
    ]

    static func build(plan: Plan, unit: PlanUnit, year: Int, kind: CompletionRecord.Action?, history: CompletionHistory,
                      chrome: PageChrome, token: UnitToken?) -> HistoryPage {
        let entries = history.entries(.init(unit: unit.id.rawValue, year: year, kinds: kind.map { [$0] }))
        // Latest first: what a person looks for is what was just recorded.
        let rows = entries.reversed().map { Row($0, plan: plan, token: token, history: history) }
        let base = "/plans/\(plan.id)/units/\(unit.id)"
        let query = "year=\(year)" + (kind.map { "&kind=\($0.rawValue)" } ?? "")
        return HistoryPage(
            chrome: chrome, unitName: unit.name, unitLink: base, action: "\(base)/history",
            years: SelectOption.years(of: plan, selected: year),
            kinds: kindChoices.map { SelectOption(value: $0.0?.rawValue ?? "", label: $0.1, selected: $0.0 == kind) },
            rows: rows, hasRows: !rows.isEmpty, count: rows.count, csvLink: "\(base)/history.csv?\(query)")
    }
}
