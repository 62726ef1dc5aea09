import Foundation
import GRDB
import ICal
public import PlanCore

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
                        """), arguments: [record.plan, record.target.rawValue, record.year]).map(Self.record)
                    try check(existing)
                    try db.execute(sql: """
                        INSERT INTO figure (plan, target, year, unit, valuesJSON, evidenceURL, note, recordedBy, recordedAt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [record.plan, record.target.rawValue, record.year, record.unit.rawValue, record.valuesJSON,
                                         record.evidenceURL, record.note, record.recordedBy, record.recordedAt.secondsSinceEpoch])
                    stored.id = db.lastInsertedRowID
                    return .commit
                }
                return stored
            }
        }
    }

    static func record(_ row: Row) throws -> FigureRecord {
        FigureRecord(id: row["id"], plan: row["plan"], target: try TargetID(stored: row["target"], column: "figure.target"), year: row["year"], unit: try UnitID(stored: row["unit"], column: "figure.unit"),
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
                    """, arguments: [record.plan, record.target.rawValue, record.indicator, record.year, record.value,
                                     record.evidenceURL, record.note, record.recordedBy, record.recordedAt.secondsSinceEpoch])
                stored.id = db.lastInsertedRowID
                return stored
            }
        }
    }

    static func record(_ row: Row) throws -> BaselineRecord {
        BaselineRecord(id: row["id"], plan: row["plan"], target: try TargetID(stored: row["target"], column: "baseline.target"), indicator: row["indicator"],
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
