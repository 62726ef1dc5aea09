import Foundation
import GRDB
import ICal
import PlanCore
import Testing

@testable import PlanStore

/// What only the SQLite engine has: its file, its pragmas and its triggers.
@Suite("SQLite database")
struct SQLiteDatabaseTests {
    static func record(_ n: Int, note: String? = nil) -> CompletionRecord {
        CompletionRecord(plan: "p", unit: "vhxh", recordedBy: "t", recordedAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000 + n),
                         kind: .adHoc(.news, .init(on: CivilDate(year: 2026, month: 1, day: 1)!.adding(days: n),
                                                   evidenceURL: "https://x.example/\(n)", note: note)))
    }

    static func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)/db.sqlite").path
    }

    @Test("a stored row plancal would not write (a completion without its day) is an error when read, not a crash")
    func badRowIsAnError() async throws {
        let db = try AppDatabase(path: Self.tempPath())
        try await db.writable().write { db in
            try db.execute(sql: """
                INSERT INTO record (plan, action, occurrenceID, unit, recordedBy, recordedAt, organisations)
                VALUES ('p', 'done', 'o/2026', 'vhxh', 't', 1, '')
                """)
        }
        await #expect(throws: StoredRecordError(id: 1, problem: "done without doneOn")) {
            _ = try await db.repositories.completions.records(plan: "p")
        }
    }

    @Test("a token row whose unit is not of a unit id's form is a storage error naming the column, on sign-in and in the list")
    func malformedStoredUnit() async throws {
        let db = try AppDatabase(path: Self.tempPath())
        let secret = "0123456789abcdef0123456789abcdef0123456789abcdef"
        try await db.writable().write { db in
            try db.execute(sql: """
                INSERT INTO token (id, plan, unit, label, secretHash, createdAt, revokedAt)
                VALUES ('0a1b2c3d', 'p', 'Công an', 'Chị Lan', ?, 1, NULL)
                """, arguments: [TokenSecret.hash(secret)])
        }
        await #expect(throws: StorageError.corrupt("token.unit = \"Công an\" không phải là mã hợp lệ")) {
            _ = try await db.repositories.tokens.verify("pc_0a1b2c3d_" + secret, plan: "p")
        }
        await #expect(throws: StorageError.self) { _ = try await db.repositories.tokens.list(plan: "p") }
    }

    @Test("a token row as earlier versions stored it (SHA-256 of the secret, lower-case hex) still signs in; its text with one digit changed does not")
    func storedTokenDigest() async throws {
        let db = try AppDatabase(path: Self.tempPath())
        let secret = "0123456789abcdef0123456789abcdef0123456789abcdef"
        // The digest Python's hashlib gives for the secret: the stored form is the standard one.
        let digest = "34c26e154bab5ff544f29f8747a691d0fedd3b8a51655f27d0f585b1b2753970"
        #expect(TokenSecret.hash(secret) == digest)
        try await db.writable().write { db in
            try db.execute(sql: """
                INSERT INTO token (id, plan, unit, label, secretHash, createdAt, revokedAt)
                VALUES ('0a1b2c3d', 'p', 'vhxh', 'Chị Lan', ?, 1, NULL)
                """, arguments: [digest])
        }
        let token = try await db.repositories.tokens.verify("pc_0a1b2c3d_" + secret, plan: "p")
        #expect(token?.unit == "vhxh")
        #expect(token?.label == "Chị Lan")
        #expect(try await db.repositories.tokens.verify("pc_0a1b2c3d_" + secret.dropLast() + "0", plan: "p") == nil)
    }

    @Test("v8 rebuilds the record table for the new actions and keeps every row, id, index and trigger")
    func obstacleWaiveMigration() async throws {
        let path = Self.tempPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        // A database as the release before this one left it, with records.
        let old = try DatabaseQueue(path: path)
        try AppDatabase.migrator.migrate(old, upTo: "v7-sessions")
        try await old.write { db in
            for n in 1...3 {
                try db.execute(sql: "INSERT INTO record (plan, action, unit, doneOn, recordedBy, recordedAt, organisations) VALUES ('p', 'news', 'vhxh', ?, 't', ?, '')",
                               arguments: ["2026-01-0\(n)", n])
            }
        }
        await #expect(throws: DatabaseError.self) {
            try await old.write { try $0.execute(sql: "INSERT INTO record (plan, action, unit, recordedBy, recordedAt) VALUES ('p', 'waive', 'x', 't', 1)") }
        }
        try old.close()
        let db = try AppDatabase(path: path)
        let store = db.repositories.completions
        #expect(try await store.records(plan: "p").map(\.id) == [1, 2, 3])
        #expect(try await store.version(plan: "p") == 3)
        var waive = Self.record(9)
        waive.kind = .waive(occurrence: "o/2026", reason: "không áp dụng")
        let stored = try await store.append(waive) { _ in .append }.record
        #expect(stored.id == 4 && stored.action == .waive)
        #expect(try await store.version(plan: "p") == 4)
        let writer = try db.writable()
        await #expect(throws: DatabaseError.self) { try await writer.write { try $0.execute(sql: "DELETE FROM record") } }
        await #expect(throws: DatabaseError.self) { try await writer.write { try $0.execute(sql: "UPDATE record SET unit = 'x'") } }
        let indexes = try await writer.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record'") }
        #expect(Set(indexes) == ["record_plan_occurrence", "record_plan_occurrence_unit_day", "record_plan_id"])
    }

    @Test("the history is append-only in the database itself: UPDATE and DELETE are refused")
    func appendOnly() async throws {
        let db = try AppDatabase()
        _ = try await db.repositories.completions.append(Self.record(1)) { _ in .append }
        let writer = try db.writable()
        await #expect(throws: DatabaseError.self) { try await writer.write { try $0.execute(sql: "UPDATE record SET unit = 'x'") } }
        await #expect(throws: DatabaseError.self) { try await writer.write { try $0.execute(sql: "DELETE FROM record") } }
        #expect(try await db.repositories.completions.records(plan: "p").count == 1)
    }

    @Test("a plan's version is a primary-key lookup kept by a trigger, per plan")
    func versionByTrigger() async throws {
        let db = try AppDatabase()
        let store = db.repositories.completions
        #expect(try await store.version(plan: "p") == 0)
        let a = try await store.append(Self.record(1)) { _ in .append }.record
        #expect(try await store.version(plan: "p") == a.id)
        var other = Self.record(2)
        other.plan = "q"
        _ = try await store.append(other) { _ in .append }
        #expect(try await store.version(plan: "p") == a.id, "another plan's record does not move this plan's version")
        let detail = try await db.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT version FROM planVersion WHERE plan = 'p'").map { $0["detail"] as String }
        }
        #expect(detail.contains { $0.contains("INDEX") || $0.contains("PRIMARY KEY") }, "\(detail)")
    }

    @Test("opened read-only, a database is read and every write is refused as read-only, nothing written")
    func readOnly() async throws {
        let path = Self.tempPath()
        let rw = try AppDatabase(path: path)
        _ = try await rw.repositories.completions.append(Self.record(1)) { _ in .append }
        let ro = try AppDatabase(path: path, readOnly: true)
        #expect(try await ro.repositories.completions.records(plan: "p").count == 1)
        #expect(try await ro.repositories.tokens.list(plan: "p").isEmpty)
        await #expect(throws: StorageError.self) {
            _ = try await ro.repositories.completions.append(Self.record(2)) { _ in .append }
        }
        await #expect(throws: StorageError.self) {
            _ = try await ro.repositories.tokens.create(plan: "p", unit: "vhxh", label: "x", now: UTCDateTime(secondsSinceEpoch: 1))
        }
        #expect(try await rw.repositories.completions.records(plan: "p").count == 1)
    }

    @Test("read-only, a database that still needs a migration says so instead of writing")
    func readOnlyNeedsMigration() throws {
        let path = Self.tempPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try DatabaseQueue(path: path)  // an empty file, no migrations
        #expect {
            _ = try AppDatabase(path: path, readOnly: true)
        } throws: { error in
            "\(error)".contains("nâng cấp")
        }
    }

    @Test("a full database is StorageError.full with a Vietnamese message, and nothing is half-written")
    func full() async throws {
        let path = Self.tempPath()
        let db = try AppDatabase(path: path)
        let store = db.repositories.completions
        _ = try await store.append(Self.record(1)) { _ in .append }
        // Cap the file at its current size: the next page needed is "disk full" (SQLITE_FULL).
        try await db.writable().writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        let big = String(repeating: "x", count: 200_000)
        do {
            _ = try await store.append(Self.record(2, note: big)) { _ in .append }
            Issue.record("a write past the size cap succeeded")
        } catch let e as StorageError {
            guard case .full = e else { Issue.record("expected .full, got \(e)"); return }
            #expect(e.description.contains("đầy"))
        }
        #expect(try await store.records(plan: "p").count == 1)
    }
}

