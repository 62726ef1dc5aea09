import Hummingbird

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
