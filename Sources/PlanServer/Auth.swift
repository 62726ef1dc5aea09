import Foundation
import Hummingbird
import ICal
import Logging
import PlanCore

/// Who may act: browser sessions (cookie + CSRF + Origin) and API bearer tokens.
struct Auth: Sendable {
    let services: ServerServices

    static let sessionCookie = "plancal_session"
    /// How long a browser stays signed in, in seconds.
    static let sessionLifetime = 8 * 3600

    /// The signed-in session for this plan, if its token is still live.
    func session(_ request: Request, plan: Plan) async throws -> WebSession? {
        guard let id = request.cookies[Auth.sessionCookie]?.value,
              let s = try await services.repositories.sessions.session(id, now: UTCDateTime(Date())),
              s.token.plan == plan.id else { return nil }
        return s
    }

    /// Opens a session and sets its cookie on the response.
    func signIn(_ token: UnitToken, response: inout Response) async throws {
        let s = try await services.repositories.sessions.create(for: token, now: UTCDateTime(Date()), lifetime: Auth.sessionLifetime)
        response.setCookie(cookie(s.id, maxAge: Auth.sessionLifetime))
    }

    /// Ends the session and clears its cookie.
    func signOut(_ session: WebSession?, response: inout Response) async throws {
        if let session { try await services.repositories.sessions.remove(session.id) }
        response.setCookie(cookie("", maxAge: 0))
    }

    private func cookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: Auth.sessionCookie, value: value, maxAge: maxAge, path: "/",
               secure: services.arguments.secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// Forms are posted from our own pages: a request whose Origin is not this server's —
    /// scheme, host and port — is refused (this also stops signing a victim in with someone
    /// else's token). Without an Origin header, the Referer's origin must be ours, and a request
    /// with neither is refused (OWASP's CSRF guidance: verify the source origin, block when it
    /// cannot be verified); SameSite cookies are not relied on. This server speaks plain HTTP;
    /// behind a proxy, the public base URL's origin is ours too.
    func sameOrigin(_ request: Request) -> Bool {
        var ours: [String] = []
        // HTTP/1's Host header is the request's authority.
        if let authority = request.head.authority?.lowercased() { ours.append("http://\(authority)") }
        if let base = services.arguments.baseURL?.lowercased(), let split = base.range(of: "://") {
            ours.append(String(base[..<split.upperBound]) + String(base[split.upperBound...].split(separator: "/").first ?? ""))
        }
        if let origin = request.headers[.origin]?.lowercased() { return ours.contains(origin) }
        guard let referer = request.headers[.referer], let origin = Auth.origin(of: referer) else { return false }
        return ours.contains(origin)
    }

    /// The origin (`scheme://host[:port]`, lowercased) of an absolute URL; nil for anything else.
    static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = c.host?.lowercased(), !host.isEmpty, c.user == nil, c.password == nil else { return nil }
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(h)" + (c.port.map { ":\($0)" } ?? "")
    }

    /// The bearer token's unit, or 401.
    func bearer(_ request: Request, plan: Plan) async throws -> UnitToken {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "Cần mã truy cập của đơn vị (Authorization: Bearer …)")
        }
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        let prefix = "bearer "
        guard header.lowercased().hasPrefix(prefix),
              let token = try await services.repositories.tokens.verify(
                String(header.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces), plan: plan.id) else {
            throw APIError(.unauthorized, "Mã truy cập không hợp lệ hoặc đã bị thu hồi")
        }
        return token
    }

    /// A unit's token writes only for its unit; the lead unit's for any unit.
    static func authorize(_ token: UnitToken, unit: UnitID, plan: Plan) throws {
        guard token.unit == unit || token.unit == plan.leadUnit?.id else { throw refusal(token, other: plan.name(of: unit), plan: plan) }
    }

    /// The same for a unit a request names as text: a name that is no unit id is another unit's.
    static func authorize(_ token: UnitToken, unitText text: String, plan: Plan) throws {
        if let unit = UnitID(rawValue: text) { return try authorize(token, unit: unit, plan: plan) }
        guard token.unit == plan.leadUnit?.id else { throw refusal(token, other: text, plan: plan) }
    }

    private static func refusal(_ token: UnitToken, other: String, plan: Plan) -> APIError {
        APIError(.forbidden, "Mã truy cập của \(plan.name(of: token.unit)) chỉ ghi nhận được cho chính đơn vị mình, không ghi được cho \(other) (chỉ đơn vị chủ trì ghi được cho mọi đơn vị)", field: "unit")
    }
}
