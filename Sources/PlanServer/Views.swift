import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The Mustache templates (in `Templates/`, shipped as a resource), rendered to HTML responses.
struct Views: Sendable {
    let library: MustacheLibrary

    init() async throws {
        guard let dir = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw HTTPError(.internalServerError, message: "templates are missing from the bundle")
        }
        library = try await MustacheLibrary(directory: dir.path)
    }

    /// A typed page's HTML text.
    func html<P: Page>(_ page: P) -> String {
        library.render(page, withTemplate: P.template) ?? "<!doctype html><p>template \(P.template) missing</p>"
    }

    /// A typed page as an HTML response.
    func render<P: Page>(_ page: P, status: HTTPResponse.Status = .ok) -> Response {
        let text = html(page)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Pages use no external assets and no scripts.
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // A sign-in link carries its code in the address: it must never leave in a Referer to another
        // site ("no-referrer" would make browsers send "Origin: null" with our own forms).
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
