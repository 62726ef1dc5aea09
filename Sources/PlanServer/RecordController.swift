import Foundation
import Hummingbird
import ICal
import PlanCore

/// What a unit records beyond its planned items, and the history: record a news item, a
/// meeting, a training or an obstacle; see a unit's records of a year (and their CSV); open a
/// record to correct or withdraw it with a reason. Writes pass the same checks as the rest.
struct RecordController: Sendable {
    let services: ServerServices
    var auth: Auth { Auth(services: services) }

    func addRoutes(to router: Router<AppRequestContext>) {
        let plans = router.group("plans")
        plans.get(":plan/units/:unit/record/:kind") { request, context in try await recordForm(request, context) }
        plans.post(":plan/record") { request, context in try await postRecord(request, context) }
        plans.get(":plan/units/:unit/history") { request, context in try await historyPage(request, context) }
        plans.get(":plan/units/:unit/history.csv") { request, context in try await historyCSV(request, context) }
        plans.get(":plan/records/:id") { request, context in try await recordPage(request, context) }
        plans.get(":plan/records/:id/correct") { request, context in try await correctForm(request, context) }
        plans.post(":plan/records/:id/correct") { request, context in try await postCorrect(request, context) }
        plans.post(":plan/records/:id/withdraw") { request, context in try await postWithdraw(request, context) }
        plans.post(":plan/records/:id/resolve") { request, context in try await postResolve(request, context) }
    }

    // MARK: - Recording

    static func kind(_ text: String?) throws -> CompletionRecord.AdHocKind {
        guard let text, let kind = CompletionRecord.AdHocKind(rawValue: text) else {
            throw HTTPError(.notFound, message: "Không có loại hoạt động \"\((text ?? "").prefix(20))\" (tin, bài; buổi tuyên truyền; buổi tập huấn; vướng mắc)")
        }
        return kind
    }

