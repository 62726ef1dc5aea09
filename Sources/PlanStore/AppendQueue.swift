import Foundation
import GRDB
import PlanCore

/// Group commit for completion appends. Appends that arrive while a transaction is being
/// written wait in a queue; one writer then runs all of them in one `BEGIN IMMEDIATE`
/// transaction, in arrival order, and commits once: one fsync (`synchronous=FULL`) for the
/// whole batch instead of one per record.
///
/// Each append keeps its own outcome: its check sees the records stored before it, the earlier
/// appends of the same batch included (same transaction); a check that declines or throws, or an
/// insert that fails, undoes only that append (a savepoint each). Nobody is answered before the
/// commit: an acknowledged record is on disk. If the commit itself fails, every append of the
/// batch fails with that error and nothing of it is stored.
// `lock` guards `queue` and `running`.
final class AppendQueue: @unchecked Sendable {
    typealias Check = @Sendable ([CompletionRecord]) throws -> AppendDecision

    private struct Pending {
        var record: CompletionRecord
        var check: Check
        var continuation: CheckedContinuation<RecordOutcome, any Error>
    }

    private let lock = NSLock()
    private var queue: [Pending] = []
    private var running = false
    /// The most appends in one transaction: bounds how long one commit keeps the lock.
    static let maxBatch = 512

    init() {}

    /// Appends through the queue of `database` (the one that owns this queue).
    func append(_ record: CompletionRecord, check: @escaping Check, database: AppDatabase) async throws -> RecordOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock {
                queue.append(Pending(record: record, check: check, continuation: continuation))
                if running { return false }
                running = true
                return true
            }
            if start { Task { await self.drain(database) } }
        }
    }

    /// Writes batches until the queue is empty.
    private func drain(_ database: AppDatabase) async {
        while true {
            let batch: [Pending] = lock.withLock {
                let take = Array(queue.prefix(AppendQueue.maxBatch))
                queue.removeFirst(take.count)
                if take.isEmpty { running = false }
                return take
            }
            if batch.isEmpty { return }
            await write(batch, database)
        }
    }

    private func write(_ batch: [Pending], _ database: AppDatabase) async {
        let requests = batch.map { ($0.record, $0.check) }
        let results: [Result<RecordOutcome, any Error>]
        do {
            let writer = try database.writable()
            results = try await writer.writeWithoutTransaction { db in
                var results: [Result<RecordOutcome, any Error>] = []
                results.reserveCapacity(requests.count)
                // IMMEDIATE takes the write lock before reading, so each check and its insert are
                // one step even with other processes writing.
                try db.inTransaction(.immediate) {
                    for (record, check) in requests {
                        do {
                            var outcome: RecordOutcome?
                            try db.inSavepoint {
                                outcome = try AppendQueue.appendOne(record, check: check, db: db)
                                if case .alreadyRecorded = outcome { return .rollback }
                                return .commit
                            }
                            results.append(.success(outcome!))
                        } catch {
                            // An error that ended the transaction (SQLite rolls back on some, a
                            // full disk among them) takes the whole batch with it: the earlier
                            // appends would otherwise be answered as stored and not be.
                            if !db.isInsideTransaction { throw error }
                            results.append(.failure(error))
                        }
                    }
                    return .commit
                }
                return results
            }
        } catch {
            let failure = AppendQueue.mapped(error, database)
            for p in batch { p.continuation.resume(throwing: failure) }
            return
        }
        // Committed: readers see the records from now on, so the change signal may move.
        if results.contains(where: { if case .success(.recorded) = $0 { return true }; return false }) {
            database.changes.committed()
        }
        for (p, result) in zip(batch, results) {
            switch result {
            case let .success(outcome): p.continuation.resume(returning: outcome)
            case let .failure(error): p.continuation.resume(throwing: AppendQueue.mapped(error, database))
            }
        }
    }

    private static func mapped(_ error: any Error, _ database: AppDatabase) -> any Error {
        if let e = error as? DatabaseError, let storage = database.storageError(e) { return storage }
        return error
    }

    /// One append inside the batch's transaction: the records it competes with, its check, the insert.
    private static func appendOne(_ record: CompletionRecord, check: Check, db: Database) throws -> RecordOutcome {
        // For an occurrence, each unit's latest record of it (what decides its state: a done in
        // force or an undo), so that a check costs the same with 10 or 100,000 records; for an ad
        // hoc record, the unit's ad hoc records of that day and its ad hoc undos (whose day is
        // NULL). Both use an index; cached statements.
        let rows: [RecordRow]
        if let occurrence = record.occurrenceID?.rawValue {
            rows = try RecordRow.fetchAll(db.cachedStatement(sql: """
                SELECT record.* FROM recordLatest JOIN record ON record.id = recordLatest.id
                WHERE recordLatest.plan = ? AND recordLatest.occurrenceID = ? ORDER BY record.id
                """), arguments: [record.plan, occurrence])
        } else {
            rows = try RecordRow.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM record WHERE plan = ?1 AND occurrenceID IS NULL AND unit = ?2 AND doneOn = ?3
                UNION ALL
                SELECT * FROM record WHERE plan = ?1 AND occurrenceID IS NULL AND unit = ?2 AND doneOn IS NULL
                ORDER BY id
                """), arguments: [record.plan, record.unit.rawValue, record.doneOn?.iso])
        }
        if case let .alreadyRecorded(earlier) = try check(rows.map { try $0.domain() }) {
            return .alreadyRecorded(earlier)
        }
        var row = RecordRow(record)
        row.id = nil
        try row.insert(db)
        var stored = record
        stored.id = row.id
        return .recorded(stored)
    }
}
