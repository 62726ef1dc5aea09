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
            organisations: organisations.split(separator: ",").map(String.init), reason: reason, withdraws: withdraws)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Completion records in SQLite (WAL), the embedded default store.
public struct SQLiteCompletionStore: CompletionStore {
    let database: AppDatabase

    /// A store on an opened database.
    public init(_ database: AppDatabase) { self.database = database }

    public func append(_ record: CompletionRecord,
                       check: @Sendable ([CompletionRecord]) throws -> Bool) throws -> CompletionRecord? {
        // IMMEDIATE takes the write lock before reading, so the check and the insert are
        // one step even with other processes writing.
        try database.writer.writeWithoutTransaction { db in
            var stored: CompletionRecord?
            try db.inTransaction(.immediate) {
                // The occurrence's records; for an ad hoc record, the unit's ad hoc records of
                // that day and its ad hoc undos (whose day is NULL). Both use an index.
                // Cached statements: this runs once per append.
                let rows: [RecordRow]
                if let occurrence = record.occurrenceID {
                    rows = try RecordRow.fetchAll(db.cachedStatement(sql: """
                        SELECT * FROM record WHERE plan = ? AND occurrenceID = ? ORDER BY id
                        """), arguments: [record.plan, occurrence])
                } else {
                    rows = try RecordRow.fetchAll(db.cachedStatement(sql: """
                        SELECT * FROM record WHERE plan = ?1 AND occurrenceID IS NULL AND unit = ?2 AND doneOn = ?3
                        UNION ALL
                        SELECT * FROM record WHERE plan = ?1 AND occurrenceID IS NULL AND unit = ?2 AND doneOn IS NULL
                        ORDER BY id
                        """), arguments: [record.plan, record.unit, record.doneOn?.iso])
                }
                let existing = rows.map(\.domain)
                guard try check(existing) else { return .rollback }
                var row = RecordRow(record)
                row.id = nil
                try row.insert(db)
                stored = row.domain
                return .commit
            }
            return stored
        }
    }

    public func records(plan: String) throws -> [CompletionRecord] {
        try database.writer.read { db in
            try RecordRow.filter(Column("plan") == plan).order(Column("id")).fetchAll(db).map(\.domain)
        }
    }

    public func version(plan: String) throws -> Int64 {
        try database.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM record WHERE plan = ?", arguments: [plan]) ?? 0
        }
    }
}
