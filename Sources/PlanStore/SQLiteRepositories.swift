import Foundation
import GRDB
import ICal
public import PlanCore

/// The row shape of `record`.
struct RecordRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "record"
    var id: Int64?
    var plan: String
    var action: String
    var occurrenceID: String?
    var unit: String
    var doneOn: String?
    var recordedBy: String
    var recordedAt: Int
    var evidenceURL: String?
    var note: String?
    var reached: Int?
    var participants: Int?
    var organisations: String
    var reason: String?
    var withdraws: Int64?

    init(_ r: CompletionRecord) {
        id = r.id
        plan = r.plan
        action = r.action.rawValue
        occurrenceID = r.occurrenceID
        unit = r.unit
        doneOn = r.doneOn?.iso
        recordedBy = r.recordedBy
        recordedAt = r.recordedAt.secondsSinceEpoch
        evidenceURL = r.evidenceURL
        note = r.note
        reached = r.reached
        participants = r.participants
        organisations = r.organisations.joined(separator: ",")
        reason = r.reason
        withdraws = r.withdraws
    }

    var domain: CompletionRecord {
        CompletionRecord(
            id: id, plan: plan, action: CompletionRecord.Action(rawValue: action) ?? .done,
            occurrenceID: occurrenceID, unit: unit, doneOn: doneOn.flatMap(CivilDate.init(parsing:)),
            recordedBy: recordedBy, recordedAt: UTCDateTime(secondsSinceEpoch: recordedAt), evidenceURL: evidenceURL,
            note: note, reached: reached, participants: participants,
            organisations: organisations.isEmpty ? [] : organisations.split(separator: ",").map(String.init),
            reason: reason, withdraws: withdraws)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Decoded by column name, not through Codable's keyed containers: a check or a fold reads
    /// records by the thousand.
    init(row: Row) {
        id = row["id"]
        plan = row["plan"]
        action = row["action"]
        occurrenceID = row["occurrenceID"]
        unit = row["unit"]
        doneOn = row["doneOn"]
        recordedBy = row["recordedBy"]
        recordedAt = row["recordedAt"]
        evidenceURL = row["evidenceURL"]
        note = row["note"]
        reached = row["reached"]
        participants = row["participants"]
        organisations = row["organisations"]
        reason = row["reason"]
        withdraws = row["withdraws"]
    }
}

/// Completion records in SQLite (WAL), the embedded default store. Every access goes through
/// GRDB's async `read`/`write`, which run on GRDB's own queues: a write waiting for another
/// process's lock never holds one of Swift's cooperative threads.
public struct SQLiteCompletionRepository: CompletionRepository {
    let database: AppDatabase

    /// Records on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    public func append(_ record: CompletionRecord,
                       check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome {
        _ = try database.writable()
        return try await database.appends.append(record, check: check, database: database)
    }

    public func records(plan: String) async throws -> [CompletionRecord] {
        try await storage(database) {
            try await database.writer.read { db in
                try RecordRow.filter(Column("plan") == plan).order(Column("id")).fetchAll(db).map(\.domain)
            }
        }
    }

    public func record(_ id: Int64, plan: String) async throws -> CompletionRecord? {
        try await storage(database) {
            try await database.writer.read { db in
                try RecordRow.filter(Column("plan") == plan && Column("id") == id).fetchOne(db)?.domain
            }
        }
    }

    public func records(plan: String, after: Int64) async throws -> [CompletionRecord] {
        try await storage(database) {
            try await database.writer.read { db in
                try RecordRow.fetchAll(db.cachedStatement(sql: "SELECT * FROM record WHERE plan = ? AND id > ? ORDER BY id"),
                                       arguments: [plan, after]).map(\.domain)
            }
        }
    }

    public func versions() async throws -> [String: Int64]? {
        try await storage(database) {
            try await database.writer.read { db in
                var out: [String: Int64] = [:]
                let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT plan, version FROM planVersion"))
                while let row = try rows.next() { out[row[0]] = row[1] }
                return out
            }
        }
    }

