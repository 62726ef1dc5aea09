import Foundation
import Hummingbird
import ICal
import PlanCore

/// The lead unit's admin page: issue and revoke the units' access codes, see each unit's last
/// activity. Only a browser signed in with the lead unit's code gets in.
struct AdminController: Sendable {
    let services: ServerServices
    var auth: Auth { Auth(services: services) }

    func addRoutes(to router: Router<AppRequestContext>) {
        let plans = router.group("plans")
        plans.get(":plan/admin") { request, context in try await adminPage(request, context) }
        plans.post(":plan/admin/tokens") { request, context in try await issue(request, context) }
        plans.post(":plan/admin/tokens/:id/revoke") { request, context in try await revoke(request, context) }
    }

    /// Nil when the session is the lead unit's; else the refusal.
    func signInFirst(_ plan: Plan) -> Response {
        services.message(plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                         message: "Trang quản trị dành cho \(plan.leadUnit?.name ?? "đơn vị chủ trì"): hãy đăng nhập bằng mã của đơn vị.",
                         back: "/plans/\(plan.id)/login")
    }

    func leadOnly(_ plan: Plan, _ session: WebSession) -> Response? {
        guard session.token.unit == plan.leadUnit?.id else {
            return services.forbidden(plan, session, APIError(.forbidden, "Chỉ \(plan.leadUnit?.name ?? "đơn vị chủ trì") cấp và thu hồi mã truy cập."))
        }
        return nil
    }

    func render(_ entry: PlanRegistry.Entry, _ session: WebSession, error: String? = nil, flash: String? = nil,
                issued: (secret: String, token: UnitToken)? = nil, typedUnit: String? = nil, typedLabel: String = "",
                status: HTTPResponse.Status = .ok) async throws -> Response {
        let plan = entry.plan
        var c = services.chrome(plan, session, title: "Quản trị mã truy cập")
        c.error = error
        c.flash = flash
        await services.fetches.flush()
        let page = AdminPage.build(
            plan: plan, chrome: c, tokens: try await services.repositories.tokens.list(plan: plan.id),
            records: entry.builder.ledger.records,
            fetches: try await services.repositories.fetches.entries(plan: plan.id, limit: FetchRecorder.keep),
            publicBase: services.publicBase(plan), issued: issued, typedUnit: typedUnit, typedLabel: typedLabel)
        return services.views.render(page, status: status)
    }

    func adminPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        guard let session = try await auth.session(request, plan: entry.plan) else { return signInFirst(entry.plan) }
        if let refusal = leadOnly(entry.plan, session) { return refusal }
        var flash: String?
        if let id = request.uri.queryParameters["thu-hoi"].map(String.init),
           try await services.repositories.tokens.list(plan: entry.plan.id).contains(where: { $0.id == id && $0.revokedAt != nil }) {
            flash = "Đã thu hồi mã số \(id): các phiên đăng nhập bằng mã này đã kết thúc."
        }
        return try await render(entry, session, flash: flash)
    }

    struct IssueForm: PostedForm {
        var csrf: String?
        var unit: String?
        var label: String?
    }

    func issue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, IssueForm)
        switch try await services.gate(request, context, IssueForm.self) {
        case let .refuse(response): return response
        case let .pass(e, s, f): (entry, session, form) = (e, s, f)
        }
        let plan = entry.plan
        if let refusal = leadOnly(plan, session) { return refusal }
        let label = FormInput.text(form.label) ?? ""
        let unit = form.unit.flatMap(plan.unit)
        let problem: String?
        if unit == nil {
            problem = "Đơn vị: hãy chọn đơn vị được cấp mã."
        } else if label.isEmpty {
            problem = "Người giữ mã: hãy ghi tên người giữ mã (được ghi kèm mỗi lần ghi nhận)."
        } else if label.count > 200 {
            problem = "Người giữ mã: tối đa 200 ký tự."
        } else if !Validation.isPrintableLine(label) {
            problem = "Người giữ mã: có ký tự điều khiển hoặc xuống dòng; hãy gõ lại trên một dòng."
        } else {
            problem = nil
        }
        guard let unit, problem == nil else {
            return try await render(entry, session, error: "Chưa cấp được mã. \(problem ?? "")", typedUnit: form.unit,
                                    typedLabel: form.label ?? "", status: .badRequest)
        }
        let made = try await services.repositories.tokens.create(plan: plan.id, unit: unit.id, label: label, now: UTCDateTime(Date()))
        return try await render(entry, session, flash: "Đã cấp mã số \(made.token.id) cho \(plan.name(of: made.token.unit)), người giữ: \(label).",
                                issued: made, status: .created)
    }

    struct RevokeForm: PostedForm { var csrf: String? }

    func revoke(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session): (PlanRegistry.Entry, WebSession)
        switch try await services.gate(request, context, RevokeForm.self) {
        case let .refuse(response): return response
        case let .pass(e, s, _): (entry, session) = (e, s)
        }
        let plan = entry.plan
        if let refusal = leadOnly(plan, session) { return refusal }
        let id = context.parameters.get("id") ?? ""
        guard try await services.repositories.tokens.revoke(id: id, plan: plan.id, now: UTCDateTime(Date())) else {
            return try await render(entry, session, error: "Không có mã số \"\(id.prefix(20))\" đang dùng để thu hồi.", status: .notFound)
        }
        // Revoking the code this browser uses signs it out too: the admin page would refuse it.
        let stillIn = try await auth.session(request, plan: plan) != nil
        return Response(status: .seeOther, headers: [.location: stillIn ? "/plans/\(plan.id)/admin?thu-hoi=\(id)" : "/plans/\(plan.id)"])
    }
}
