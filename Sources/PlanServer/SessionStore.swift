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

    static let maxPerToken = 20
    static let maxSessions = 10_000

    /// A new session; a token keeps at most `maxPerToken` (its oldest go first), and the store at
    /// most `maxSessions` (expired, then oldest, go first).
    func create(for token: UnitToken) -> (id: String, session: WebSession) {
        let now = Date()
        let id = SessionStore.random(32)
        let session = WebSession(token: token, csrf: SessionStore.random(16), expires: now.addingTimeInterval(SessionStore.lifetime))
        let mine = sessions.filter { $0.value.token.id == token.id }.sorted { $0.value.expires < $1.value.expires }
        for (old, _) in mine.prefix(max(0, mine.count - SessionStore.maxPerToken + 1)) { sessions[old] = nil }
        if sessions.count >= SessionStore.maxSessions {
            sessions = sessions.filter { $0.value.expires > now }
            let oldest = sessions.sorted { $0.value.expires < $1.value.expires }
            for (old, _) in oldest.prefix(max(0, sessions.count - SessionStore.maxSessions + 1)) { sessions[old] = nil }
        }
        sessions[id] = session
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
