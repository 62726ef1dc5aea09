import Foundation
import Hummingbird
import ICal
import Logging
import PlanCore
import PlanFeed
import PlanStore

/// The routes of `plancal serve`, over the shared pieces.
struct PlanServer: Sendable {
    let arguments: ServerArguments
    let registry: PlanRegistry
    let store: SQLiteCompletionStore
    let tokens: UnitTokens
    let fetches: FetchRecorder
    let sessions: SessionStore
    let views: Views
    let logger: Logger

    static let sessionCookie = "plancal_session"
    static let idPattern = try! NSRegularExpression(pattern: "^[a-z0-9][a-z0-9-]{0,62}$")

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in "ok" }
        router.get("/") { request, context in try await index(request, context) }
        router.get("/calendars/:plan/:file") { request, context in try await feed(request, context, head: false) }
        router.head("/calendars/:plan/:file") { request, context in try await feed(request, context, head: true) }
        router.get("/plans/:plan") { request, context in try await dashboard(request, context) }
        router.get("/plans/:plan/units/:unit") { request, context in try await unitPage(request, context) }
        router.get("/plans/:plan/occurrences/**") { request, context in try await occurrencePage(request, context) }
        router.get("/plans/:plan/login") { request, context in try await loginPage(request, context, error: nil) }
        router.post("/plans/:plan/login") { request, context in try await login(request, context) }
        router.post("/plans/:plan/logout") { request, context in try await logout(request, context) }
        router.post("/plans/:plan/done") { request, context in try await formDone(request, context) }
        router.get("/api/:plan/compliance") { request, context in try await complianceJSON(request, context) }
        router.get("/api/:plan/compliance.csv") { request, context in try await complianceCSV(request, context) }
        router.post("/api/:plan/completions") { request, context in try await apiDone(request, context) }
        router.post("/api/:plan/undo") { request, context in try await apiUndo(request, context) }
    }

    // MARK: - Shared

    /// The plan named in the path, or 404. Ids are checked before any lookup, so no
    /// path segment ever reaches the file system.
    func entry(_ context: AppRequestContext, api: Bool = false) async throws -> PlanRegistry.Entry {
        let id = context.parameters.get("plan") ?? ""
        guard PlanServer.matches(id), let entry = try await registry.current(id) else {
            let message = "Không có kế hoạch \"\(id.prefix(80))\""
            if api { throw APIError(.notFound, message, field: "plan") }
            throw HTTPError(.notFound, message: message)
        }
        return entry
    }

    static func matches(_ s: String) -> Bool {
        idPattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    func today(_ plan: Plan) -> CivilDate {
        arguments.today ?? CivilDate(instant: Date(), utcOffsetSeconds: plan.utcOffsetSeconds)
    }

    /// Collects a body within the limit, or answers 413.
    func body(_ request: Request, api: Bool) async throws -> ByteBuffer {
        let limit = arguments.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "Nội dung gửi lên quá lớn (tối đa \(limit) byte)")
        }
        var request = request
        do { return try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "Nội dung gửi lên quá lớn (tối đa \(limit) byte)")
        }
    }

    // MARK: - Feeds

    func feed(_ request: Request, _ context: AppRequestContext, head: Bool) async throws -> Response {
        let planID = context.parameters.get("plan") ?? ""
        let file = context.parameters.get("file") ?? ""
        guard PlanServer.matches(planID), file.hasSuffix(".ics"), PlanServer.matches(String(file.dropLast(4))),
              let cached = try await registry.feed(plan: planID, file: file) else {
            if PlanServer.matches(planID), try await registry.current(planID) == nil {
                throw APIError(.notFound, "Không có kế hoạch \"\(planID.prefix(80))\"", field: "plan")
            }
            throw APIError(.notFound, "Không có lịch \"\(file.prefix(80))\" trong kế hoạch \"\(planID.prefix(80))\"", field: "file")
        }
        let now = UTCDateTime(Date())
        // Noted in memory before answering (so the dashboard's next view has it); the database
        // write happens later, off the response path: a locked database never holds up a client.
        let agent = String((request.headers[.userAgent] ?? "(không rõ)").prefix(200))
        await fetches.note(plan: planID, feed: file, userAgent: agent, at: now)
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        headers[.eTag] = cached.etag
        headers[.lastModified] = HTTPDate.format(cached.lastModified)
        headers[.cacheControl] = "public, max-age=300"
        headers[.contentDisposition] = "inline; filename=\"\(file)\""
        if HTTPDate.notModified(request.headers, etag: cached.etag, lastModified: cached.lastModified) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(cached.bytes.count)
        if head { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: cached.bytes)))
    }

    // MARK: - API

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

    /// The bearer token's unit, or 401.
    func bearer(_ request: Request, plan: Plan) throws -> UnitToken {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "Cần mã truy cập của đơn vị (Authorization: Bearer …)")
        }
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        let prefix = "bearer "
        guard header.lowercased().hasPrefix(prefix),
              let token = try tokens.verify(String(header.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces), plan: plan.id) else {
            throw APIError(.unauthorized, "Mã truy cập không hợp lệ hoặc đã bị thu hồi")
        }
        return token
    }

    /// A unit's token writes only for its unit; the lead unit's for any unit.
    static func authorize(_ token: UnitToken, unit: String, plan: Plan) throws {
        guard token.unit == unit || token.unit == plan.leadUnit?.id else {
            let own = plan.unit(token.unit)?.name ?? token.unit, other = plan.unit(unit)?.name ?? unit
            throw APIError(.forbidden, "Mã truy cập của \(own) chỉ ghi nhận được cho chính đơn vị mình, không ghi được cho \(other) (chỉ đơn vị chủ trì ghi được cho mọi đơn vị)", field: "unit")
        }
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

    /// Records a completion for a signed-in unit (API or form): the fields present, the token
    /// allowed to write for the unit, then the domain's checks.
    func markDone(_ entry: PlanRegistry.Entry, token: UnitToken, occurrence: String?, unit: String?,
                  details: CompletionService.Details, correct: Bool) async throws -> CompletionService.Outcome {
        let occurrence = try PlanServer.required(occurrence, "occurrence")
        let unit = try PlanServer.required(unit, "unit")
        try PlanServer.authorize(token, unit: unit, plan: entry.plan)
        let service = CompletionService(plan: entry.plan, occurrences: entry.builder.occurrences, store: store)
        let today = today(entry.plan)
        do {
            return try await offload {
                try service.markDone(occurrence, unit: unit, details: details, recordedBy: token.label,
                                     correct: correct, now: UTCDateTime(Date()), today: today)
            }
        } catch let e as CompletionError { throw APIError(e) }
    }

    func apiDone(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context, api: true)
        let token = try bearer(request, plan: entry.plan)
        let body = try decode(DoneBody.self, keys: DoneBody.CodingKeys.self, try await self.body(request, api: true))
        let details = CompletionService.Details(
            doneOn: try PlanServer.date(body.on, field: "on"), evidenceURL: body.evidence, note: body.note,
            reached: body.reached, participants: body.participants)
        switch try await markDone(entry, token: token, occurrence: body.occurrence, unit: body.unit, details: details,
                            correct: body.correct ?? false) {
        case let .recorded(r): return try json(RecordJSON(r), status: .created)
        case let .alreadyRecorded(r): return try json(RecordJSON(r, already: true))
        }
    }

    func apiUndo(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context, api: true)
        let token = try bearer(request, plan: entry.plan)
        let body = try decode(UndoBody.self, keys: UndoBody.CodingKeys.self, try await self.body(request, api: true))
        if let id = body.record {
            guard body.occurrence == nil else {
                throw APIError(.badRequest, "Chỉ dùng một trong hai: occurrence hoặc record", field: "record")
            }
            guard body.unit == nil else {
                throw APIError(.badRequest, "Không dùng unit cùng record: bản ghi đã cho biết đơn vị", field: "unit")
            }
            let reason = try PlanServer.required(body.reason, "reason")
            let service = CompletionService(plan: entry.plan, occurrences: entry.builder.occurrences, store: store)
            let plan = entry.plan
            do {
                let r = try await offload {
                    try service.withdraw(record: id, reason: reason, recordedBy: token.label, now: UTCDateTime(Date())) {
                        do { try PlanServer.authorize(token, unit: $0.unit, plan: plan) } catch let e as APIError {
                            throw APIError(e.status, e.message, field: "record")
                        }
                    }
                }
                return try json(RecordJSON(r), status: .created)
            } catch let e as CompletionError { throw APIError(e) }
        }
        let occurrence = try PlanServer.required(body.occurrence, "occurrence")
        let unit = try PlanServer.required(body.unit, "unit")
        let reason = try PlanServer.required(body.reason, "reason")
        try PlanServer.authorize(token, unit: unit, plan: entry.plan)
        let service = CompletionService(plan: entry.plan, occurrences: entry.builder.occurrences, store: store)
        do {
            let r = try await offload {
                try service.undo(occurrence, unit: unit, reason: reason, recordedBy: token.label, now: UTCDateTime(Date()))
            }
            return try json(RecordJSON(r), status: .created)
        } catch let e as CompletionError { throw APIError(e) }
    }

    func report(_ entry: PlanRegistry.Entry, _ request: Request) throws -> ComplianceReport {
        let yearText = request.uri.queryParameters["year"].map(String.init)
        let year = try yearText.map { text -> Int in
            guard let y = Int(text) else {
                throw APIError(.badRequest, "Năm \"\(text.prefix(10))\" không phải là một số năm (yyyy)", field: "year")
            }
            guard (entry.plan.start.year...entry.plan.end.year).contains(y) else {
                throw APIError(.badRequest, "Năm \(y) nằm ngoài thời gian của kế hoạch (\(entry.plan.start.year)–\(entry.plan.end.year))", field: "year")
            }
            return y
        }
        return ComplianceReport(plan: entry.plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                today: today(entry.plan), year: year)
    }

    func complianceJSON(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context, api: true)
        return try json(try report(entry, request))
    }

    func complianceCSV(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context, api: true)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(entry.plan.id)-compliance.csv\""
        let text = try report(entry, request).csv(plan: entry.plan)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// HTTP dates and conditional requests (RFC 9110 §13).
enum HTTPDate {
    static func formatter() -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }

    static func format(_ t: UTCDateTime) -> String { formatter().string(from: t.date) }

    static func parse(_ text: String) -> UTCDateTime? { formatter().date(from: text).map(UTCDateTime.init) }

    /// If-None-Match wins over If-Modified-Since when both are sent.
    static func notModified(_ headers: HTTPFields, etag: String, lastModified: UTCDateTime) -> Bool {
        if let inm = headers[.ifNoneMatch] {
            let tags = inm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains("*") || tags.contains(etag) || tags.contains("W/" + etag)
        }
        if let ims = headers[.ifModifiedSince], let since = parse(ims) {
            return lastModified <= since
        }
        return false
    }
}
