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
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "Nội dung gửi lên quá lớn (tối đa \(limit) byte)")
        }
        var request = request
        do { return try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "Nội dung gửi lên quá lớn (tối đa \(limit) byte)")
        }
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

/// A feed's subscribe addresses.
struct FeedLinks: Sendable, Equatable {
    var https: String
    var webcal: String
}

/// HTTP dates and conditional requests (RFC 9110 §13).
enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, e.g. `Sun, 29 Nov 2026 00:00:00 GMT`, without a DateFormatter (one per call
    /// cost a quarter of a 304's CPU).
    static func format(_ t: UTCDateTime) -> String {
        let seconds = t.secondsSinceEpoch
        let days = Int((Double(seconds) / 86400).rounded(.down))
        let day = CivilDate(daysSinceEpoch: days)
        let rest = seconds - days * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(two(day.day)) \(months[day.month - 1]) \(day.year) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) GMT"
    }

    /// Reads an IMF-fixdate; nil for anything else.
    static func parse(_ text: String) -> UTCDateTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let d = Int(parts[1]), let y = Int(parts[3]),
              let m = months.firstIndex(of: String(parts[2])) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (0..<24).contains(hms[0]), (0..<60).contains(hms[1]), (0..<61).contains(hms[2]),
              let day = CivilDate(year: y, month: m + 1, day: d) else { return nil }
        return UTCDateTime(secondsSinceEpoch: UTCDateTime(startOf: day).secondsSinceEpoch + hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    /// If-None-Match wins over If-Modified-Since when both are sent.
    static func notModified(_ headers: HTTPFields, etag: String, lastModified: UTCDateTime) -> Bool {
        notModified(ifNoneMatch: headers[.ifNoneMatch], ifModifiedSince: headers[.ifModifiedSince],
                    etag: etag, lastModified: lastModified)
    }

    /// The same from the two headers' values.
    static func notModified(ifNoneMatch: String?, ifModifiedSince: String?, etag: String, lastModified: UTCDateTime) -> Bool {
        if let inm = ifNoneMatch {
            // The usual case, one tag sent back as it was received: no splitting.
            if inm == etag { return true }
            let tags = inm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains("*") || tags.contains(etag) || tags.contains("W/" + etag)
        }
        if let ims = ifModifiedSince, let since = parse(ims) {
            return lastModified <= since
        }
        return false
    }
}
