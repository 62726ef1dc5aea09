import Foundation
import ICal
public import PlanCore

extension Repositories {
    /// Repositories in memory, for tests and dry runs.
    public static func inMemory() -> Repositories {
        let tokens = InMemoryTokenRepository()
        return Repositories(completions: InMemoryCompletionRepository(), tokens: tokens,
                            sessions: InMemorySessionRepository(tokens: tokens), fetches: InMemoryFetchLogRepository(),
                            figures: InMemoryFigureRepository(), baselines: InMemoryBaselineRepository())
    }
}

/// Unit tokens in memory.
public actor InMemoryTokenRepository: TokenRepository {
    private var rows: [(token: UnitToken, hash: String)] = []

    /// No tokens.
    public init() {}

    public func create(plan: String, unit: UnitID, label: String, now: UTCDateTime) -> (secret: String, token: UnitToken) {
        let fresh = TokenSecret.make()
        let token = UnitToken(id: fresh.id, plan: plan, unit: unit, label: label, createdAt: now)
        rows.append((token, fresh.hash))
        return (fresh.text, token)
    }

    public func list(plan: String) -> [UnitToken] { rows.map(\.token).filter { $0.plan == plan } }

    public func revoke(id: String, plan: String, now: UTCDateTime) -> Bool {
        guard let i = rows.firstIndex(where: { $0.token.id == id && $0.token.plan == plan && $0.token.revokedAt == nil }) else {
            return false
        }
        rows[i].token.revokedAt = now
        return true
    }

    public func verify(_ presented: String, plan: String) -> UnitToken? {
        guard let parsed = TokenSecret.parse(presented),
              let row = rows.first(where: { $0.token.id == parsed.id }), row.token.plan == plan,
              row.token.revokedAt == nil, TokenSecret.matches(parsed.secret, hash: row.hash) else { return nil }
        return row.token
    }

    func live(id: String) -> UnitToken? { rows.first { $0.token.id == id && $0.token.revokedAt == nil }?.token }
}

/// Browser sessions in memory.
public actor InMemorySessionRepository: SessionRepository {
    private var sessions: [String: (tokenID: String, csrf: String, expires: UTCDateTime)] = [:]
    private let tokens: InMemoryTokenRepository

    /// Sessions over tokens kept in memory.
    public init(tokens: InMemoryTokenRepository) { self.tokens = tokens }

    public func create(for token: UnitToken, now: UTCDateTime, lifetime: Int) -> WebSession {
        sessions = sessions.filter { $0.value.expires > now }
        let mine = sessions.filter { $0.value.tokenID == token.id }.sorted { $0.value.expires > $1.value.expires }
        for (old, _) in mine.dropFirst(Self.maxPerToken - 1) { sessions[old] = nil }
        let s = WebSession(id: TokenSecret.random(bytes: 32), token: token, csrf: TokenSecret.random(bytes: 16),
                           expires: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch + lifetime))
        sessions[TokenSecret.hash(s.id)] = (token.id, s.csrf, s.expires)
        return s
    }

    public func session(_ id: String, now: UTCDateTime) async -> WebSession? {
        guard let s = sessions[TokenSecret.hash(id)], s.expires > now, let token = await tokens.live(id: s.tokenID) else {
            return nil
        }
        return WebSession(id: id, token: token, csrf: s.csrf, expires: s.expires)
    }

    public func remove(_ id: String) { sessions[TokenSecret.hash(id)] = nil }
}

/// The feed fetch log in memory.
public actor InMemoryFetchLogRepository: FetchLogRepository {
    private var rows: [FeedFetch] = []

    /// An empty log.
    public init() {}

    public func record(_ fetches: [FeedFetch]) {
        for f in fetches {
            if let i = rows.firstIndex(where: { $0.plan == f.plan && $0.feed == f.feed && $0.userAgent == f.userAgent }) {
                rows[i].lastAt = max(rows[i].lastAt, f.lastAt)
                rows[i].count += f.count
            } else {
                rows.append(f)
            }
        }
    }

    public func prune(plan: String, keep: Int) {
        let mine = rows.filter { $0.plan == plan }.sorted { $0.lastAt > $1.lastAt }
        let kept = Set(mine.prefix(keep).map { "\($0.feed)\u{1}\($0.userAgent)" })
        rows.removeAll { $0.plan == plan && !kept.contains("\($0.feed)\u{1}\($0.userAgent)") }
    }

    public func entries(plan: String, limit: Int) -> [FeedFetch] {
        Array(rows.filter { $0.plan == plan }
            .sorted { ($0.lastAt, $1.feed, $1.userAgent) > ($1.lastAt, $0.feed, $0.userAgent) }.prefix(limit))
    }

    public func lastFetches() -> [String: UTCDateTime] {
        var out: [String: UTCDateTime] = [:]
        for r in rows { out[r.plan] = max(out[r.plan] ?? r.lastAt, r.lastAt) }
        return out
    }
}

/// Figure records in memory.
public actor InMemoryFigureRepository: FigureRepository {
    private var rows: [FigureRecord] = []

    /// No records.
    public init() {}

    /// The check and the insert in one actor turn.
    public func append(_ record: FigureRecord, check: @escaping @Sendable ([FigureRecord]) throws -> Void) throws -> FigureRecord {
        try check(rows.filter { $0.plan == record.plan && $0.target == record.target && $0.year == record.year })
        var r = record
        r.id = Int64(rows.count + 1)
        rows.append(r)
        return r
    }

    public func figures(plan: String) -> [FigureRecord] { rows.filter { $0.plan == plan } }
}

/// Baseline records in memory.
public actor InMemoryBaselineRepository: BaselineRepository {
    private var rows: [BaselineRecord] = []

    /// No records.
    public init() {}

    public func append(_ record: BaselineRecord) -> BaselineRecord {
        var r = record
        r.id = Int64(rows.count + 1)
        rows.append(r)
        return r
    }

    public func baselines(plan: String) -> [BaselineRecord] { rows.filter { $0.plan == plan } }
}
