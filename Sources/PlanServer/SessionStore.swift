import Foundation
import ICal
import PlanStore

/// A signed-in browser: which token (so which unit) it acts for, and its CSRF token.
struct WebSession: Sendable {
    var token: UnitToken
    var csrf: String
    var expires: Date
}

/// Browser sessions, in memory (a restart signs everyone out, which is acceptable for a ward office).
actor SessionStore {
    private var sessions: [String: WebSession] = [:]
    static let lifetime: TimeInterval = 8 * 3600

    static func random(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    func create(for token: UnitToken) -> (id: String, session: WebSession) {
        let id = SessionStore.random(32)
        let session = WebSession(token: token, csrf: SessionStore.random(16), expires: Date().addingTimeInterval(SessionStore.lifetime))
        sessions[id] = session
        if sessions.count > 10_000 { sessions = sessions.filter { $0.value.expires > Date() } }
        return (id, session)
    }

    func session(_ id: String) -> WebSession? {
        guard let s = sessions[id] else { return nil }
        guard s.expires > Date() else {
            sessions[id] = nil
            return nil
        }
        return s
    }

    func remove(_ id: String) { sessions[id] = nil }
}