    public func version(plan: String) async throws -> Int64 {
        try await storage(database) {
            try await database.writer.read { db in
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM planVersion WHERE plan = ?"),
                                   arguments: [plan]) ?? 0
            }
        }
    }
}

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

        var token: UnitToken {
            UnitToken(id: id, plan: plan, unit: unit, label: label,
                      createdAt: UTCDateTime(secondsSinceEpoch: createdAt),
                      revokedAt: revokedAt.map(UTCDateTime.init(secondsSinceEpoch:)))
        }
    }

    public func create(plan: String, unit: String, label: String, now: UTCDateTime) async throws -> (secret: String, token: UnitToken) {
        let fresh = TokenSecret.make()
        let row = Row(id: fresh.id, plan: plan, unit: unit, label: label, secretHash: fresh.hash,
                      createdAt: now.secondsSinceEpoch, revokedAt: nil)
        try await storage(database) {
            try await database.writable().write { db in try row.insert(db) }
        }
        return (fresh.text, row.token)
    }

    public func list(plan: String) async throws -> [UnitToken] {
        try await storage(database) {
            try await database.writer.read { db in
                try Row.filter(Column("plan") == plan).order(Column("createdAt"), Column("id")).fetchAll(db).map(\.token)
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
            try await database.writer.read { db in try Row.fetchOne(db, key: parsed.id) }
        }
        guard let row, row.plan == plan, row.revokedAt == nil, TokenSecret.matches(parsed.secret, hash: row.secretHash) else {
            return nil
        }
        return row.token
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
        return WebSession(id: id, token: token.token, csrf: csrf, expires: UTCDateTime(secondsSinceEpoch: expires))
    }

    public func remove(_ id: String) async throws {
        try await storage(database) {
            try await database.writable().write { db in
                try db.execute(sql: "DELETE FROM session WHERE idHash = ?", arguments: [TokenSecret.hash(id)])
            }
        }
    }
}

/// The feed fetch log in SQLite.
public struct SQLiteFetchLogRepository: FetchLogRepository {
    let database: AppDatabase

    /// The log on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    public func record(_ fetches: [FeedFetch]) async throws {
        guard !fetches.isEmpty else { return }
        try await storage(database) {
            try await database.writable().write { db in
                for f in fetches {
                    try db.execute(sql: """
                        INSERT INTO feedFetch (plan, feed, userAgent, lastAt, count) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(plan, feed, userAgent) DO UPDATE SET lastAt = MAX(lastAt, excluded.lastAt), count = count + excluded.count
                        """, arguments: [f.plan, f.feed, f.userAgent, f.lastAt.secondsSinceEpoch, f.count])
                }
            }
        }
    }

    public func prune(plan: String, keep: Int) async throws {
        try await storage(database) {
            try await database.writable().write { db in
                try db.execute(sql: """
                    DELETE FROM feedFetch WHERE plan = ? AND rowid NOT IN
                      (SELECT rowid FROM feedFetch WHERE plan = ? ORDER BY lastAt DESC LIMIT ?)
                    """, arguments: [plan, plan, keep])
            }
        }
    }

    public func entries(plan: String, limit: Int) async throws -> [FeedFetch] {
        try await storage(database) {
            try await database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT feed, userAgent, lastAt, count FROM feedFetch WHERE plan = ? ORDER BY lastAt DESC, feed, userAgent LIMIT ?",
                                 arguments: [plan, limit]).map {
                    FeedFetch(plan: plan, feed: $0["feed"], userAgent: $0["userAgent"],
                              lastAt: UTCDateTime(secondsSinceEpoch: $0["lastAt"]), count: $0["count"])
                }
            }
        }
    }

    public func lastFetches() async throws -> [String: UTCDateTime] {
        try await storage(database) {
            try await database.writer.read { db in
                var out: [String: UTCDateTime] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT plan, MAX(lastAt) AS last FROM feedFetch GROUP BY plan") {
                    out[row["plan"]] = UTCDateTime(secondsSinceEpoch: row["last"])
                }
                return out
            }
        }
    }
}

/// Runs a storage call, turning SQLite's failures a person can act on (a full disk, a
/// read-only file, a database that cannot be opened or stays locked) into `StorageError`.
func storage<T>(_ database: AppDatabase, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as DatabaseError {
        if let mapped = database.storageError(error) { throw mapped }
        throw error
    }
}

