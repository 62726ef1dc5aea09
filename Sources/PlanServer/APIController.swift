import Foundation
import Hummingbird
import ICal
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
    }

    struct DoneBody: Decodable {
        var occurrence: String?
        var unit: String?
        var on: String?
        var evidence: String?
        var note: String?
        var reached: Int?
        var participants: Int?
        var correct: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case occurrence, unit, on, evidence, note, reached, participants, correct
        }
    }

    struct UndoBody: Decodable {
        var occurrence: String?
        var unit: String?
        /// Instead of occurrence and unit: the id of an ad hoc record to withdraw.
        var record: Int64?
        var reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case occurrence, unit, record, reason }
    }

    /// Decodes a JSON object body; a field it does not have (a mistyped one, say "evidance")
    /// is an error rather than evidence silently dropped.
    func decode<T: Decodable, Keys: CodingKey & CaseIterable>(_ type: T.Type, keys: Keys.Type, _ buffer: ByteBuffer) throws -> T {
        let allowed = Set(Keys.allCases.map(\.stringValue))
        let data = Data(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            throw APIError(.badRequest, "Nội dung không phải là JSON hợp lệ")
        }
        guard let fields = object as? [String: Any] else {
            throw APIError(.badRequest, "Nội dung phải là một đối tượng JSON {\"trường\": giá trị, …}")
        }
        // Counts and record ids are whole numbers within Int (JSONDecoder's own error for 5.7
        // names no field).
        for key in ["reached", "participants", "record"] {
            guard let n = fields[key] as? NSNumber else { continue }
            let d = n.doubleValue
            if d.rounded() != d || abs(d) >= 9.2e18 {
                throw APIError(.badRequest, "Trường \"\(key.prefix(40))\" phải là một số nguyên", field: String(key.prefix(40)))
            }
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "Không có trường \"\(unknown.prefix(40))\"; các trường: \(allowed.sorted().joined(separator: ", "))",
                           field: String(unknown.prefix(40)))
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch let DecodingError.typeMismatch(_, ctx) {
            throw APIError(.badRequest, "Trường \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" sai kiểu dữ liệu",
                           field: ctx.codingPath.first?.stringValue)
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            // e.g. 5.7 or 1e30 for a count: a number, but not a whole one that fits.
            throw APIError(.badRequest, "Trường \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" phải là một số nguyên",
                           field: ctx.codingPath.first?.stringValue)
        } catch {
            throw APIError(.badRequest, "Nội dung không phải là JSON hợp lệ")
        }
    }

    static func required(_ value: String?, _ field: String) throws -> String {
        guard let v = value?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
            throw APIError(.badRequest, "Thiếu trường bắt buộc \"\(field)\"", field: field)
        }
        return v
    }

    static func date(_ text: String?, field: String) throws -> CivilDate? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = CivilDate(parsing: text) else {
            throw APIError(.badRequest, "\"\(text.prefix(40))\" không phải là ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)", field: field)
        }
        return d
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
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
            id = r.id; action = r.action.rawValue; occurrence = r.occurrenceID; unit = r.unit; on = r.doneOn?.iso
            recordedBy = r.recordedBy; recordedAt = r.recordedAt.iso; evidence = r.evidenceURL; note = r.note
            reached = r.reached; participants = r.participants; reason = r.reason; withdraws = r.withdraws
            alreadyRecorded = already
        }
    }

    func done(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try decode(DoneBody.self, keys: DoneBody.CodingKeys.self, try await services.body(request))
        let details = CompletionService.Details(
            doneOn: try APIController.date(body.on, field: "on"), evidenceURL: body.evidence, note: body.note,
            reached: body.reached, participants: body.participants)
        switch try await services.markDone(entry, token: token, occurrence: body.occurrence, unit: body.unit, details: details,
                                           correct: body.correct ?? false) {
        case let .recorded(r): return try json(RecordJSON(r), status: .created)
        case let .alreadyRecorded(r): return try json(RecordJSON(r, already: true))
        }
    }

    func undo(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        let token = try await auth.bearer(request, plan: entry.plan)
        let body = try decode(UndoBody.self, keys: UndoBody.CodingKeys.self, try await services.body(request))
        let service = services.completionService(entry)
        if let id = body.record {
            guard body.occurrence == nil else {
                throw APIError(.badRequest, "Chỉ dùng một trong hai: occurrence hoặc record", field: "record")
            }
            guard body.unit == nil else {
                throw APIError(.badRequest, "Không dùng unit cùng record: bản ghi đã cho biết đơn vị", field: "unit")
            }
            let reason = try APIController.required(body.reason, "reason")
            let plan = entry.plan
            let r = try await service.withdraw(record: id, reason: reason, recordedBy: token.label, now: UTCDateTime(Date())) {
                do { try Auth.authorize(token, unit: $0.unit, plan: plan) } catch let e as APIError {
                    throw APIError(e.status, e.message, field: "record")
                }
            }
            return try json(RecordJSON(r), status: .created)
        }
        let occurrence = try APIController.required(body.occurrence, "occurrence")
        let unit = try APIController.required(body.unit, "unit")
        let reason = try APIController.required(body.reason, "reason")
        try Auth.authorize(token, unit: unit, plan: entry.plan)
        let r = try await service.undo(occurrence, unit: unit, reason: reason, recordedBy: token.label, now: UTCDateTime(Date()))
        return try json(RecordJSON(r), status: .created)
    }

    /// `?year=` checked against the plan, or the current year.
    static func year(_ request: Request, plan: Plan?) throws -> Int? {
        guard let text = request.uri.queryParameters["year"].map(String.init) else { return nil }
        guard let y = Int(text), (1000...9999).contains(y) else {
            throw APIError(.badRequest, "Năm \"\(text.prefix(10))\" không phải là một số năm (yyyy)", field: "year")
        }
        if let plan, !(plan.start.year...plan.end.year).contains(y) {
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
        return try json(try report(entry, request))
    }

    func complianceCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await services.entry(context, api: true)
        return csv(try report(entry, request).csv(plan: entry.plan), name: "\(entry.plan.id)-compliance.csv")
    }

    func cityJSON(_ request: Request) async throws -> Response {
        try json(try await services.cityReport(request))
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
        CompletionService(plan: entry.plan, occurrences: entry.builder.occurrences, store: repositories.completions)
    }

    /// Records a completion for a signed-in unit (API or form): the fields present, the token
    /// allowed to write for the unit, then the domain's checks.
    func markDone(_ entry: PlanRegistry.Entry, token: UnitToken, occurrence: String?, unit: String?,
                  details: CompletionService.Details, correct: Bool) async throws -> CompletionService.Outcome {
        let occurrence = try APIController.required(occurrence, "occurrence")
        let unit = try APIController.required(unit, "unit")
        try Auth.authorize(token, unit: unit, plan: entry.plan)
        return try await completionService(entry).markDone(
            occurrence, unit: unit, details: details, recordedBy: token.label, correct: correct,
            now: UTCDateTime(Date()), today: today(entry.plan))
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
