import Foundation
import Hummingbird
import ICal
import Logging
import PlanCore

/// What every controller shares: the arguments, the plans, the repositories and the views.
struct ServerServices: Sendable {
    let arguments: ServerArguments
    let registry: PlanRegistry
    let repositories: Repositories
    let fetches: FetchRecorder
    let views: Views
    let logger: Logger
    /// The CalDAV side's items, ETags and sync tokens per collection state, and its notices.
    let caldav = CalDAVState()

    /// True for an id plancal could have made (a plan's, a unit's: `UnitID`'s format): nothing
    /// else reaches a lookup or the file system.
    static func matches(_ s: String) -> Bool { UnitID.isWellFormed(s) }

    /// Today in the plan's time zone (or the date the server was told to use).
    func today(_ plan: Plan) -> CivilDate {
        arguments.today ?? CivilDate(instant: Date(), utcOffsetSeconds: plan.utcOffsetSeconds)
    }

    /// The plan named in the path, or 404 (JSON for programs, a page for people). `forWrite`:
    /// only the plan and its occurrences are needed (a write's checks read the store), so the
    /// records are not brought up to date.
    func entry(_ context: AppRequestContext, api: Bool = false, forWrite: Bool = false) async throws -> PlanRegistry.Entry {
        let id = context.parameters.get("plan") ?? ""
        guard ServerServices.matches(id),
              let entry = try await (forWrite ? registry.planForWrite(id) : registry.current(id)) else {
            let message = "Không có kế hoạch \"\(id.prefix(80))\""
            if api { throw APIError(.notFound, message, field: "plan") }
            throw HTTPError(.notFound, message: message)
        }
        return entry
    }

    /// Collects a body within the limit, or answers 413.
    func body(_ request: Request) async throws -> ByteBuffer {
        let limit = arguments.maxBodyBytes
        return try await Self.body(request, upTo: limit,
                                   refusal: APIError(.contentTooLarge, "Nội dung gửi lên quá lớn (tối đa \(limit) byte)"))
    }

    /// Collects a body of at most `limit` bytes, else throws `refusal`: at once when the
    /// Content-Length says more, or as soon as the bytes read pass the limit.
    static func body(_ request: Request, upTo limit: Int, refusal: @autoclosure () -> any Error) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw refusal() }
        var request = request
        do { return try await request.collectBody(upTo: limit) } catch { throw refusal() }
    }

    /// Where people reach the server: `--base-url`, else the plan's `public_base_url`, else the
    /// address the server listens on. Never the request's Host header, which a client chooses.
    func publicBase(_ plan: Plan?) -> String {
        let base = arguments.baseURL ?? plan?.publicBaseURL ?? "http://\(ServerServices.authority(arguments.host, arguments.port))"
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// `host:port`, with an IPv6 literal in brackets.
    static func authority(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// A feed's https and webcal addresses.
    func feedLinks(plan: Plan, file: String) -> FeedLinks {
        let url = "\(publicBase(plan))/calendars/\(plan.id)/\(file)"
        return FeedLinks(https: url, webcal: "webcal://" + url.drop { $0 != ":" }.dropFirst(3))
    }
}
