import Foundation
import Hummingbird
import ICal
import PlanAPI
import PlanCore

extension ServerServices {
    /// The header of a plan's page.
    func chrome(_ plan: Plan, _ session: WebSession?, title: String) -> PageChrome {
        .plan(plan, today: today(plan), session: session, title: title)
    }

    /// A short page with a heading, a message and a way back.
    func message(_ plan: Plan, _ session: WebSession?, status: HTTPResponse.Status, heading: String,
                 message: String, back: String) -> Response {
        views.render(MessagePage(chrome: chrome(plan, session, title: heading), heading2: heading,
                                 message: message, back: back), status: status)
    }

    /// Every write from a browser passes the same checks, in this order: the form comes from
    /// this server (Origin), the browser is signed in to this plan, the form decodes, and it
    /// carries the session's CSRF token.
    func gate<Form: PostedForm>(_ request: Request, _ context: AppRequestContext, _ type: Form.Type) async throws -> FormGate<Form> {
        let entry = try await entry(context)
        let plan = entry.plan
        let auth = Auth(services: self)
        guard auth.sameOrigin(request) else {
            return .refuse(message(plan, nil, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                                   message: "Biểu mẫu phải được gửi từ chính trang này.", back: "/plans/\(plan.id)"))
        }
        guard let session = try await auth.session(request, plan: plan) else {
            return .refuse(message(plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                                   message: "Hãy đăng nhập bằng mã truy cập của đơn vị.", back: "/plans/\(plan.id)/login"))
        }
        let form: Form
        do {
            form = try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: try await body(request)))
        } catch let e as APIError { throw e } catch {
            return .refuse(message(plan, session, status: .badRequest, heading: "Biểu mẫu không hợp lệ",
                                   message: "Không đọc được biểu mẫu.", back: "/plans/\(plan.id)"))
        }
        guard form.csrf == session.csrf else {
            return .refuse(message(plan, session, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                                   message: "Mã chống giả mạo (CSRF) không đúng; hãy tải lại trang và thử lại.", back: "/plans/\(plan.id)"))
        }
        return .pass(entry, session, form)
    }

    /// A refusal from the domain or a form check, as the status and message a page shows; any
    /// other error goes on to the error middleware.
    static func refusal(_ error: any Error) throws -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as CompletionError: return APIError(e)
        case let e as APIBodyError: return APIError(.badRequest, e.message, field: e.field)
        default: throw error
        }
    }

    /// 403 as a page when a signed-in unit asks to act for a unit its code does not cover.
    func forbidden(_ plan: Plan, _ session: WebSession, _ error: APIError) -> Response {
        message(plan, session, status: error.status, heading: "Không được phép", message: error.message, back: "/plans/\(plan.id)")
    }

    /// The plan's unit named in the path, or 404.
    func unit(_ plan: Plan, _ context: AppRequestContext) throws -> PlanUnit {
        let id = context.parameters.get("unit") ?? ""
        guard ServerServices.matches(id), let unit = plan.unit(named: id) else {
            throw HTTPError(.notFound, message: "Không có đơn vị \"\(id.prefix(80))\" trong kế hoạch")
        }
        return unit
    }

    /// A `?year=` for a page: the plan's year asked for, else today's (within the plan), and a
    /// note when the asked year is not one of the plan's.
    func pageYear(_ request: Request, plan: Plan) -> (year: Int, problem: String?) {
        let today = today(plan)
        let fallback = plan.reportYear(today: today)
        guard let text = request.uri.queryParameters["year"].map(String.init), !text.isEmpty else { return (fallback, nil) }
        if let y = Int(text), plan.years.contains(y) { return (y, nil) }
        return (fallback, "Năm \"\(text.prefix(10))\" không thuộc kế hoạch (\(plan.start.year)–\(plan.end.year)); đang hiển thị năm \(fallback).")
    }

    /// The page year a form carries back: the plan's year it names, else today's (within the plan).
    func formYear(_ text: String?, plan: Plan) -> Int {
        Int(text ?? "").flatMap { plan.years.contains($0) ? $0 : nil } ?? plan.reportYear(today: today(plan))
    }

    /// The message after a record was made (`?ban-ghi=N`): it only repeats what the record says.
    func recordFlash(_ request: Request, entry: PlanRegistry.Entry) -> String? {
        guard let text = request.uri.queryParameters["ban-ghi"], let id = Int64(text),
              let r = entry.builder.ledger.records.first(where: { $0.id == id }) else { return nil }
        let plan = entry.plan
        let unit = plan.name(of: r.unit)
        let day = r.doneOn.map { " ngày \($0.vietnamese)" } ?? ""
        let title = entry.builder.occurrences.first { $0.id == r.occurrenceID }?.name(in: plan) ?? (r.occurrenceID?.rawValue ?? "")
        switch r.action {
        case .undo:
            if let w = r.withdraws { return "Đã hủy bản ghi số \(w) (bản ghi hủy số \(id))." }
            return "Đã hủy ghi nhận \(title) — \(unit) (bản ghi số \(id))."
        case .waive: return "Đã xác định không áp dụng: \(title) (bản ghi số \(id))."
        case .done:
            return "Đã ghi nhận \(title) — \(unit)\(day) (bản ghi số \(id))."
        default: return "Đã ghi nhận \(r.action.label)\(day) của \(unit) (bản ghi số \(id))."
        }
    }
}
