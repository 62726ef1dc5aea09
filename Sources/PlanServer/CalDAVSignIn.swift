import Foundation
import Hummingbird
import PlanCore

/// Who a CalDAV request acts for: HTTP Basic with the unit id (or `plan/unit`) as the user name
/// and the unit's access code as the password, checked on every request (a revoked code is
/// refused at once).
struct CalDAVSignIn: Sendable {
    let token: UnitToken
    let snapshot: PlanSnapshot
    var plan: Plan { snapshot.plan }
    var unitName: String { plan.name(of: token.unit) }

    static func check(_ request: Request, services: ServerServices) async throws -> CalDAVSignIn {
        let prefix = "basic "
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix(prefix),
              let data = Data(base64Encoded: header.dropFirst(prefix.count).trimmedOfWhitespace),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            throw unauthorized("Cần đăng nhập: tên đăng nhập là mã đơn vị (ví dụ vhxh, hoặc kế-hoạch/đơn-vị như bach-dang/vhxh), mật khẩu là mã truy cập của đơn vị")
        }
        let user = text[..<colon], code = String(text[text.index(after: colon)...])
        let parts = user.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(ServerServices.matches), !code.isEmpty else {
            throw unauthorized("Tên đăng nhập \"\(user.prefix(80))\" không phải là mã đơn vị (ví dụ vhxh) hoặc kế-hoạch/đơn-vị (ví dụ bach-dang/vhxh)")
        }
        let unit = parts[parts.count - 1]
        // A user name without the plan: each plan served that has the unit is tried (with a
        // city's plans, `plan/unit` saves the lookups).
        let candidates = parts.count == 2 ? [parts[0]] : try await services.registry.planIDs()
        for id in candidates {
            guard let snapshot = try await services.registry.current(id), snapshot.plan.unit(named: String(unit)) != nil else { continue }
            if let token = try await services.repositories.tokens.verify(code, plan: id), token.unit.rawValue == unit {
                return CalDAVSignIn(token: token, snapshot: snapshot)
            }
        }
        throw unauthorized("Tên đăng nhập hoặc mã truy cập không đúng, hoặc mã đã bị thu hồi")
    }

    /// 401 with the challenge (RFC 7617).
    static func unauthorized(_ message: String) -> CalDAVFailure {
        var failure = CalDAVFailure(.unauthorized, nil, message)
        failure.headers[.wwwAuthenticate] = "Basic realm=\"plancal\", charset=\"UTF-8\""
        return failure
    }
}
