import Foundation
import ICal
import PlanCore

/// Who may change a record from the browser: the unit that made it, or the lead unit; a
/// waiver only the lead unit. Undo records and records already replaced or withdrawn are final.
enum RecordPermission {
    static func mayChange(_ entry: CompletionHistory.Entry, token: UnitToken?, plan: Plan) -> Bool {
        guard let token, entry.standing else { return false }
        let lead = token.unit == plan.leadUnit?.id
        if entry.record.action == .waive { return lead }
        return lead || token.unit == entry.record.unit
    }
}

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
        let entries = history.entries(.init(unit: unit.id, year: year, kinds: kind.map { [$0] }))
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

/// The form to record an ad hoc event (news, meeting, training, obstacle), or to correct a
/// record (then with the reason for the correction).
struct RecordFormPage: Page {
    static let template = "record-form"
    typealias Typed = TypedForm
    struct Organisation: Sendable {
        var orgID: String
        var orgName: String
        var checked: Bool
    }
    var chrome: PageChrome
    var heading: String
    var intro: String
    var formAction: String
    var unitID: String
    var unitName: String
    var kind: String
    var showEvidence: Bool
    var evidenceRequiredNote: String?
    var noteLabel: String
    var noteRequired: Bool
    var showReached: Bool
    var showParticipants: Bool
    var organisations: [Organisation]
    var showOrganisations: Bool
    var showReason: Bool
    var typed: Typed
    var dayValue: String
    var submitLabel: String
    var cancelLink: String

    /// What each kind asks for, in the words of the plan (II.2.6).
    static func intro(_ kind: CompletionRecord.AdHocKind) -> String {
        switch kind {
        case .news: return "Một tin, bài về bình đẳng giới đã đăng trên hệ thống thông tin cơ sở: được tính cho chỉ tiêu mỗi quý có 01 tin, bài, trong quý đăng. Cần đường dẫn bài, hoặc ghi chú nơi và ngày đưa tin nếu tin không có đường dẫn (ví dụ phát trên loa truyền thanh)."
        case .meeting: return "Một buổi tuyên truyền, phổ biến đã tổ chức: số người dân được tiếp cận được cộng vào chỉ tiêu người dân được tiếp cận kiến thức; các tổ chức được phổ biến được tính cho chỉ tiêu 100% tổ chức được phổ biến trong năm."
        case .training: return "Một buổi đào tạo, tập huấn đã tổ chức, với số người tham gia."
        case .obstacle: return "Một khó khăn, vướng mắc đơn vị gặp khi thực hiện kế hoạch, để đơn vị chủ trì nắm và hỗ trợ. Không tính vào chỉ tiêu nào."
        }
    }

    static func heading(_ kind: CompletionRecord.AdHocKind) -> String {
        switch kind {
        case .news: return "Ghi nhận tin, bài"
        case .meeting: return "Ghi nhận buổi tuyên truyền, phổ biến"
        case .training: return "Ghi nhận buổi tập huấn"
        case .obstacle: return "Nêu vướng mắc"
        }
    }

    /// A new ad hoc record of `kind` for `unit`.
    static func build(plan: Plan, unit: PlanUnit, kind: CompletionRecord.AdHocKind, today: CivilDate, chrome: PageChrome,
                      typed: Typed?) -> RecordFormPage {
        form(plan: plan, unitID: unit.id, unitName: unit.name, kind: kind.action, chrome: chrome, heading: heading(kind), intro: intro(kind),
             action: "/plans/\(plan.id)/record", typed: typed ?? Typed(on: min(today, plan.end).vietnamese),
             showReason: false, counts: kind == .news ? [.reached] : kind == .meeting ? [.reached, .participants]
                : kind == .training ? [.participants] : [],
             submit: kind == .obstacle ? "Gửi vướng mắc" : "Ghi nhận", cancel: "/plans/\(plan.id)/units/\(unit.id)")
    }

    /// Correcting a record: the same fields, filled with the record's values, and a reason.
    static func correction(plan: Plan, record r: CompletionRecord, occurrence: Occurrence?, chrome: PageChrome,
                           typed: Typed?) -> RecordFormPage {
        let unitName = plan.unit(r.unit)?.name ?? r.unit
        let filled = Typed(on: r.doneOn?.vietnamese ?? "", evidence: r.evidenceURL ?? "", note: r.note ?? "",
                           reached: r.reached.map(String.init) ?? "", participants: r.participants.map(String.init) ?? "",
                           organisations: r.organisations)
        let what = occurrence.map { $0.name(in: plan) } ?? r.action.label
        let counts: [CountKind] = occurrence?.counts ?? (r.action == .news ? [.reached] : r.action == .meeting
            ? [.reached, .participants] : r.action == .training ? [.participants] : [])
        return form(plan: plan, unitID: r.unit, unitName: unitName, kind: r.action, chrome: chrome, heading: "Sửa bản ghi số \(r.id ?? 0)",
                    intro: "\(what.prefix(1).uppercased() + what.dropFirst()) — \(unitName). Bản ghi cũ vẫn còn trong lịch sử, kèm lý do sửa.",
                    action: "/plans/\(plan.id)/records/\(r.id ?? 0)/correct", typed: typed ?? filled, showReason: true,
                    counts: counts, submit: "Lưu bản sửa", cancel: "/plans/\(plan.id)/records/\(r.id ?? 0)")
    }

    private static func form(plan: Plan, unitID: String, unitName: String, kind: CompletionRecord.Action, chrome: PageChrome, heading: String,
                             intro: String, action: String, typed: Typed, showReason: Bool, counts: [CountKind],
                             submit: String, cancel: String) -> RecordFormPage {
        let orgs = kind == .meeting ? plan.organisations : []
        return RecordFormPage(
            chrome: chrome, heading: heading, intro: intro, formAction: action, unitID: unitID, unitName: unitName,
            kind: kind.rawValue, showEvidence: kind != .obstacle,
            evidenceRequiredNote: kind == .news ? "Cần đường dẫn bài, hoặc ghi chú nơi và ngày đưa tin." : nil,
            noteLabel: kind == .obstacle ? "Nội dung vướng mắc (bắt buộc)" : "Ghi chú", noteRequired: kind == .obstacle,
            showReached: counts.contains(.reached), showParticipants: counts.contains(.participants),
            organisations: orgs.map { Organisation(orgID: $0.id, orgName: $0.name, checked: typed.organisations.contains($0.id)) },
            showOrganisations: !orgs.isEmpty, showReason: showReason, typed: typed, dayValue: typed.on, submitLabel: submit,
            cancelLink: cancel)
    }
}

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
