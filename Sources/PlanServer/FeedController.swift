import Foundation
import Hummingbird
import ICal
import PlanCore

/// `/calendars/<plan>/<file>.ics`: the feeds people subscribe to, with validators (ETag,
/// Last-Modified, 304) and a note of which client fetched what.
struct FeedController: Sendable {
    let services: ServerServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(":plan/:file") { request, context in try await feed(request, context) }
    }

    func feed(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let planID = context.parameters.get("plan") ?? ""
        let file = context.parameters.get("file") ?? ""
        guard ServerServices.matches(planID), file.hasSuffix(".ics"), ServerServices.matches(String(file.dropLast(4))),
              let cached = try await services.registry.feed(plan: planID, file: file) else {
            if ServerServices.matches(planID), try await services.registry.current(planID) == nil {
                throw APIError(.notFound, "Không có kế hoạch \"\(planID.prefix(80))\"", field: "plan")
            }
            throw APIError(.notFound, "Không có lịch \"\(file.prefix(80))\" trong kế hoạch \"\(planID.prefix(80))\"", field: "file")
        }
        // Noted in memory before answering (so the dashboard's next view has it); the database
        // write happens later, off the response path: a locked database never holds up a client.
        let agent = request.headers[.userAgent] ?? "(không rõ)"
        await services.fetches.note(plan: planID, feed: file, userAgent: agent, at: UTCDateTime(Date()))
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        headers[.eTag] = cached.etag
        headers[.lastModified] = HTTPDate.format(cached.lastModified)
        headers[.cacheControl] = "public, max-age=300"
        headers[.contentDisposition] = "inline; filename=\"\(file)\""
        if HTTPDate.notModified(request.headers, etag: cached.etag, lastModified: cached.lastModified) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(cached.body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: cached.body))
    }
}

/// HEAD answers like GET everywhere (RFC 9110 §9.3.2): the same status and headers, no body.
/// It wraps the router's responder, since the router picks a route by method before any
/// middleware runs.
struct HeadResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == AppRequestContext {
    typealias Context = AppRequestContext
    let inner: Inner

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        var headers = response.headers
        if headers[.contentLength] == nil, let length = response.body.contentLength {
            headers[.contentLength] = String(length)
        }
        // A new response: assigning an empty body would reset Content-Length to 0.
        return Response(status: response.status, headers: headers)
    }
}
