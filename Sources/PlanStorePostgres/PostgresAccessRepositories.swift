import ICal
import Logging
public import PlanCore
import PlanStore
import PostgresNIO

// Times and text order as in PostgresRepositories.swift.

/// Unit tokens on PostgreSQL (only a digest of each secret).
public struct PostgresTokenRepository: TokenRepository {
    let database: PostgresDatabase

    /// Tokens on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    static let columns = """
        token.id, token.plan, token.unit, token.label, token.secret_hash,
        extract(epoch FROM token.created_at)::bigint, extract(epoch FROM token.revoked_at)::bigint
        """
    typealias Columns = (String, String, String, String, String, Int, Int?)

    /// The token of a row; a unit id plancal would not have written is `StorageError.corrupt`.
    static func token(_ c: Columns) throws -> UnitToken {
        UnitToken(id: c.0, plan: c.1, unit: try UnitID(stored: c.2, column: "token.unit"), label: c.3, createdAt: UTCDateTime(secondsSinceEpoch: c.5),
                  revokedAt: c.6.map(UTCDateTime.init(secondsSinceEpoch:)))
    }

    public func create(plan: String, unit: UnitID, label: String, now: UTCDateTime) async throws -> (secret: String, token: UnitToken) {
        let fresh = TokenSecret.make()
        try await database.withConnection { [logger = database.logger] connection in
            try await connection.query("""
                INSERT INTO token (id, plan, unit, label, secret_hash, created_at)
                VALUES (\(fresh.id), \(plan), \(unit.rawValue), \(label), \(fresh.hash), to_timestamp(\(now.secondsSinceEpoch)))
                """, logger: logger).drain()
        }
        return (fresh.text, UnitToken(id: fresh.id, plan: plan, unit: unit, label: label, createdAt: now))
    }

    public func list(plan: String) async throws -> [UnitToken] {
        try await database.withConnection { [logger = database.logger] connection in
            var out: [UnitToken] = []
            for try await c in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM token WHERE plan = \(plan) ORDER BY created_at, id COLLATE "C"
                """, logger: logger).decode(Columns.self) {
                out.append(try Self.token(c))
            }
            return out
        }
    }

    public func revoke(id: String, plan: String, now: UTCDateTime) async throws -> Bool {
        try await database.withConnection { [logger = database.logger] connection in
            var revoked = false
            for try await _ in try await connection.query("""
                UPDATE token SET revoked_at = to_timestamp(\(now.secondsSinceEpoch))
                WHERE id = \(id) AND plan = \(plan) AND revoked_at IS NULL RETURNING id
                """, logger: logger) {
                revoked = true
            }
            return revoked
        }
    }

    public func verify(_ presented: String, plan: String) async throws -> UnitToken? {
        guard let parsed = TokenSecret.parse(presented) else { return nil }
        let found = try await database.withConnection { [logger = database.logger] connection in
            var found: UnitToken?, hash = ""
            for try await c in try await connection.query("SELECT \(unescaped: Self.columns) FROM token WHERE id = \(parsed.id)",
                                                          logger: logger).decode(Columns.self) {
                found = try Self.token(c)
                hash = c.4
            }
            return found.map { ($0, hash) }
        }
        guard let (token, hash) = found, token.plan == plan, token.revokedAt == nil,
              TokenSecret.matches(parsed.secret, hash: hash) else { return nil }
        return token
    }
}

/// Browser sessions on PostgreSQL: every instance sees every session.
public struct PostgresSessionRepository: SessionRepository {
    let database: PostgresDatabase

    /// Sessions on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    public func create(for token: UnitToken, now: UTCDateTime, lifetime: Int) async throws -> WebSession {
        let session = WebSession(id: TokenSecret.random(bytes: 32), token: token, csrf: TokenSecret.random(bytes: 16),
                                 expires: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch + lifetime))
        let keep = Self.maxPerToken - 1
        try await database.transaction { [logger = database.logger] connection in
            // One token's sign-ins one at a time, so none of them keeps more than the most.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('session'), hashtext(\(token.id)))",
                                       logger: logger).drain()
            try await connection.query("DELETE FROM session WHERE expires_at <= to_timestamp(\(now.secondsSinceEpoch))",
                                       logger: logger).drain()
            try await connection.query("""
                DELETE FROM session WHERE token_id = \(token.id) AND id_hash NOT IN
                  (SELECT id_hash FROM session WHERE token_id = \(token.id) ORDER BY expires_at DESC LIMIT \(keep))
                """, logger: logger).drain()
            try await connection.query("""
                INSERT INTO session (id_hash, token_id, csrf, expires_at)
                VALUES (\(TokenSecret.hash(session.id)), \(token.id), \(session.csrf),
                        to_timestamp(\(session.expires.secondsSinceEpoch)))
                """, logger: logger).drain()
        }
        return session
    }

    public func session(_ id: String, now: UTCDateTime) async throws -> WebSession? {
        guard id.count == 64, id.allSatisfy(\.isHexDigit) else { return nil }
        return try await database.withConnection { [logger = database.logger] connection in
            var found: WebSession?
            for try await (t0, t1, t2, t3, t4, t5, t6, csrf, expires) in try await connection.query("""
                SELECT \(unescaped: PostgresTokenRepository.columns), session.csrf, extract(epoch FROM session.expires_at)::bigint
                FROM session JOIN token ON token.id = session.token_id
                WHERE session.id_hash = \(TokenSecret.hash(id)) AND session.expires_at > to_timestamp(\(now.secondsSinceEpoch))
                  AND token.revoked_at IS NULL
                """, logger: logger).decode((String, String, String, String, String, Int, Int?, String, Int).self) {
                found = WebSession(id: id, token: try PostgresTokenRepository.token((t0, t1, t2, t3, t4, t5, t6)), csrf: csrf,
                                   expires: UTCDateTime(secondsSinceEpoch: expires))
            }
            return found
        }
    }

    public func remove(_ id: String) async throws {
        try await database.withConnection { [logger = database.logger] connection in
            try await connection.query("DELETE FROM session WHERE id_hash = \(TokenSecret.hash(id))", logger: logger).drain()
        }
    }
}