/// Group commit: appends that arrive together are written in one transaction, each with its own
/// check and outcome.
@Suite("SQLite group commit")
struct GroupCommitTests {
    static func done(_ n: Int, occurrence: OccurrenceID) -> CompletionRecord {
        CompletionRecord(plan: "p", unit: UnitID(wellFormed: "u\(n)"), recordedBy: "t", recordedAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000 + n),
                         kind: .done(occurrence: occurrence, .init(on: CivilDate(year: 2026, month: 1, day: 1)!)))
    }

    @Test("concurrent appends are all stored, each exactly once, with distinct ids", arguments: [false, true])
    func concurrentAppends(onDisk: Bool) async throws {
        let path = SQLiteDatabaseTests.tempPath()
        let db = onDisk ? try AppDatabase(path: path) : try AppDatabase()
        defer { if onDisk { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) } }
        let store = db.repositories.completions
        let n = 300
        let outcomes = try await withThrowingTaskGroup(of: RecordOutcome.self) { group in
            for i in 0..<n {
                group.addTask { try await store.append(GroupCommitTests.done(i, occurrence: OccurrenceID(wellFormed: "o/2026/u\(i % 7)"))) { _ in .append } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let ids = outcomes.compactMap { if case let .recorded(r) = $0 { return r.id } else { return nil } }
        #expect(ids.count == n)
        #expect(Set(ids).count == n)
        let stored = try await store.records(plan: "p")
        #expect(stored.count == n)
        #expect(Set(stored.map(\.unit.rawValue)) == Set((0..<n).map { "u\($0)" }))
    }

    /// Each check sees the inserts made before it in the same batch: of many identical appends
    /// whose check declines when the unit already has a record, exactly one is stored.
    @Test("each check sees the earlier appends of its batch")
    func checksSeeEarlierAppends() async throws {
        let db = try AppDatabase(path: SQLiteDatabaseTests.tempPath())
        let store = db.repositories.completions
        let outcomes = try await withThrowingTaskGroup(of: RecordOutcome.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await store.append(GroupCommitTests.done(1, occurrence: "same/2026")) { existing in
                        existing.first.map(AppendDecision.alreadyRecorded) ?? .append
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .recorded = $0 { return true } else { return false } }.count == 1)
        #expect(try await store.records(plan: "p").count == 1)
    }

    /// A check that throws fails its own append only: the others of the same batch are stored.
    @Test("a throwing check in a batch leaves the other appends stored")
    func throwingCheckAffectsOnlyItsAppend() async throws {
        struct Refused: Error {}
        let db = try AppDatabase(path: SQLiteDatabaseTests.tempPath())
        let store = db.repositories.completions
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        _ = try await store.append(GroupCommitTests.done(i, occurrence: "o/2026")) { _ in
                            if i % 3 == 0 { throw Refused() }
                            return .append
                        }
                        return (i, true)
                    } catch is Refused {
                        return (i, false)
                    } catch {
                        Issue.record("unexpected \(error)")
                        return (i, false)
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (i, stored) in results { #expect(stored == (i % 3 != 0), "append \(i)") }
        let units = Set(try await store.records(plan: "p").map(\.unit.rawValue))
        #expect(units == Set((0..<200).filter { $0 % 3 != 0 }.map { "u\($0)" }))
    }

    @Test("records after an id are the newer ones, oldest first; the change hint moves with each write")
    func recordsAfterAndHint() async throws {
        let db = try AppDatabase(path: SQLiteDatabaseTests.tempPath())
        let store = db.repositories.completions
        var ids: [Int64] = []
        for i in 0..<5 { ids.append(try await store.append(GroupCommitTests.done(i, occurrence: "o/2026")) { _ in .append }.record.id!) }
        #expect(try await store.records(plan: "p", after: ids[1]).map(\.id) == Array(ids[2...]).map(Optional.some))
        #expect(try await store.records(plan: "p", after: ids[4]).isEmpty)
        // This process's own writes are counted: the hint differs even within the clock's tick.
        let before = db.changes.ownWrites
        _ = try await store.append(GroupCommitTests.done(9, occurrence: "o/2026")) { _ in .append }
        #expect(db.changes.ownWrites == before + 1)
    }

    /// A check of an occurrence's record sees each unit's latest record of it, oldest first:
    /// the same in SQLite and in memory, whatever the history's length.
    @Test("a check sees each unit's latest record of the occurrence", arguments: [false, true])
    func checkSeesLatestPerUnit(inMemory: Bool) async throws {
        let store: any CompletionRepository = inMemory ? InMemoryCompletionRepository()
            : try AppDatabase(path: SQLiteDatabaseTests.tempPath()).repositories.completions
        func rec(_ unit: UnitID, _ action: CompletionRecord.Action, _ n: Int) -> CompletionRecord {
            CompletionRecord(plan: "p", unit: unit, recordedBy: "t", recordedAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000 + n),
                             kind: action == .done ? .done(occurrence: "o/2026", .init(on: CivilDate(year: 2026, month: 1, day: 1)!, note: "\(n)"))
                                : .undo(occurrence: "o/2026", reason: "\(n)"))
        }
        var n = 0
        for (unit, action) in [(UnitID("a"), CompletionRecord.Action.done), ("b", .done), ("a", .done), ("b", .undo), ("c", .done), ("a", .done)] {
            n += 1
            _ = try await store.append(rec(unit, action, n)) { _ in .append }
        }
        let seen = SeenBox()
        _ = try await store.append(rec("d", .done, 99)) { existing in
            seen.set(existing.map { "\($0.unit):\($0.note ?? $0.reason ?? "")" })
            return .append
        }
        #expect(seen.value == ["b:4", "c:5", "a:6"])
    }
}

final class SeenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func set(_ v: [String]) { lock.withLock { stored = v } }
    var value: [String] { lock.withLock { stored } }
}
