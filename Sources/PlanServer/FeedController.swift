import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeedCache

/// `/calendars/<plan>/<file>.ics`: the feeds people subscribe to, with validators (ETag,
/// Last-Modified, 304) and a note of which client fetched what.
struct FeedController: Sendable {
    let services: ServerServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(":plan/:file") { request, context in try await feed(request, context) }
        // A feed is read only (HEAD answers like GET, see `HeadResponder`): any other method is
        // 405 with the methods allowed, not a 404 that says the feed is not there.
        for method in [HTTPRequest.Method.post, .put, .patch, .delete, .options] {
            group.on(":plan/:file", method: method) { request, context in try FeedController.notAllowed(request, context) }
        }
    }

    /// 405 with `Allow: GET, HEAD` (RFC 9110 §15.5.6).
    static func notAllowed(_ request: Request, _ context: AppRequestContext) throws -> Response {
        var response = try APIError(.methodNotAllowed, "Lịch chỉ đọc được bằng GET (hoặc HEAD), không nhận \(request.method.rawValue)")
            .response(from: request, context: context)
        response.headers[.allow] = "GET, HEAD"
        return response
    }

    func feed(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let planID = context.parameters.get("plan") ?? ""
        let file = context.parameters.get("file") ?? ""
        let registry = services.registry
        // The hot path: the plan file and the store unchanged since last confirmed, the feed
        // built since; no actor hop, no query. Otherwise the registry brings the plan up to date.
        let found: CachedFeed?
        if let cached = registry.cache.cached(plan: planID, file: file) {
            found = cached
        } else if ServerServices.matches(planID), file.hasSuffix(".ics"), ServerServices.matches(String(file.dropLast(4))) {
            found = try await registry.feed(plan: planID, file: file)
        } else {
            found = nil
        }
        guard let cached = found else {
            if ServerServices.matches(planID), try await registry.current(planID) == nil {
                throw APIError(.notFound, "Không có kế hoạch \"\(planID.prefix(80))\"", field: "plan")
            }
            throw APIError(.notFound, "Không có lịch \"\(file.prefix(80))\" trong kế hoạch \"\(planID.prefix(80))\"", field: "file")
        }
        // Noted in memory before answering (so the dashboard's next view has it); the database
        // write happens later, off the response path: a locked database never holds up a client.
        services.fetches.note(plan: planID, feed: file, userAgent: request.headers[.userAgent] ?? "(không rõ)",
                              at: UTCDateTime(secondsSinceEpoch: Int(time(nil))))
        if FeedController.acceptsGzip(request.headers) {
            let gzip = try registry.cache.gzip(cached, plan: planID, file: file)
            if HTTPDate.notModified(request.headers, etag: gzip.etag, lastModified: cached.lastModified) {
                return Response(status: .notModified, headers: gzip.notModifiedHeaders)
            }
            return Response(status: .ok, headers: gzip.headers, body: .init(byteBuffer: gzip.body))
        }
        if HTTPDate.notModified(request.headers, etag: cached.etag, lastModified: cached.lastModified) {
            return Response(status: .notModified, headers: cached.notModifiedHeaders)
        }
        return Response(status: .ok, headers: cached.headers, body: .init(byteBuffer: cached.body))
    }

    /// True when the client takes gzip (RFC 9110 §12.5.3): `gzip` (or `x-gzip`, or `*`) listed
    /// without `q=0`.
    static func acceptsGzip(_ headers: HTTPFields) -> Bool {
        acceptsGzip(headers[.acceptEncoding])
    }

    /// The same from the header's value.
    static func acceptsGzip(_ value: String?) -> Bool {
        guard let value else { return false }
        var star = false
        for part in value.split(separator: ",") {
            let pieces = part.split(separator: ";")
            guard let name = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased() else { continue }
            var q = 1.0
            for p in pieces.dropFirst() {
                let kv = p.trimmingCharacters(in: .whitespaces)
                if kv.lowercased().hasPrefix("q="), let v = Double(kv.dropFirst(2)) { q = v }
            }
            if name == "gzip" || name == "x-gzip" { return q > 0 }
            if name == "*" { star = q > 0 }
        }
        return star
    }
}