    func recordForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let plan = entry.plan
        let unit = try services.unit(plan, context)
        let kind = try RecordController.kind(context.parameters.get("kind"))
        let session = try await auth.session(request, plan: plan)
        guard let session else {
            return services.message(plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                                    message: "Hãy đăng nhập bằng mã truy cập của đơn vị để ghi nhận.", back: "/plans/\(plan.id)/login")
        }
        do { try Auth.authorize(session.token, unit: unit.id, plan: plan) } catch let e as APIError {
            return services.forbidden(plan, session, e)
        }
        let page = RecordFormPage.build(plan: plan, unit: unit, kind: kind, today: services.today(plan),
                                        chrome: services.chrome(plan, session, title: RecordFormPage.heading(kind)), typed: nil)
        return services.views.render(page)
    }

    struct RecordForm: PostedForm, DetailsForm {
        var csrf: String?
        var unit: String?
        var kind: String?
        var on: String?
        var evidence: String?
        var note: String?
        var reached: String?
        var participants: String?
        var organisations: [String]?
        var reason: String?
        var sameDay: String?

        var typed: RecordFormPage.Typed {
            RecordFormPage.Typed(on: on ?? "", evidence: evidence ?? "", note: note ?? "", reached: reached ?? "",
                                 participants: participants ?? "", reason: reason ?? "", organisations: FormInput.list(organisations))
        }
    }

    func postRecord(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, RecordForm)
        switch try await services.gate(request, context, RecordForm.self) {
        case let .refuse(response): return response
        case let .pass(e, s, f): (entry, session, form) = (e, s, f)
        }
        let plan = entry.plan
        guard let unitID = form.unit, let unit = plan.unit(named: unitID) else {
            throw HTTPError(.notFound, message: "Không có đơn vị \"\((form.unit ?? "").prefix(80))\" trong kế hoạch")
        }
        let kind = try RecordController.kind(form.kind)
        do { try Auth.authorize(session.token, unit: unit.id, plan: plan) } catch let e as APIError {
            return services.forbidden(plan, session, e)
        }
        do {
            let details = try form.details(dayLabel: "Ngày")
            let outcome = try await services.completionService(entry).recordAdHoc(
                kind, unit: unit.id.rawValue, details: details, recordedBy: session.token.label,
                now: UTCDateTime(Date()), today: services.today(plan), known: try await services.knownRecords(entry, details))
            return Response(status: .seeOther, headers: [.location: "/plans/\(plan.id)/units/\(unit.id)?ban-ghi=\(outcome.record.id ?? 0)"])
        } catch {
            let refusal = try ServerServices.refusal(error)
            var c = services.chrome(plan, session, title: RecordFormPage.heading(kind))
            c.error = "Chưa ghi nhận được: \(refusal.message)"
            var typed = form.typed
            typed.askSameDay = refusal.field == "sameDayReach"
            let page = RecordFormPage.build(plan: plan, unit: unit, kind: kind, today: services.today(plan), chrome: c,
                                            typed: typed)
            return services.views.render(page, status: refusal.status)
        }
    }

    // MARK: - History

    func history(_ request: Request, _ context: AppRequestContext) async throws
        -> (PlanRegistry.Entry, PlanUnit, year: Int, problem: String?, kind: CompletionRecord.Action?, CompletionHistory) {
        let entry = try await services.entry(context)
        let unit = try services.unit(entry.plan, context)
        let (year, problem) = services.pageYear(request, plan: entry.plan)
        let kindText = request.uri.queryParameters["kind"].map(String.init) ?? ""
        var kind: CompletionRecord.Action?
        if !kindText.isEmpty {
            guard let k = CompletionRecord.Action(rawValue: kindText) else {
                throw HTTPError(.badRequest, message: "Không có loại bản ghi \"\(kindText.prefix(20))\"")
            }
            kind = k
        }
        let history = CompletionHistory(plan: entry.plan, occurrences: entry.builder.occurrences, records: entry.builder.ledger.records,
                                        fulfilled: entry.builder.ledger.fulfilled)
        return (entry, unit, year, problem, kind, history)
    }

    func historyPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, unit, year, problem, kind, history) = try await history(request, context)
        let session = try await auth.session(request, plan: entry.plan)
        var c = services.chrome(entry.plan, session, title: "Lịch sử ghi nhận — \(unit.name)")
        c.error = problem
        c.flash = services.recordFlash(request, entry: entry)
        return services.views.render(HistoryPage.build(plan: entry.plan, unit: unit, year: year, kind: kind, history: history,
                                                       chrome: c, token: session?.token))
    }

    func historyCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, unit, year, _, kind, history) = try await history(request, context)
        let csv = history.csv(history.entries(.init(unit: unit.id.rawValue, year: year, kinds: kind.map { [$0] })))
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(entry.plan.id)-\(unit.id)-\(year)\(kind.map { "-\($0.rawValue)" } ?? "").csv\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    // MARK: - One record

    func record(_ entry: PlanRegistry.Entry, _ context: AppRequestContext) throws -> (CompletionHistory.Entry, CompletionHistory) {
        let text = context.parameters.get("id") ?? ""
        let history = CompletionHistory(plan: entry.plan, occurrences: entry.builder.occurrences, records: entry.builder.ledger.records,
                                        fulfilled: entry.builder.ledger.fulfilled)
        guard let id = Int64(text), let e = history.entries.first(where: { $0.record.id == id }) else {
            throw HTTPError(.notFound, message: "Không có bản ghi số \"\(text.prefix(20))\" trong kế hoạch")
        }
        return (e, history)
    }

    func renderRecord(_ entry: PlanRegistry.Entry, _ e: CompletionHistory.Entry, _ history: CompletionHistory, session: WebSession?,
                      error: String? = nil, flash: String? = nil, reason: String = "", status: HTTPResponse.Status = .ok) -> Response {
        var c = services.chrome(entry.plan, session, title: "Bản ghi số \(e.record.id ?? 0)")
        c.error = error
        c.flash = flash
        return services.views.render(RecordPage.build(plan: entry.plan, entry: e, history: history, occurrences: entry.builder.occurrences,
                                                      ledger: entry.builder.ledger, chrome: c, token: session?.token, reason: reason),
                                     status: status)
    }

    func recordPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let (e, history) = try record(entry, context)
        let session = try await auth.session(request, plan: entry.plan)
        // After a correction, the new record says which one it replaced.
        var flash = request.uri.queryParameters["da-sua"] != nil ? "Đã lưu bản sửa (bản ghi số \(e.record.id ?? 0))." : nil
        if let resolved = request.uri.queryParameters["giai-quyet"].flatMap({ Int64(String($0)) }) {
            flash = "Đã đánh dấu vướng mắc đã giải quyết (bản ghi số \(resolved))."
        }
        return renderRecord(entry, e, history, session: session, flash: flash)
    }

    /// The record, if the signed-in unit may change it; else the refusal page.
    func changeable(_ entry: PlanRegistry.Entry, _ e: CompletionHistory.Entry, _ session: WebSession) -> Response? {
        let plan = entry.plan
        guard e.standing else {
            return services.message(plan, session, status: .conflict, heading: "Không sửa, hủy được",
                                    message: "Bản ghi số \(e.record.id ?? 0) \(e.later ?? "là một lần hủy"): không còn hiệu lực để sửa hay hủy.",
                                    back: "/plans/\(plan.id)/records/\(e.record.id ?? 0)")
        }
        guard RecordPermission.mayChange(e, token: session.token, plan: plan) else {
            let who = e.record.action == .waive ? "Chỉ \(plan.leadUnit?.name ?? "đơn vị chủ trì") hủy được việc xác định không áp dụng."
                : "Mã truy cập của \(plan.name(of: session.token.unit)) không sửa, hủy được bản ghi của \(e.unitName) (chỉ đơn vị đã ghi hoặc đơn vị chủ trì)."
            return services.forbidden(plan, session, APIError(.forbidden, who))
        }
        return nil
    }

    func correctForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context)
        let (e, _) = try record(entry, context)
        guard let session = try await auth.session(request, plan: entry.plan) else {
            return services.message(entry.plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                                    message: "Hãy đăng nhập bằng mã truy cập của đơn vị.", back: "/plans/\(entry.plan.id)/login")
        }
        if let refusal = changeable(entry, e, session) { return refusal }
        return renderCorrection(entry, e, session: session)
    }

    func renderCorrection(_ entry: PlanRegistry.Entry, _ e: CompletionHistory.Entry, session: WebSession, error: String? = nil,
                          typed: RecordFormPage.Typed? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var c = services.chrome(entry.plan, session, title: "Sửa bản ghi số \(e.record.id ?? 0)")
        c.error = error
        let o = entry.builder.occurrences.first { $0.id == e.record.occurrenceID }
        return services.views.render(RecordFormPage.correction(plan: entry.plan, record: e.record, occurrence: o, chrome: c, typed: typed),
                                     status: status)
    }

    func postCorrect(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, RecordForm)
        switch try await services.gate(request, context, RecordForm.self) {
        case let .refuse(response): return response
        case let .pass(en, s, f): (entry, session, form) = (en, s, f)
        }
        let plan = entry.plan
        let (e, _) = try record(entry, context)
        if let refusal = changeable(entry, e, session) { return refusal }
        let r = e.record
        let service = services.completionService(entry)
        let now = UTCDateTime(Date())
        do {
            guard let reason = FormInput.text(form.reason) else { throw CompletionError.missing(field: "reason") }
            let details = try form.details(dayLabel: "Ngày")
            let made: CompletionRecord
            if let occ = r.occurrenceID {
                made = try await service.markDone(occ.rawValue, unit: r.unit.rawValue, details: details, recordedBy: session.token.label,
                                                  correct: true, reason: reason, now: now, today: services.today(plan)).record
            } else {
                let token = session.token
                made = try await service.correctAdHoc(record: r.id ?? 0, details: details, reason: reason,
                                                      recordedBy: token.label, now: now, today: services.today(plan)) {
                    try Auth.authorize(token, unit: $0.unit, plan: plan)
                }
            }
            return Response(status: .seeOther, headers: [.location: "/plans/\(plan.id)/records/\(made.id ?? 0)?da-sua=1"])
        } catch {
            let refusal = try ServerServices.refusal(error)
            return renderCorrection(entry, e, session: session, error: "Chưa lưu được bản sửa: \(refusal.message)", typed: form.typed,
                                    status: refusal.status)
        }
    }

    struct WithdrawForm: PostedForm {
        var csrf: String?
        var reason: String?
    }

    struct ResolveForm: PostedForm {
        var csrf: String?
        var note: String?
    }

    /// The lead unit marks an obstacle resolved, saying how.
    func postResolve(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, ResolveForm)
        switch try await services.gate(request, context, ResolveForm.self) {
        case let .refuse(response): return response
        case let .pass(en, s, f): (entry, session, form) = (en, s, f)
        }
        let plan = entry.plan
        let (e, history) = try record(entry, context)
        guard session.token.unit == plan.leadUnit?.id else {
            return services.forbidden(plan, session, APIError(.forbidden, "Chỉ \(plan.leadUnit?.name ?? "đơn vị chủ trì") đánh dấu được vướng mắc đã giải quyết."))
        }
        do {
            let r = try await services.completionService(entry).resolveObstacle(
                record: e.record.id ?? 0, note: form.note ?? "", recordedBy: session.token.label, now: UTCDateTime(Date()),
                today: services.today(plan))
            return Response(status: .seeOther, headers: [.location: "/plans/\(plan.id)/records/\(e.record.id ?? 0)?giai-quyet=\(r.id ?? 0)"])
        } catch {
            let refusal = try ServerServices.refusal(error)
            return renderRecord(entry, e, history, session: session, error: "Chưa ghi nhận được: \(refusal.message)",
                                reason: form.note ?? "", status: refusal.status)
        }
    }

    func postWithdraw(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (entry, session, form): (PlanRegistry.Entry, WebSession, WithdrawForm)
        switch try await services.gate(request, context, WithdrawForm.self) {
        case let .refuse(response): return response
        case let .pass(en, s, f): (entry, session, form) = (en, s, f)
        }
        let plan = entry.plan
        let (e, history) = try record(entry, context)
        if let refusal = changeable(entry, e, session) { return refusal }
        let r = e.record
        let service = services.completionService(entry)
        let token = session.token
        do {
            let reason = form.reason ?? ""
            let undo: CompletionRecord
            if let occ = r.occurrenceID, r.action == .done, entry.builder.occurrences.contains(where: { $0.id == occ }) {
                // A completion of an occurrence the plan has is withdrawn by occurrence and unit.
                undo = try await service.undo(occ.rawValue, unit: r.unit.rawValue, reason: reason, recordedBy: token.label, now: UTCDateTime(Date()))
            } else {
                undo = try await service.withdraw(record: r.id ?? 0, reason: reason, recordedBy: token.label, now: UTCDateTime(Date())) {
                    try Auth.authorize(token, unit: $0.unit, plan: plan)
                }
            }
            return Response(status: .seeOther, headers: [.location: "/plans/\(plan.id)/units/\(r.unit)/history?year=\(e.day.year)&ban-ghi=\(undo.id ?? 0)"])
        } catch {
            let refusal = try ServerServices.refusal(error)
            return renderRecord(entry, e, history, session: session, error: "Chưa hủy được: \(refusal.message)", reason: form.reason ?? "",
                                status: refusal.status)
        }
    }
}
