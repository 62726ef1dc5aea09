import Foundation
import Hummingbird
import ICal
import PlanAPI
import PlanCore
import PlanFeed

/// The JSON API under `/api`: compliance of a plan (JSON, CSV), completions and undos with a
/// unit's bearer token, and the city roll-up across every plan served.
struct APIController: Sendable {
    let services: ServerServices
    var auth: Auth { Auth(services: services) }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("city.json") { request, _ in try await cityJSON(request) }
        group.get("city.csv") { request, _ in try await cityCSV(request) }
        group.get(":plan/compliance") { request, context in try await complianceJSON(request, context) }
        group.get(":plan/compliance.csv") { request, context in try await complianceCSV(request, context) }
        group.post(":plan/completions") { request, context in try await done(request, context) }
        group.post(":plan/undo") { request, context in try await undo(request, context) }
        group.get(":plan/indicators") { request, context in try await indicatorsJSON(request, context) }
        group.get(":plan/indicators.csv") { request, context in try await indicatorsCSV(request, context) }
        group.post(":plan/figures") { request, context in try await figures(request, context) }
        group.post(":plan/baselines") { request, context in try await baselines(request, context) }
    }

    /// A JSON answer (sorted keys): the API's, and `/ready`'s.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    struct RecordJSON: Encodable {
        var id: Int64?
        var action: String
        var occurrence: String?
        var unit: String
        var on: String?
        var recordedBy: String
        var recordedAt: String
        var evidence: String?
        var note: String?
        var reached: Int?
        var participants: Int?
        var reason: String?
        var withdraws: Int64?
        var alreadyRecorded: Bool

        init(_ r: CompletionRecord, already: Bool = false) {
            id = r.id; action = r.action.rawValue; occurrence = r.occurrenceID?.rawValue; unit = r.unit.rawValue; on = r.doneOn?.iso
            recordedBy = r.recordedBy; recordedAt = r.recordedAt.iso; evidence = r.evidenceURL; note = r.note
            reached = r.reached; participants = r.participants; reason = r.reason; withdraws = r.withdraws
            alreadyRecorded = already
        }
    }

    func done(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true, forWrite: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try APIBody.decode(DoneBody.self, keys: DoneBody.CodingKeys.self, Data(try await services.body(request).readableBytesView))
        switch try await services.markDone(entry, token: token, occurrence: body.occurrence, unit: body.unit, details: try body.details(),
                                           correct: body.correct ?? false) {
        case let .recorded(r): return try Self.json(RecordJSON(r), status: .created)
        case let .alreadyRecorded(r): return try Self.json(RecordJSON(r, already: true))
        }
    }

    func undo(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true, forWrite: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try APIBody.decode(UndoBody.self, keys: UndoBody.CodingKeys.self, Data(try await services.body(request).readableBytesView))
        let service = services.completionService(entry)
        if let id = body.record {
            guard body.occurrence == nil else {
                throw APIError(.badRequest, "Chỉ dùng một trong hai: occurrence hoặc record", field: "record")
            }
            guard body.unit == nil else {
                throw APIError(.badRequest, "Không dùng unit cùng record: bản ghi đã cho biết đơn vị", field: "unit")
            }
            let reason = try APIBody.required(body.reason, "reason")
            let plan = entry.plan
            let r = try await service.withdraw(record: id, reason: reason, recordedBy: token.label, now: UTCDateTime(Date())) {
                do { try Auth.authorize(token, unit: $0.unit, plan: plan) } catch let e as APIError {
                    throw APIError(e.status, e.message, field: "record")
                }
            }
            return try Self.json(RecordJSON(r), status: .created)
        }
        let occurrence = try APIBody.required(body.occurrence, "occurrence")
        let unit = try APIBody.required(body.unit, "unit")
        let reason = try APIBody.required(body.reason, "reason")
        try Auth.authorize(token, unitText: unit, plan: entry.plan)
        let r = try await service.undo(occurrence, unit: unit, reason: reason, recordedBy: token.label, now: UTCDateTime(Date()))
        return try Self.json(RecordJSON(r), status: .created)
    }

    /// `?year=` checked against the plan, or the current year.
    static func year(_ request: Request, plan: Plan?) throws -> Int? {
        guard let text = request.uri.queryParameters["year"].map(String.init) else { return nil }
        guard let y = Int(text), (1000...9999).contains(y) else {
            throw APIError(.badRequest, "Năm \"\(text.prefix(10))\" không phải là một số năm (yyyy)", field: "year")
        }
        if let plan, !plan.years.contains(y) {
            throw APIError(.badRequest, "Năm \(y) nằm ngoài thời gian của kế hoạch (\(plan.start.year)–\(plan.end.year))", field: "year")
        }
        return y
    }

    func report(_ entry: PlanRegistry.Entry, _ request: Request) throws -> ComplianceReport {
        ComplianceReport(plan: entry.plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                         today: services.today(entry.plan), year: try APIController.year(request, plan: entry.plan))
    }

    func complianceJSON(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        return try Self.json(try report(entry, request))
    }

    func complianceCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        return csv(try report(entry, request).csv(plan: entry.plan), name: "\(entry.plan.id)-compliance.csv")
    }

    /// Every indicator for `?year=` (the current year by default), from the figures and the
    /// compliance report of the same records.
    func indicators(_ entry: PlanRegistry.Entry, _ request: Request) async throws -> IndicatorReport {
        let compliance = try report(entry, request)
        let figures = try await services.repositories.figures.figures(plan: entry.plan.id)
        let baselines = try await services.repositories.baselines.baselines(plan: entry.plan.id)
        return IndicatorReport(plan: entry.plan, figures: figures, compliance: compliance, year: compliance.year,
                               baselines: baselines)
    }

    func indicatorsJSON(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        return try Self.json(try await indicators(entry, request))
    }

    func indicatorsCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        let report = try await indicators(entry, request)
        return csv(report.csv(plan: entry.plan), name: "\(entry.plan.id)-indicators-\(report.year).csv")
    }

    struct FigureJSON: Encodable {
        var id: Int64?
        var target: String
        var unit: String
        var year: Int
        var values: [String: Double]
        var evidence: String?
        var note: String?
        var recordedBy: String
        var recordedAt: String
    }

    /// Records figures with a unit's bearer token (its own figures; the lead's for any unit).
    func figures(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try APIBody.decode(FigureBody.self, keys: FigureBody.CodingKeys.self,
                                      Data(try await services.body(request).readableBytesView))
        let r = try await services.recordFigures(entry, token: token, target: body.target, unit: body.unit, year: body.year,
                                                 values: body.values, evidence: body.evidence, note: body.note)
        return try Self.json(FigureJSON(id: r.id, target: r.target.rawValue, unit: r.unit.rawValue, year: r.year, values: r.values,
                                   evidence: r.evidenceURL, note: r.note, recordedBy: r.recordedBy,
                                   recordedAt: r.recordedAt.iso), status: .created)
    }

    struct BaselineJSON: Encodable {
        var id: Int64?
        var target: String
        var indicator: String
        var year: Int
        var value: Double
        var evidence: String?
        var note: String?
        var recordedBy: String
        var recordedAt: String
    }

    /// Records an indicator's baseline with the lead unit's bearer token.
    func baselines(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try APIBody.decode(BaselineBody.self, keys: BaselineBody.CodingKeys.self,
                                      Data(try await services.body(request).readableBytesView))
        let target = try APIBody.required(body.target, "target")
        let indicator = try APIBody.required(body.indicator, "indicator")
        guard let year = body.year else { throw APIError(.badRequest, "Thiếu trường bắt buộc \"year\"", field: "year") }
        guard let value = body.value else { throw APIError(.badRequest, "Thiếu trường bắt buộc \"value\"", field: "value") }
        let record = BaselineRecord(plan: entry.plan.id, target: try BaselineValidator.target(target, in: entry.plan),
                                    indicator: indicator, year: year, value: value,
                                    evidenceURL: FormInput.text(body.evidence), note: FormInput.text(body.note),
                                    recordedBy: token.label, recordedAt: UTCDateTime(Date()))
        let r = try await BaselineValidator.append(record, actor: token.unit, plan: entry.plan,
                                                   today: services.today(entry.plan), to: services.repositories.baselines)
        return try Self.json(BaselineJSON(id: r.id, target: r.target.rawValue, indicator: r.indicator, year: r.year, value: r.value,
                                          evidence: r.evidenceURL, note: r.note, recordedBy: r.recordedBy,
                                          recordedAt: r.recordedAt.iso), status: .created)
    }

    func cityJSON(_ request: Request) async throws -> Response {
        try Self.json(try await services.cityReport(request))
    }

    func cityCSV(_ request: Request) async throws -> Response {
        let report = try await services.cityReport(request)
        return csv(report.csv(), name: "city-\(report.year).csv")
    }

    func csv(_ text: String, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension ServerServices {
    /// The completion service of a plan as served.
    func completionService(_ entry: PlanRegistry.Entry) -> CompletionService {
        CompletionService(plan: entry.plan, occurrences: entry.occurrences, store: repositories.completions)
    }

    /// Records a completion for a signed-in unit (API or form): the fields present, the token
    /// allowed to write for the unit, then the domain's checks.
    func markDone(_ entry: PlanRegistry.Entry, token: UnitToken, occurrence: String?, unit: String?,
                  details: CompletionService.Details, correct: Bool) async throws -> CompletionService.Outcome {
        let occurrence = try APIBody.required(occurrence, "occurrence")
        let unit = try APIBody.required(unit, "unit")
        try Auth.authorize(token, unitText: unit, plan: entry.plan)
        return try await completionService(entry).markDone(
            occurrence, unit: unit, details: details, recordedBy: token.label, correct: correct,
            now: UTCDateTime(Date()), today: today(entry.plan), known: try await knownRecords(entry, details))
    }

    /// The plan's records up to date, when a write counts residents reached: another record of
    /// the unit's day that does too is asked about (`CompletionService.Details.sameDayReach`).
    func knownRecords(_ entry: PlanRegistry.Entry, _ details: CompletionService.Details) async throws -> CompletionLedger? {
        guard details.reached != nil else { return nil }
        return try await registry.current(entry.plan.id)?.builder.ledger
    }

    /// Records a target's figures for a signed-in unit (API or form): the fields present, the
    /// token allowed to write for the unit, then the domain's checks; nothing written on refusal.
    func recordFigures(_ entry: PlanRegistry.Entry, token: UnitToken, target: String?, unit: String?, year: Int?,
                       values: [String: Double]?, evidence: String?, note: String?) async throws -> FigureRecord {
        let target = try APIBody.required(target, "target")
        let unit = try APIBody.required(unit, "unit")
        guard let year else { throw APIError(.badRequest, "Thiếu trường bắt buộc \"year\"", field: "year") }
        try Auth.authorize(token, unitText: unit, plan: entry.plan)
        let record = FigureRecord(plan: entry.plan.id, target: try FigureValidator.target(target, in: entry.plan), year: year, unit: try FigureValidator.unit(unit, in: entry.plan), values: values ?? [:],
                                  evidenceURL: FormInput.text(evidence), note: FormInput.text(note),
                                  recordedBy: token.label, recordedAt: UTCDateTime(Date()))
        let stored = try await FigureValidator.append(record, actor: token.unit, plan: entry.plan, to: repositories.figures)
        // The data reports these figures complete (`fulfilled_by: [figures]`) are done too. The
        // figures are read again after the insert: what was stored is written whatever this read does.
        let figures = (try? await repositories.figures.figures(plan: entry.plan.id)) ?? [stored]
        _ = await completionService(entry).completeDataDuties(after: stored, figures: figures, now: UTCDateTime(Date()),
                                                              today: today(entry.plan))
        return stored
    }

    /// The city roll-up of every plan served, for `?year=` (each plan's current year by default).
    func cityReport(_ request: Request) async throws -> CityReport {
        let year = try APIController.year(request, plan: nil)
        let last = try await repositories.fetches.lastFetches()
        var plans: [(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, lastFetch: UTCDateTime?)] = []
        var today: CivilDate?
        for id in try await registry.planIDs() {
            guard let e = try await registry.current(id) else { continue }
            today = today ?? self.today(e.plan)
            plans.append((e.plan, e.builder.occurrences, e.builder.ledger, last[id]))
        }
        return CityReport(plans: plans, today: today ?? arguments.today ?? CivilDate(instant: Date(), utcOffsetSeconds: 0), year: year)
    }
}
