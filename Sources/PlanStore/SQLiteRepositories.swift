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
    var client: String?

    init(_ r: CompletionRecord) {
        let c = r.columns
        id = r.id
        plan = r.plan
        action = c.action
        occurrenceID = c.occurrenceID
        unit = r.unit.rawValue
        doneOn = c.doneOn
        recordedBy = r.recordedBy
        recordedAt = r.recordedAt.secondsSinceEpoch
        evidenceURL = c.evidenceURL
        note = c.note
        reached = c.reached
        participants = c.participants
        organisations = c.organisations.joined(separator: ",")
        reason = c.reason
        withdraws = c.withdraws
        client = r.client
    }

    /// The record the row holds; a row plancal would not write is an error (`StoredRecordError`).
    func domain() throws -> CompletionRecord {
        try CompletionRecord(
            id: id, plan: plan, unit: unit, recordedBy: recordedBy, recordedAt: UTCDateTime(secondsSinceEpoch: recordedAt),
            columns: .init(action: action, occurrenceID: occurrenceID, doneOn: doneOn, evidenceURL: evidenceURL, note: note,
                           reached: reached, participants: participants,
                           organisations: organisations.isEmpty ? [] : organisations.split(separator: ",").map(String.init),
                           reason: reason, withdraws: withdraws),
            client: client)
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
        client = row["client"]
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
                try RecordRow.filter(Column("plan") == plan).order(Column("id")).fetchAll(db).map { try $0.domain() }
            }
        }
    }

    public func record(_ id: Int64, plan: String) async throws -> CompletionRecord? {
        try await storage(database) {
            try await database.writer.read { db in
                try RecordRow.filter(Column("plan") == plan && Column("id") == id).fetchOne(db)?.domain()
            }
        }
    }

    public func records(plan: String, after: Int64) async throws -> [CompletionRecord] {
        try await storage(database) {
            try await database.writer.read { db in
                try RecordRow.fetchAll(db.cachedStatement(sql: "SELECT * FROM record WHERE plan = ? AND id > ? ORDER BY id"),
                                       arguments: [plan, after]).map { try $0.domain() }
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
