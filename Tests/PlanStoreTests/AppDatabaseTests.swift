import Foundation
import GRDB
import ICal
import PlanCore
import Testing

@testable import PlanStore

/// What only the SQLite store has to show: its own schema rules, upgrades of existing files,
/// read-only opening. The behaviour all engines share is in `RepositoryContractTests`.
@Suite("SQLite database")
struct AppDatabaseTests {
    @Test("history is append-only: the database refuses updates and deletes")
    func appendOnly() async throws {
        let db = try AppDatabase(path: tempDatabasePath())
        _ = try await db.repositories.completions.append(record(1), check: appendOnce)
        let writer = try db.writable()
        #expect(throws: DatabaseError.self) { try writer.write { try $0.execute(sql: "DELETE FROM record") } }
        #expect(throws: DatabaseError.self) { try writer.write { try $0.execute(sql: "UPDATE record SET unit = 'x'") } }
        #expect(try await db.repositories.completions.records(plan: "bach-dang").count == 1)
    }

    @Test("baselines are append-only: the database refuses updates and deletes")
    func baselinesAppendOnly() async throws {
        let db = try AppDatabase(path: tempDatabasePath())
        _ = try await db.repositories.baselines.append(BaselineRecord(
            plan: "bach-dang", target: "G2.T3", indicator: "women-directors", year: 2025, value: 18, note: "x",
            recordedBy: "A", recordedAt: UTCDateTime(secondsSinceEpoch: 1_796_000_000)))
        let writer = try db.writable()
        #expect(throws: DatabaseError.self) { try writer.write { try $0.execute(sql: "DELETE FROM baseline") } }
        #expect(throws: DatabaseError.self) { try writer.write { try $0.execute(sql: "UPDATE baseline SET value = 1") } }
        #expect(try await db.repositories.baselines.baselines(plan: "bach-dang").map(\.value) == [18])
    }

    @Test("a database of migration v5 keeps its rows when upgraded, and each plan's version starts at its records")
    func upgradeFromV5() async throws {
        let path = tempDatabasePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try AppDatabase.migrator.migrate(old, upTo: "v5-fetch-time-index")
            try await old.write { db in
                for (plan, unit) in [("a", "vhxh"), ("a", "mttq"), ("b", "vhxh"), ("a", "vhxh")] {
                    try db.execute(sql: """
                        INSERT INTO record (plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, organisations)
                        VALUES (?, 'news', NULL, ?, '2026-11-02', 'Chị Lan', 1795910400, 'mttq,cong-an')
                        """, arguments: [plan, unit])
                }
            }
        }
        let db = try AppDatabase(path: path)
        let store = db.repositories.completions
        let a = try await store.records(plan: "a")
        #expect(a.map(\.id) == [1, 2, 4])
        #expect(a.first?.organisations == ["mttq", "cong-an"] && a.first?.doneOn == CivilDate(year: 2026, month: 11, day: 2))
        #expect(try await store.version(plan: "a") == 4)
        #expect(try await store.version(plan: "b") == 3)
        _ = try await store.append(record(9, plan: "b"), check: appendOnce)
        #expect(try await store.version(plan: "b") == 5)
        let applied = try await db.writer.read { try AppDatabase.migrator.appliedIdentifiers($0) }
        #expect(applied == Set(AppDatabase.migrator.migrations))
    }

    @Test("a database of migration v11 rebuilt for the resolve action keeps its rows, ids, triggers and indexes")
    func upgradeFromV11() async throws {
        let path = tempDatabasePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try AppDatabase.migrator.migrate(old, upTo: "v11-record-latest")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO record (plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, organisations)
                    VALUES ('a', 'done', 'quarterly-news/2026-Q4', 'vhxh', '2026-11-02', 'Chị Lan', 1795910400, ''),
                           ('a', 'obstacle', NULL, 'mttq', '2026-11-03', 'Anh Tú', 1795910500, '')
                    """)
            }
        }
        let db = try AppDatabase(path: path)
        let store = db.repositories.completions
        #expect(try await store.records(plan: "a").map(\.id) == [1, 2])
        // The latest-record trigger and the version trigger came back with the table.
        _ = try await store.append(record(3, occurrence: "quarterly-news/2026-Q3", action: .done, plan: "a"), check: appendOnce)
        #expect(try await store.version(plan: "a") == 3)
        let latest = try await db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM recordLatest WHERE plan = 'a'") }
        #expect(latest == 2)
        // The new action is accepted, and the history is still append-only.
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: """
                INSERT INTO record (plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, organisations, note, withdraws)
                VALUES ('a', 'resolve', NULL, 'vhxh', '2026-12-01', 'Chị Lan', 1795910600, '', 'Đã giải quyết', 2)
                """)
        }
        await #expect(throws: (any Error).self) {
            try await raw.write { try $0.execute(sql: "UPDATE record SET note = 'x' WHERE id = 1") }
        }
        let indexes = try await db.writer.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record' ORDER BY name") }
        #expect(indexes == ["record_plan_id", "record_plan_occurrence", "record_plan_occurrence_unit_day"])
    }

    @Test("reopening finds everything that was acknowledged")
    func reopen() async throws {
        let path = tempDatabasePath()
        do {
            let store = try AppDatabase(path: path).repositories.completions
            for i in 0..<30 { _ = try await store.append(record(i, unit: UnitID(wellFormed: "u\(i)")), check: appendOnce) }
        }
        #expect(try await AppDatabase(path: path).repositories.completions.records(plan: "bach-dang").count == 30)
    }

    @Test("opened read-only, it reads and refuses every write with a storage error")
    func readOnly() async throws {
        let path = tempDatabasePath()
        _ = try await AppDatabase(path: path).repositories.completions.append(record(1), check: appendOnce)
        let db = try AppDatabase(path: path, readOnly: true)
        #expect(try await db.repositories.completions.records(plan: "bach-dang").count == 1)
        await #expect(throws: StorageError.self) {
            try await db.repositories.completions.append(record(2, unit: "x"), check: appendOnce)
        }
        await #expect(throws: StorageError.self) {
            try await db.repositories.tokens.create(plan: "p", unit: "u", label: "l", now: at(1))
        }
    }

    @Test("a file that is not a database is a clear error")
    func notADatabase() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("x.sqlite")
        try Data("this is not sqlite, just text that is long enough to have a header".utf8).write(to: file)
        let error = #expect(throws: StoreError.self) { try AppDatabase(path: file.path) }
        #expect(error?.description.hasPrefix("Không mở được cơ sở dữ liệu \(file.path)") == true)
    }

    @Test("only a digest of a token's secret is stored")
    func tokenDigest() async throws {
        let db = try AppDatabase(path: tempDatabasePath())
        let (secret, _) = try await db.repositories.tokens.create(plan: "p", unit: "u", label: "l", now: at(1))
        let stored = try await db.writer.read { try String.fetchAll($0, sql: "SELECT secretHash FROM token") }
        #expect(stored.count == 1 && !stored[0].contains(String(secret.suffix(48))))
    }
}