extension AppDatabase {
    /// The `StorageError` a person can act on for an SQLite failure, if it is one. An I/O
    /// error on a filesystem with no space left is a full disk (SQLite reports a WAL or
    /// journal file it could not create as an I/O error).
    func storageError(_ error: DatabaseError) -> StorageError? {
        let detail = "SQLite: \(error.message ?? "\(error.resultCode)")"
        switch error.resultCode {
        case .SQLITE_FULL: return .full(detail)
        case .SQLITE_READONLY: return .readOnly(detail)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN:
            return AppDatabase.isFull(path) ? .full(detail) : .unavailable(detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CORRUPT, .SQLITE_NOTADB: return .unavailable(detail)
        default: return nil
        }
    }

    /// True when the filesystem holding `path` has (almost) no space left.
    static func isFull(_ path: String?) -> Bool {
        guard let path else { return false }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard let free = (try? FileManager.default.attributesOfFileSystem(forPath: dir))?[.systemFreeSize] as? NSNumber else {
            return false
        }
        return free.int64Value < 64 * 1024
    }
}

/// Figure records in SQLite, append-only (triggers refuse updates and deletes).
public struct SQLiteFigureRepository: FigureRepository {
    let database: AppDatabase

    /// Figures on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    /// The check and the insert in one IMMEDIATE transaction: SQLite's write lock is taken
    /// before the check reads, so no other connection or process stores a record in between.
    public func append(_ record: FigureRecord,
                       check: @escaping @Sendable ([FigureRecord]) throws -> Void) async throws -> FigureRecord {
        try await storage(database) {
            try await database.writable().writeWithoutTransaction { db in
                var stored = record
                try db.inTransaction(.immediate) {
                    let existing = try Row.fetchAll(db.cachedStatement(sql: """
                        SELECT * FROM figure WHERE plan = ? AND target = ? AND year = ? ORDER BY id
                        """), arguments: [record.plan, record.target, record.year]).map(Self.record)
                    try check(existing)
                    try db.execute(sql: """
                        INSERT INTO figure (plan, target, year, unit, valuesJSON, evidenceURL, note, recordedBy, recordedAt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [record.plan, record.target, record.year, record.unit, record.valuesJSON,
                                         record.evidenceURL, record.note, record.recordedBy, record.recordedAt.secondsSinceEpoch])
                    stored.id = db.lastInsertedRowID
                    return .commit
                }
                return stored
            }
        }
    }

    static func record(_ row: Row) -> FigureRecord {
        FigureRecord(id: row["id"], plan: row["plan"], target: row["target"], year: row["year"], unit: row["unit"],
                     values: FigureRecord.values(fromJSON: row["valuesJSON"]) ?? [:],
                     evidenceURL: row["evidenceURL"], note: row["note"], recordedBy: row["recordedBy"],
                     recordedAt: UTCDateTime(secondsSinceEpoch: row["recordedAt"]))
    }

    public func figures(plan: String) async throws -> [FigureRecord] {
        try await storage(database) {
            try await database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM figure WHERE plan = ? ORDER BY id", arguments: [plan]).map(Self.record)
            }
        }
    }
}

/// Baseline records in SQLite, append-only (triggers refuse updates and deletes).
public struct SQLiteBaselineRepository: BaselineRepository {
    let database: AppDatabase

    /// Baselines on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    public func append(_ record: BaselineRecord) async throws -> BaselineRecord {
        try await storage(database) {
            try await database.writable().write { db in
                var stored = record
                try db.execute(sql: """
                    INSERT INTO baseline (plan, target, indicator, year, value, evidenceURL, note, recordedBy, recordedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [record.plan, record.target, record.indicator, record.year, record.value,
                                     record.evidenceURL, record.note, record.recordedBy, record.recordedAt.secondsSinceEpoch])
                stored.id = db.lastInsertedRowID
                return stored
            }
        }
    }

    static func record(_ row: Row) -> BaselineRecord {
        BaselineRecord(id: row["id"], plan: row["plan"], target: row["target"], indicator: row["indicator"],
                       year: row["year"], value: row["value"], evidenceURL: row["evidenceURL"], note: row["note"],
                       recordedBy: row["recordedBy"], recordedAt: UTCDateTime(secondsSinceEpoch: row["recordedAt"]))
    }

    public func baselines(plan: String) async throws -> [BaselineRecord] {
        try await storage(database) {
            try await database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM baseline WHERE plan = ? ORDER BY id", arguments: [plan]).map(Self.record)
            }
        }
    }
}
