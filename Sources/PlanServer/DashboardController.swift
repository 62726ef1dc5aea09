import Foundation
import Hummingbird
import ICal
import PlanAPI
import PlanCore
import PlanFeed

/// The pages people use: the city page, a plan's dashboard, a unit's page, an occurrence with
/// its form, and signing in and out. Every write goes through the same checks as the API.
struct DashboardController: Sendable {
    let services: ServerServices
    var auth: Auth { Auth(services: services) }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/") { request, _ in try await index(request) }
        let plans = router.group("plans")
        plans.get(":plan") { request, context in try await dashboard(request, context) }
        plans.get(":plan/units/:unit") { request, context in try await unitPage(request, context) }
        plans.get(":plan/occurrences/**") { request, context in try await occurrencePage(request, context) }
        plans.get(":plan/login") { request, context in try await loginPage(request, context, error: nil) }
        plans.post(":plan/login") { request, context in try await login(request, context) }
        plans.post(":plan/logout") { request, context in try await logout(request, context) }
        plans.post(":plan/done") { request, context in try await formDone(request, context) }
    }

    func chrome(_ plan: Plan, _ session: WebSession?, title: String) -> PageChrome {
        .plan(plan, today: services.today(plan), session: session, title: title)
    }

    func message(_ plan: Plan, _ session: WebSession?, status: HTTPResponse.Status, heading: String,
                 message: String, back: String) -> Response {
        services.views.render(MessagePage(chrome: chrome(plan, session, title: heading), heading2: heading,
                                          message: message, back: back), status: status)
    }

    func crossOrigin(_ plan: Plan) -> Response {
        message(plan, nil, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                message: "Biểu mẫu phải được gửi từ chính trang này.", back: "/plans/\(plan.id)")
    }

    // MARK: - Pages

    /// One plan served alone: its dashboard. Several, or a plans folder: the city page.
    func index(_ request: Request) async throws -> Response {
        let ids = try await services.registry.planIDs()
        if ids.count == 1, services.arguments.plansDir == nil {
            return Response(status: .seeOther, headers: [.location: "/plans/\(ids[0])"])
        }
        var report = try await services.cityReport(request)
        let sortText = request.uri.queryParameters["sort"].map(String.init) ?? "plan"
        guard let sort = CityReport.SortKey(rawValue: sortText) else {
            throw HTTPError(.badRequest, message: "Không sắp xếp được theo \"\(sortText.prefix(20))\" (các cột: \(CityReport.SortKey.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let descending = request.uri.queryParameters["order"] == "desc"
        report.sort(by: sort, descending: descending)
        let problems = await services.registry.loadProblems().map { CityPage.Problem(path: $0.path, message: $0.message) }
        return services.views.render(CityPage.build(report: report, sort: sort, descending: descending, problems: problems))
    }

    func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let session = try await auth.session(request, plan: plan)
        var c = chrome(plan, session, title: "\(plan.tracking.subject) — \(plan.issuer)")
        // The message only repeats what the records say, whatever the URL claims.
        if let ok = request.uri.queryParameters["ghi-nhan"].map(String.init),
           let o = entry.builder.occurrences.first(where: { $0.id == ok }),
           !entry.builder.ledger.completions(of: o.id).isEmpty {
            let before = request.uri.queryParameters["da-co"] != nil
            // Only the owner's side completes an item; a participating unit records its part.
            let completed = entry.builder.ledger.done(o) != nil
            c.flash = (before ? "Việc này đã được ghi nhận trước đó: "
                       : completed ? "Đã ghi nhận hoàn thành: " : "Đã ghi nhận phần tham gia: ") + o.name(in: plan)
        }
        await services.fetches.flush()
        let fetched = try await services.repositories.fetches.entries(plan: plan.id, limit: 50)
        let page = DashboardPage.build(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                       today: services.today(plan), chrome: c,
                                       feeds: { services.feedLinks(plan: plan, file: $0) }, fetches: fetched)
        return services.views.render(page)
    }

    func unitPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let unitID = context.parameters.get("unit") ?? ""
        guard ServerServices.matches(unitID), let unit = plan.unit(unitID) else {
            throw HTTPError(.notFound, message: "Không có đơn vị \"\(unitID.prefix(80))\" trong kế hoạch")
        }
        let session = try await auth.session(request, plan: plan)
        let today = services.today(plan)
        let yearText = request.uri.queryParameters["year"].map(String.init)
        let year = yearText.flatMap(Int.init).flatMap { (plan.start.year...plan.end.year).contains($0) ? $0 : nil }
            ?? min(max(today.year, plan.start.year), plan.end.year)
        var c = chrome(plan, session, title: unit.name)
        if let yearText, Int(yearText) != year {
            // A year typed into the address that is not one of the plan's: say which is shown.
            c.error = "Năm \"\(yearText.prefix(10))\" không thuộc kế hoạch (\(plan.start.year)–\(plan.end.year)); đang hiển thị năm \(year)."
        }
        let canWrite = session.map { $0.token.unit == unit.id || $0.token.unit == plan.leadUnit?.id } ?? false
        let page = UnitPage.build(plan: plan, unit: unit, year: year, occurrences: entry.builder.occurrences,
                                  ledger: entry.builder.ledger, today: today, chrome: c, canWrite: canWrite,
                                  feeds: { services.feedLinks(plan: plan, file: $0) })
        return services.views.render(page)
    }

    func occurrencePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let id = context.parameters.getCatchAll().joined(separator: "/")
        guard let o = entry.builder.occurrences.first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "Không có công việc \"\(id.prefix(120))\" trong kế hoạch")
        }
        let session = try await auth.session(request, plan: entry.plan)
        return renderOccurrence(entry, o, session: session)
    }

    /// The occurrence page; after a refused form, with the error and what was typed kept.
    func renderOccurrence(_ entry: PlanRegistry.Entry, _ o: Occurrence, session: WebSession?, error: String? = nil,
                          form: DoneForm? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var c = chrome(entry.plan, session, title: o.name(in: entry.plan))
        c.error = error
        let typed = form.map {
            OccurrencePage.Typed(on: $0.on ?? "", evidence: $0.evidence ?? "", note: $0.note ?? "",
                                 reached: $0.reached ?? "", participants: $0.participants ?? "")
        }
        let page = OccurrencePage.build(plan: entry.plan, occurrence: o, builder: entry.builder,
                                        today: services.today(entry.plan), chrome: c, token: session?.token,
                                        typed: typed, typedUnit: form?.unit)
        return services.views.render(page, status: status)
    }

    func loginPage(_ request: Request, _ context: AppRequestContext, error: String?) async throws -> Response {
        let entry = try await services.entry(context)
        var c = chrome(entry.plan, nil, title: "Đăng nhập")
        c.error = error
        return services.views.render(LoginPage(chrome: c, leadName: entry.plan.leadUnit?.name ?? "đơn vị chủ trì"),
                                     status: error == nil ? .ok : .unauthorized)
    }

    // MARK: - Forms

    struct LoginForm: Decodable { var token: String? }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        guard auth.sameOrigin(request) else { return crossOrigin(entry.plan) }
        let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: try await services.body(request)))
        guard let text = form?.token?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
              let token = try await services.repositories.tokens.verify(text, plan: entry.plan.id) else {
            return try await loginPage(request, context, error: "Mã truy cập không đúng hoặc đã bị thu hồi.")
        }
        var response = Response(status: .seeOther, headers: [.location: "/plans/\(entry.plan.id)/units/\(token.unit)"])
        try await auth.signIn(token, response: &response)
        return response
    }

    struct CSRFForm: Decodable { var csrf: String? }

    func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        guard auth.sameOrigin(request) else { return crossOrigin(entry.plan) }
        let session = try await auth.session(request, plan: entry.plan)
        if let session {
            let form = try? URLEncodedFormDecoder().decode(CSRFForm.self, from: String(buffer: try await services.body(request)))
            guard form?.csrf == session.csrf else {
                return message(entry.plan, session, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                               message: "Mã chống giả mạo (CSRF) không đúng.", back: "/plans/\(entry.plan.id)")
            }
        }
        var response = Response(status: .seeOther, headers: [.location: "/plans/\(entry.plan.id)"])
        try await auth.signOut(session, response: &response)
        return response
    }

    struct DoneForm: Decodable {
        var csrf: String?
        var occurrence: String?
        var unit: String?
        var on: String?
        var evidence: String?
        var note: String?
        var reached: String?
        var participants: String?
        var `return`: String?
    }

    func formDone(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let back = "/plans/\(plan.id)"
        guard auth.sameOrigin(request) else { return crossOrigin(plan) }
        guard let session = try await auth.session(request, plan: plan) else {
            return message(plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                           message: "Hãy đăng nhập bằng mã truy cập của đơn vị.", back: "/plans/\(plan.id)/login")
        }
        let form: DoneForm
        do {
            form = try URLEncodedFormDecoder().decode(DoneForm.self, from: String(buffer: try await services.body(request)))
        } catch let e as APIError { throw e } catch {
            return message(plan, session, status: .badRequest, heading: "Biểu mẫu không hợp lệ",
                           message: "Không đọc được biểu mẫu.", back: back)
        }
        guard form.csrf == session.csrf else {
            return message(plan, session, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                           message: "Mã chống giả mạo (CSRF) không đúng; hãy tải lại trang và thử lại.", back: back)
        }
        do {
            func count(_ text: String?, _ field: String, _ label: String) throws -> Int? {
                guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let n = Int(text) else { throw APIError(.badRequest, "\(label) \"\(text.prefix(20))\" không phải là số", field: field) }
                return n
            }
            let reached = try count(form.reached, "reached", "Số người dân được tiếp cận")
            let participants = try count(form.participants, "participants", "Số người tham gia")
            let evidence = form.evidence?.trimmingCharacters(in: .whitespaces)
            let note = form.note?.trimmingCharacters(in: .whitespacesAndNewlines)
            let details = CompletionService.Details(
                doneOn: try APIBody.date(form.on, field: "on"), evidenceURL: evidence?.isEmpty == false ? evidence : nil,
                note: note?.isEmpty == false ? note : nil, reached: reached, participants: participants)
            let outcome = try await services.markDone(entry, token: session.token, occurrence: form.occurrence, unit: form.unit,
                                                      details: details, correct: false)
            var target = form.return ?? back
            // Only ever redirect within this plan's pages.
            if !(target == back || target.hasPrefix(back + "/")) || target.contains("//") || target.contains("\\")
                || target.contains("?") || target.contains("#") {
                target = back
            }
            let encoded = (form.occurrence ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            var location = "\(target)?ghi-nhan=\(encoded)"
            if case .alreadyRecorded = outcome { location += "&da-co=1" }
            return Response(status: .seeOther, headers: [.location: location])
        } catch {
            let refusal: APIError
            switch error {
            case let e as APIError: refusal = e
            case let e as APIBodyError: refusal = APIError(.badRequest, e.message, field: e.field)
            case let e as CompletionError: refusal = APIError(e)
            default: throw error
            }
            // Back on the occurrence's own form, with the message and everything typed.
            if let id = form.occurrence, let o = entry.builder.occurrences.first(where: { $0.id == id }) {
                return renderOccurrence(entry, o, session: session, error: "Chưa ghi nhận được: \(refusal.message)",
                                        form: form, status: refusal.status)
            }
            return message(plan, session, status: refusal.status, heading: "Chưa ghi nhận được", message: refusal.message, back: back)
        }
    }
}
