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
        plans.post(":plan/baselines") { request, context in try await postBaseline(request, context) }
    }

    /// The indicator reports of `year` and of every year of the plan up to it (for the trends).
    func reports(_ entry: PlanRegistry.Entry, year: Int) async throws -> (IndicatorReport, [IndicatorReport]) {
        let plan = entry.plan
        let today = services.today(plan)
        let figures = try await services.repositories.figures.figures(plan: plan.id)
        let baselines = try await services.repositories.baselines.baselines(plan: plan.id)
        func report(_ y: Int) -> IndicatorReport {
            let compliance = ComplianceReport(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                              today: today, year: y)
            return IndicatorReport(plan: plan, figures: figures, compliance: compliance, year: y, baselines: baselines)
        }
        // Trends run over the years that have begun (and the year shown).
        let last = max(year, min(today.year, plan.end.year))
        let history = (plan.start.year...max(plan.start.year, last)).map(report)
        return (history.first { $0.year == year } ?? report(year), history)
    }

    func render(_ entry: PlanRegistry.Entry, _ session: WebSession?, year: Int, problem: String?, flash: String?,
                error: String? = nil, typed: IndicatorsPage.Typed? = nil, baselineTyped: IndicatorsPage.BaselineTyped? = nil,
                status: HTTPResponse.Status = .ok) async throws -> Response {
        let (report, history) = try await reports(entry, year: year)
        var c = services.chrome(entry.plan, session, title: "Các chỉ tiêu năm \(year)")
        c.error = error ?? problem
        c.flash = flash
        let page = IndicatorsPage.build(plan: entry.plan, report: report, history: history, chrome: c,
                                        signedInUnit: session?.token.unit, typed: typed, baselineTyped: baselineTyped)
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
            flash = "Đã ghi số liệu \(r.target) năm \(r.year) của \(entry.plan.name(of: r.unit)) (bản ghi số liệu số \(id))."
        }
        if let text = request.uri.queryParameters["ban-dau"], let id = Int64(text),
           let r = try await services.repositories.baselines.baselines(plan: entry.plan.id).first(where: { $0.id == id }) {
            let measure = entry.plan.target(r.target)?.indicators.first { $0.id == r.indicator }?.measure ?? .ratio
            flash = "Đã ghi số liệu ban đầu của \(r.target)/\(r.indicator): năm \(r.year), \(measure.format(r.value)) (bản ghi số liệu ban đầu số \(id))."
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
        let pageYear = services.formYear(form.year, plan: plan)
        do {
            guard let yearText = FormInput.text(form.year), let year = Int(yearText) else {
                throw APIError(.badRequest, "Năm: \"\((form.year ?? "").prefix(10))\" không phải là một số năm (yyyy)", field: "year")
            }
            let values = try IndicatorController.values(form.values ?? [:], target: form.target.flatMap(TargetID.init(rawValue:)).flatMap(plan.target))
            let r = try await services.recordFigures(entry, token: session.token, target: form.target, unit: form.unit,
                                                     year: year, values: values, evidence: form.evidence, note: form.note)
            return Response(status: .seeOther,
                            headers: [.location: "/plans/\(plan.id)/indicators?year=\(r.year)&so-lieu=\(r.id ?? 0)"])
        } catch {
            let refusal: APIError
            if let e = error as? FigureError { refusal = APIError(e) } else { refusal = try ServerServices.refusal(error) }
            var message = refusal.message
            // Name the figure by its label too: the form shows labels, not ids.
            if let field = refusal.field, let f = form.target.flatMap(TargetID.init(rawValue:)).flatMap(plan.target)?.figure(field), !message.contains(f.label) {
                message = "\(f.label) (\(field)): \(message)"
            }
            return try await render(entry, session, year: pageYear, problem: nil, flash: nil,
                                    error: "Chưa ghi được số liệu: \(message)", typed: form.typed, status: refusal.status)
        }
    }

    struct BaselineForm: PostedForm {
        var csrf: String?
        var target: String?
        var indicator: String?
        var year: String?
        var value: String?
        var evidence: String?
        var note: String?
        /// The year the page showed (to come back to it).
        var pageYear: String?

        var typed: IndicatorsPage.BaselineTyped {
            IndicatorsPage.BaselineTyped(target: target ?? "", indicator: indicator ?? "", year: year ?? "",
                                         value: value ?? "", evidence: evidence ?? "", note: note ?? "")
        }
    }

    /// The lead unit records an indicator's baseline: the same gate as the figures form, the
    /// checks of `BaselineValidator`; a refusal comes back on the page with what was typed.
    func postBaseline(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, BaselineForm)
        switch try await services.gate(request, context, BaselineForm.self) {
        case let .refuse(response): return response
        case let .pass(e, s, f): (entry, session, form) = (e, s, f)
        }
        let plan = entry.plan
        let pageYear = services.formYear(form.pageYear, plan: plan)
        do {
            guard let yearText = FormInput.text(form.year), yearText.count == 4, let year = Int(yearText) else {
                throw APIError(.badRequest, "Năm của số liệu ban đầu: \"\((form.year ?? "").prefix(10))\" không phải là một số năm (yyyy)", field: "year")
            }
            guard let valueText = FormInput.text(form.value) else {
                throw APIError(.badRequest, "Thiếu giá trị số liệu ban đầu", field: "value")
            }
            guard let value = FigureValue.parse(valueText) else {
                throw APIError(.badRequest, "Giá trị số liệu ban đầu: \"\(valueText.prefix(20))\" không phải là một số (viết chữ số, phần thập phân sau dấu phẩy, ví dụ 18 hoặc 18,5)", field: "value")
            }
            let record = BaselineRecord(plan: plan.id, target: try BaselineValidator.target(FormInput.text(form.target) ?? "", in: plan),
                                        indicator: FormInput.text(form.indicator) ?? "", year: year, value: value,
                                        evidenceURL: FormInput.text(form.evidence), note: FormInput.text(form.note),
                                        recordedBy: session.token.label, recordedAt: UTCDateTime(Date()))
            let stored = try await BaselineValidator.append(record, actor: session.token.unit, plan: plan,
                                                            today: services.today(plan), to: services.repositories.baselines)
            return Response(status: .seeOther,
                            headers: [.location: "/plans/\(plan.id)/indicators?year=\(pageYear)&ban-dau=\(stored.id ?? 0)"])
        } catch {
            let refusal: APIError
            if let e = error as? BaselineError { refusal = APIError(e) } else { refusal = try ServerServices.refusal(error) }
            return try await render(entry, session, year: pageYear, problem: nil, flash: nil,
                                    error: "Chưa ghi được số liệu ban đầu: \(refusal.message)", baselineTyped: form.typed,
                                    status: refusal.status)
        }
    }
}
