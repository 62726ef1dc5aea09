import Foundation
import Hummingbird
import ICal
import PlanCore

/// The indicators page and its figures form: every target's value for a year with its goal,
/// path, state and trend; a signed-in unit records the year's figures it supplies (the lead
/// unit any unit's). The form goes through the same gate as every form (Origin, session, CSRF)
/// and the same domain checks as `POST /api/<plan>/figures`; a refusal writes nothing.
struct IndicatorController: Sendable {
    let services: ServerServices
    var auth: Auth { Auth(services: services) }

    func addRoutes(to router: Router<AppRequestContext>) {
        let plans = router.group("plans")
        plans.get(":plan/indicators") { request, context in try await page(request, context) }
        plans.post(":plan/figures") { request, context in try await postFigures(request, context) }
    }

    /// The indicator reports of `year` and of every year of the plan up to it (for the trends).
    func reports(_ entry: PlanRegistry.Entry, year: Int) async throws -> (IndicatorReport, [IndicatorReport]) {
        let plan = entry.plan
        let today = services.today(plan)
        let figures = try await services.repositories.figures.figures(plan: plan.id)
        func report(_ y: Int) -> IndicatorReport {
            let compliance = ComplianceReport(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                              today: today, year: y)
            return IndicatorReport(plan: plan, figures: figures, compliance: compliance, year: y)
        }
        // Trends run over the years that have begun (and the year shown).
        let last = max(year, min(today.year, plan.end.year))
        let history = (plan.start.year...max(plan.start.year, last)).map(report)
        return (history.first { $0.year == year } ?? report(year), history)
    }

    func render(_ entry: PlanRegistry.Entry, _ session: WebSession?, year: Int, problem: String?, flash: String?,
                error: String? = nil, typed: IndicatorsPage.Typed? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let (report, history) = try await reports(entry, year: year)
        var c = services.chrome(entry.plan, session, title: "Các chỉ tiêu năm \(year)")
        c.error = error ?? problem
        c.flash = flash
        let page = IndicatorsPage.build(plan: entry.plan, report: report, history: history, chrome: c,
                                        signedInUnit: session?.token.unit, typed: typed)
        return services.views.render(page, status: status)
    }

    func page(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let session = try await auth.session(request, plan: entry.plan)
        let (year, problem) = services.pageYear(request, plan: entry.plan)
        var flash: String?
        if let text = request.uri.queryParameters["so-lieu"], let id = Int64(text),
           let r = try await services.repositories.figures.figures(plan: entry.plan.id).first(where: { $0.id == id }) {
            // The message only repeats what the record says.
            flash = "Đã ghi số liệu \(r.target) năm \(r.year) của \(entry.plan.unit(r.unit)?.name ?? r.unit) (bản ghi số liệu số \(id))."
        }
        return try await render(entry, session, year: year, problem: problem, flash: flash)
    }

    struct FiguresForm: PostedForm {
        var csrf: String?
        var target: String?
        var unit: String?
        var year: String?
        var values: [String: String]?
        var evidence: String?
        var note: String?

        var typed: IndicatorsPage.Typed {
            IndicatorsPage.Typed(target: target ?? "", unit: unit ?? "", values: values ?? [:], evidence: evidence ?? "",
                                 note: note ?? "")
        }
    }

    /// A typed figure: digits, a decimal comma or point; thousands written with spaces; no
    /// hexadecimal or exponent (`FigureValue.parse`). Empty: not given.
    static func values(_ typed: [String: String], target: PlanTarget?) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for (key, raw) in typed {
            guard let text = FormInput.text(raw) else { continue }
            let label = target?.figure(key).map { "\($0.label) (\(key))" } ?? key
            guard let v = FigureValue.parse(text) else {
                throw APIError(.badRequest, "Số liệu “\(label)”: \"\(text.prefix(20))\" không phải là một số (viết chữ số, phần thập phân sau dấu phẩy, ví dụ 12 hoặc 3,5)", field: key)
            }
            out[key] = v
        }
        return out
    }

    func postFigures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, FiguresForm)
        switch try await services.gate(request, context, FiguresForm.self) {
        case let .refuse(response): return response
        case let .pass(e, s, f): (entry, session, form) = (e, s, f)
        }
        let plan = entry.plan
        let pageYear = Int(form.year ?? "").flatMap { (plan.start.year...plan.end.year).contains($0) ? $0 : nil }
            ?? min(max(services.today(plan).year, plan.start.year), plan.end.year)
        do {
            guard let yearText = FormInput.text(form.year), let year = Int(yearText) else {
                throw APIError(.badRequest, "Năm: \"\((form.year ?? "").prefix(10))\" không phải là một số năm (yyyy)", field: "year")
            }
            let values = try IndicatorController.values(form.values ?? [:], target: form.target.flatMap(plan.target))
            let r = try await services.recordFigures(entry, token: session.token, target: form.target, unit: form.unit,
                                                     year: year, values: values, evidence: form.evidence, note: form.note)
            return Response(status: .seeOther,
                            headers: [.location: "/plans/\(plan.id)/indicators?year=\(r.year)&so-lieu=\(r.id ?? 0)"])
        } catch {
            let refusal: APIError
            if let e = error as? FigureError { refusal = APIError(e) } else { refusal = try ServerServices.refusal(error) }
            var message = refusal.message
            // Name the figure by its label too: the form shows labels, not ids.
            if let field = refusal.field, let f = form.target.flatMap(plan.target)?.figure(field), !message.contains(f.label) {
                message = "\(f.label) (\(field)): \(message)"
            }
            return try await render(entry, session, year: pageYear, problem: nil, flash: nil,
                                    error: "Chưa ghi được số liệu: \(message)", typed: form.typed, status: refusal.status)
        }
    }
}
