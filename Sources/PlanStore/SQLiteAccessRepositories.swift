import Foundation
import GRDB
import ICal
public import PlanCore

/// Unit tokens in SQLite.
public struct SQLiteTokenRepository: TokenRepository {
    let database: AppDatabase

    /// Tokens on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    struct Row: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "token"
        var id: String
        var plan: String
        var unit: String
        var label: String
        var secretHash: String
        var createdAt: Int
        var revokedAt: Int?

        init(id: String, plan: String, unit: String, label: String, secretHash: String, createdAt: Int, revokedAt: Int?) {
            (self.id, self.plan, self.unit, self.label) = (id, plan, unit, label)
            (self.secretHash, self.createdAt, self.revokedAt) = (secretHash, createdAt, revokedAt)
        }

        /// Read by column name (every request with a token reads its row: Codable's decoder
        /// was a tenth of that).
        init(row r: GRDB.Row) throws {
            self.init(id: r["id"], plan: r["plan"], unit: r["unit"], label: r["label"], secretHash: r["secretHash"],
                      createdAt: r["createdAt"], revokedAt: r["revokedAt"])
        }

        /// The token; a unit id plancal would not have written is `StorageError.corrupt`.
        func token() throws -> UnitToken {
            UnitToken(id: id, plan: plan, unit: try UnitID(stored: unit, column: "token.unit"), label: label,
                      createdAt: UTCDateTime(secondsSinceEpoch: createdAt),
                      revokedAt: revokedAt.map(UTCDateTime.init(secondsSinceEpoch:)))
        }
    }

    public func create(plan: String, unit: UnitID, label: String, now: UTCDateTime) async throws -> (secret: String, token: UnitToken) {
        let fresh = TokenSecret.make()
        let row = Row(id: fresh.id, plan: plan, unit: unit.rawValue, label: label, secretHash: fresh.hash,
                      createdAt: now.secondsSinceEpoch, revokedAt: nil)
        try await storage(database) {
            try await database.writable().write { db in try row.insert(db) }
        }
        return (fresh.text, try row.token())
    }

    public func list(plan: String) async throws -> [UnitToken] {
        try await storage(database) {
            try await database.writer.read { db in
                try Row.filter(Column("plan") == plan).order(Column("createdAt"), Column("id")).fetchAll(db).map { try $0.token() }
            }
        }
    }

    public func revoke(id: String, plan: String, now: UTCDateTime) async throws -> Bool {
        try await storage(database) {
            try await database.writable().write { db in
                try db.execute(sql: "UPDATE token SET revokedAt = ? WHERE id = ? AND plan = ? AND revokedAt IS NULL",
                               arguments: [now.secondsSinceEpoch, id, plan])
                return db.changesCount > 0
            }
        }
    }

    public func verify(_ presented: String, plan: String) async throws -> UnitToken? {
        guard let parsed = TokenSecret.parse(presented) else { return nil }
        let row = try await storage(database) {
            try await database.writer.read { db in
                try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE id = ?"), arguments: [parsed.id])
            }
        }
        guard let row, row.plan == plan, row.revokedAt == nil, TokenSecret.matches(parsed.secret, hash: row.secretHash) else {
            return nil
        }
        return try row.token()
    }
}

/// Browser sessions in SQLite: every process on the database sees every session.
public struct SQLiteSessionRepository: SessionRepository {
    let database: AppDatabase

    /// Sessions on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    public func create(for token: UnitToken, now: UTCDateTime, lifetime: Int) async throws -> WebSession {
        let session = WebSession(id: TokenSecret.random(bytes: 32), token: token, csrf: TokenSecret.random(bytes: 16),
                                 expires: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch + lifetime))
        let keep = Self.maxPerToken
        try await storage(database) {
            try await database.writable().write { db in
                try db.execute(sql: "DELETE FROM session WHERE expiresAt <= ?", arguments: [now.secondsSinceEpoch])
                // A token keeps its newest sessions only.
                try db.execute(sql: """
                    DELETE FROM session WHERE tokenID = ?1 AND idHash NOT IN
                      (SELECT idHash FROM session WHERE tokenID = ?1 ORDER BY expiresAt DESC LIMIT ?2)
                    """, arguments: [token.id, keep - 1])
                try db.execute(sql: "INSERT INTO session (idHash, tokenID, csrf, expiresAt) VALUES (?, ?, ?, ?)",
                               arguments: [TokenSecret.hash(session.id), token.id, session.csrf,
                                           session.expires.secondsSinceEpoch])
            }
        }
        return session
    }

    public func session(_ id: String, now: UTCDateTime) async throws -> WebSession? {
        guard id.count == 64, id.allSatisfy(\.isHexDigit) else { return nil }
        let found = try await storage(database) {
            try await database.writer.read { db -> (SQLiteTokenRepository.Row, String, Int)? in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT token.*, session.csrf AS csrf, session.expiresAt AS expiresAt FROM session
                    JOIN token ON token.id = session.tokenID
                    WHERE session.idHash = ? AND session.expiresAt > ? AND token.revokedAt IS NULL
                    """, arguments: [TokenSecret.hash(id), now.secondsSinceEpoch]) else { return nil }
                return (try SQLiteTokenRepository.Row(row: row), row["csrf"], row["expiresAt"])
            }
        }
        guard let (token, csrf, expires) = found else { return nil }
        return WebSession(id: id, token: try token.token(), csrf: csrf, expires: UTCDateTime(secondsSinceEpoch: expires))
    }

    public func remove(_ id: String) async throws {
        try await storage(database) {
            try await database.writable().write { db in
                try db.execute(sql: "DELETE FROM session WHERE idHash = ?", arguments: [TokenSecret.hash(id)])
            }
        }
    }
}
