import Foundation
import ICal
import PlanCore

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
        form(plan: plan, unitID: unit.id.rawValue, unitName: unit.name, kind: kind.action, chrome: chrome, heading: heading(kind), intro: intro(kind),
             action: "/plans/\(plan.id)/record", typed: typed ?? Typed(on: min(today, plan.end).vietnamese),
             showReason: false, counts: kind == .news ? [.reached] : kind == .meeting ? [.reached, .participants]
                : kind == .training ? [.participants] : [],
             submit: kind == .obstacle ? "Gửi vướng mắc" : "Ghi nhận", cancel: "/plans/\(plan.id)/units/\(unit.id)")
    }

    /// Correcting a record: the same fields, filled with the record's values, and a reason.
    static func correction(plan: Plan, record r: CompletionRecord, occurrence: Occurrence?, chrome: PageChrome,
                           typed: Typed?) -> RecordFormPage {
        let unitName = plan.name(of: r.unit)
        let filled = Typed(on: r.doneOn?.vietnamese ?? "", evidence: r.evidenceURL ?? "", note: r.note ?? "",
                           reached: r.reached.map(String.init) ?? "", participants: r.participants.map(String.init) ?? "",
                           organisations: r.organisations.map(\.rawValue))
        let what = occurrence.map { $0.name(in: plan) } ?? r.action.label
        let counts: [CountKind] = occurrence?.counts ?? (r.action == .news ? [.reached] : r.action == .meeting
            ? [.reached, .participants] : r.action == .training ? [.participants] : [])
        return form(plan: plan, unitID: r.unit.rawValue, unitName: unitName, kind: r.action, chrome: chrome, heading: "Sửa bản ghi số \(r.id ?? 0)",
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
            organisations: orgs.map { Organisation(orgID: $0.id.rawValue, orgName: $0.name, checked: typed.organisations.contains($0.id.rawValue)) },
            showOrganisations: !orgs.isEmpty, showReason: showReason, typed: typed, dayValue: typed.on, submitLabel: submit,
            cancelLink: cancel)
    }
}
