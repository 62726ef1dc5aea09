import Foundation
import HTTPTypes
import Hummingbird
import ICal
import PlanAPI
import PlanCore
import PlanDocuments
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
        plans.post(":plan/waive") { request, context in try await formWaive(request, context) }
        plans.get(":plan/report") { request, context in try await reportPage(request, context) }
        plans.get(":plan/annual-report") { request, context in try await annualReport(request, context, docx: false) }
        plans.get(":plan/annual-report.docx") { request, context in try await annualReport(request, context, docx: true) }
    }

    func chrome(_ plan: Plan, _ session: WebSession?, title: String) -> PageChrome {
        services.chrome(plan, session, title: title)
    }

    func message(_ plan: Plan, _ session: WebSession?, status: HTTPResponse.Status, heading: String,
                 message: String, back: String) -> Response {
        services.message(plan, session, status: status, heading: heading, message: message, back: back)
    }

    func crossOrigin(_ plan: Plan) -> Response {
        message(plan, nil, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                message: "Biểu mẫu phải được gửi từ chính trang này.", back: "/plans/\(plan.id)")
    }

    /// True when a signed-in browser may record for an occurrence's owner (the owner's own
    /// code, or the lead unit's).
    static func mayMark(_ session: WebSession?, _ o: Occurrence, plan: Plan, ledger: CompletionLedger) -> Bool {
        guard let unit = session?.token.unit else { return false }
        return (unit == plan.leadUnit?.id || o.responsible.contains(unit)) && ledger.done(o) == nil && ledger.waiver(of: o.id) == nil
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
           let o = entry.builder.occurrences.first(where: { $0.id.rawValue == ok }),
           !entry.builder.ledger.completions(of: o.id).isEmpty {
            let before = request.uri.queryParameters["da-co"] != nil
            // Only the owner's side completes an item; a participating unit records its part.
            let completed = entry.builder.ledger.done(o) != nil
            c.flash = (before ? "Việc này đã được ghi nhận trước đó: "
                       : completed ? "Đã ghi nhận hoàn thành: " : "Đã ghi nhận phần tham gia: ") + o.name(in: plan)
        }
        await services.fetches.flush()
        let fetched = try await services.repositories.fetches.entries(plan: plan.id, limit: 50)
        let ledger = entry.builder.ledger
        let page = DashboardPage.build(plan: plan, occurrences: entry.builder.occurrences, ledger: ledger,
                                       today: services.today(plan), chrome: c,
                                       feeds: { services.feedLinks(plan: plan, file: $0) }, fetches: fetched,
                                       canMark: { DashboardController.mayMark(session, $0, plan: plan, ledger: ledger) })
        return services.views.render(page)
    }

    func reportPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let session = try await auth.session(request, plan: plan)
        let (year, problem) = services.pageYear(request, plan: plan)
        var c = chrome(plan, session, title: "Báo cáo tiến độ năm \(year) — \(plan.issuer)")
        c.error = problem
        let report = ComplianceReport(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                      today: services.today(plan), year: year)
        return services.views.render(ReportPage.build(plan: plan, report: report, ledger: entry.builder.ledger, chrome: c))
    }

    /// A unit's (`?unit=`) or the ward's annual report of `?year=`: the page, or its .docx. A read
    /// view like the compliance report: no sign-in needed.
    func annualReport(_ request: Request, _ context: AppRequestContext, docx: Bool) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let (year, problem) = services.pageYear(request, plan: plan)
        var unit: PlanUnit?
        if let id = request.uri.queryParameters["unit"].map(String.init), !id.isEmpty {
            guard ServerServices.matches(id), let u = plan.unit(named: id) else {
                throw HTTPError(.notFound, message: "Không có đơn vị \"\(id.prefix(80))\" trong kế hoạch")
            }
            unit = u
        }
        let figures = try await services.repositories.figures.figures(plan: plan.id)
        let baselines = try await services.repositories.baselines.baselines(plan: plan.id)
        let today = services.today(plan)
        let (occurrences, ledger) = (entry.builder.occurrences, entry.builder.ledger)
        let document = unit.map {
            WardAnnualReport.unit($0, plan: plan, year: year, occurrences: occurrences, ledger: ledger, figures: figures, today: today)
                .document(plan: plan)
        } ?? WardAnnualReport(plan: plan, year: year, occurrences: occurrences, ledger: ledger, figures: figures, today: today,
                             baselines: baselines)
            .document(plan: plan)
        let query = "year=\(year)" + (unit.map { "&unit=\($0.id)" } ?? "")
        if docx {
            guard problem == nil else { throw HTTPError(.notFound, message: problem!) }
            let bytes = try document.docx(created: today.iso)
            let name = "Báo cáo năm \(year) - \(unit?.name ?? plan.issuer).docx"
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
            var headers = HTTPFields()
            headers[.contentType] = ReportDocument.docxContentType
            headers[.contentDisposition] = "attachment; filename=\"\(document.fileStem).docx\"; filename*=UTF-8''\(encoded)"
            headers[.cacheControl] = "no-store"
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let session = try await auth.session(request, plan: plan)
        var c = chrome(plan, session, title: "Báo cáo năm \(year) — \(unit?.name ?? plan.issuer)")
        c.error = problem
        let controls = AnnualReportPage.controls(plan: plan, year: year, unit: unit,
                                                 docxHref: "/plans/\(plan.id)/annual-report.docx?\(query)")
        return services.views.render(AnnualReportPage.build(document, chrome: c, controls: controls))
    }

    func unitPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let unit = try services.unit(plan, context)
        let session = try await auth.session(request, plan: plan)
        let (year, problem) = services.pageYear(request, plan: plan)
        var c = chrome(plan, session, title: unit.name)
        c.error = problem
        c.flash = services.recordFlash(request, entry: entry)
        let canWrite = session.map { $0.token.unit == unit.id || $0.token.unit == plan.leadUnit?.id } ?? false
        let page = UnitPage.build(plan: plan, unit: unit, year: year, occurrences: entry.builder.occurrences,
                                  ledger: entry.builder.ledger, today: services.today(plan), chrome: c, canWrite: canWrite,
                                  feeds: { services.feedLinks(plan: plan, file: $0) })
        return services.views.render(page)
    }

    func occurrencePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let id = context.parameters.getCatchAll().joined(separator: "/")
        guard let o = entry.builder.occurrences.first(where: { $0.id.rawValue == id }) else {
            throw HTTPError(.notFound, message: "Không có công việc \"\(id.prefix(120))\" trong kế hoạch")
        }
        let session = try await auth.session(request, plan: entry.plan)
        var flash: String?
        if request.uri.queryParameters["khong-ap-dung"] != nil, entry.builder.ledger.waiver(of: o.id) != nil {
            flash = "Đã xác định việc này không áp dụng."
        }
        let unit = request.uri.queryParameters["don-vi"].map(String.init)
        return renderOccurrence(entry, o, session: session, flash: flash, unit: unit)
    }

    /// The occurrence page; after a refused form, with the error and what was typed kept.
    func renderOccurrence(_ entry: PlanRegistry.Entry, _ o: Occurrence, session: WebSession?, error: String? = nil,
                          flash: String? = nil, typed: OccurrencePage.Typed? = nil, unit: String? = nil,
                          status: HTTPResponse.Status = .ok) -> Response {
        var c = chrome(entry.plan, session, title: o.name(in: entry.plan))
        c.error = error
        c.flash = flash
        let page = OccurrencePage.build(plan: entry.plan, occurrence: o, builder: entry.builder,
                                        today: services.today(entry.plan), chrome: c, token: session?.token,
                                        typed: typed, typedUnit: unit)
        return services.views.render(page, status: status)
    }

    func loginPage(_ request: Request, _ context: AppRequestContext, error: String?) async throws -> Response {
        let entry = try await services.entry(context)
        var c = chrome(entry.plan, nil, title: "Đăng nhập")
        c.error = error
        // A sign-in link carries the code in `?ma=`: it only fills the field.
        let preset = request.uri.queryParameters["ma"].map(String.init).flatMap { text -> String? in
            text.count <= 200 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } ? text : nil
        } ?? ""
        return services.views.render(LoginPage(chrome: c, leadName: entry.plan.leadUnit?.name ?? "đơn vị chủ trì",
                                               presetToken: error == nil ? preset : ""),
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

    struct DoneForm: PostedForm, DetailsForm {
        var csrf: String?
        var occurrence: String?
        var unit: String?
        var on: String?
        var evidence: String?
        var note: String?
        var reached: String?
        var participants: String?
        var organisations: [String]?
        var sameDay: String?
        var `return`: String?

        var typed: OccurrencePage.Typed {
            OccurrencePage.Typed(on: on ?? "", evidence: evidence ?? "", note: note ?? "", reached: reached ?? "",
                                 participants: participants ?? "", organisations: FormInput.list(organisations))
        }
    }

    func formDone(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch try await services.gate(request, context, DoneForm.self) {
        case let .refuse(response): return response
        case let .pass(entry, session, form): return try await done(entry, session, form)
        }
    }

    func done(_ entry: PlanRegistry.Entry, _ session: WebSession, _ form: DoneForm) async throws -> Response {
        let plan = entry.plan
        let back = "/plans/\(plan.id)"
        do {
            let details = try form.details(dayLabel: "Ngày hoàn thành")
            let outcome = try await services.markDone(entry, token: session.token, occurrence: form.occurrence, unit: form.unit,
                                                      details: details, correct: false)
            let target = FormInput.localPath(form.return, plan: plan.id, fallback: back)
            let encoded = (form.occurrence ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            var location = "\(target)?ghi-nhan=\(encoded)"
            if case .alreadyRecorded = outcome { location += "&da-co=1" }
            return Response(status: .seeOther, headers: [.location: location])
        } catch {
            let refusal = try ServerServices.refusal(error)
            if refusal.status == .forbidden, refusal.field == "unit" { return services.forbidden(plan, session, refusal) }
            // Back on the occurrence's own form, with the message and everything typed.
            if let id = form.occurrence, let o = entry.builder.occurrences.first(where: { $0.id.rawValue == id }) {
                var typed = form.typed
                typed.askSameDay = refusal.field == "sameDayReach"
                return renderOccurrence(entry, o, session: session, error: "Chưa ghi nhận được: \(refusal.message)",
                                        typed: typed, unit: form.unit, status: refusal.status)
            }
            return message(plan, session, status: refusal.status, heading: "Chưa ghi nhận được", message: refusal.message, back: back)
        }
    }

    struct WaiveForm: PostedForm {
        var csrf: String?
        var occurrence: String?
        var reason: String?
    }

    /// The lead unit declares an occurrence not applicable, with a reason.
    func formWaive(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch try await services.gate(request, context, WaiveForm.self) {
        case let .refuse(response): return response
        case let .pass(entry, session, form): return try await waive(entry, session, form)
        }
    }

    func waive(_ entry: PlanRegistry.Entry, _ session: WebSession, _ form: WaiveForm) async throws -> Response {
        let plan = entry.plan
        guard let id = form.occurrence, let o = entry.builder.occurrences.first(where: { $0.id.rawValue == id }) else {
            throw HTTPError(.notFound, message: "Không có công việc \"\((form.occurrence ?? "").prefix(120))\" trong kế hoạch")
        }
        guard session.token.unit == plan.leadUnit?.id else {
            return services.forbidden(plan, session, APIError(.forbidden, "Chỉ \(plan.leadUnit?.name ?? "đơn vị chủ trì") xác định được một việc không áp dụng."))
        }
        do {
            _ = try await services.completionService(entry).waive(o.id.rawValue, reason: form.reason ?? "", recordedBy: session.token.label,
                                                                  now: UTCDateTime(Date()))
            return Response(status: .seeOther, headers: [.location: "/plans/\(plan.id)/occurrences/\(o.id)?khong-ap-dung=1"])
        } catch {
            let refusal = try ServerServices.refusal(error)
            return renderOccurrence(entry, o, session: session, error: "Chưa ghi nhận được: \(refusal.message)",
                                    typed: OccurrencePage.Typed(reason: form.reason ?? ""), status: refusal.status)
        }
    }
}
