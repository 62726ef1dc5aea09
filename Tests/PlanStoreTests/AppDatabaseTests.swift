import Foundation
import GRDB
import ICal
import PlanCore
import Testing

@testable import PlanStore

func tempDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)/plancal.sqlite").path
}

func record(_ n: Int, occurrence: String? = nil, action: CompletionRecord.Action = .news, unit: String = "vhxh") -> CompletionRecord {
    CompletionRecord(plan: "bach-dang", action: action, occurrenceID: occurrence, unit: unit,
                     doneOn: CivilDate(year: 2026, month: 11, day: 1 + n % 28), recordedBy: "test \(n)",
                     recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + n), evidenceURL: "https://x.example/\(n)",
                     reached: n, organisations: n % 2 == 0 ? ["mttq", "cong-an"] : [])
}

@Suite("SQLite completion store")
struct SQLiteCompletionStoreTests {
    @Test("records round-trip with every field, ids in insertion order")
    func roundTrip() throws {
        let store = SQLiteCompletionStore(try AppDatabase(path: tempDatabasePath()))
        let a = try #require(try store.append(record(2)) { _ in true })
        let b = try #require(try store.append(record(3, occurrence: "quarterly-news/2026-Q4", action: .done)) { _ in true })
        #expect(a.id == 1 && b.id == 2)
        let all = try store.records(plan: "bach-dang")
        #expect(all.count == 2)
        var expected = record(2)
        expected.id = 1
        #expect(all[0] == expected)
        #expect(all[1].occurrenceID == "quarterly-news/2026-Q4")
        #expect(try store.records(plan: "other").isEmpty)
        #expect(try store.version(plan: "bach-dang") == 2)
    }

    @Test("a declined check writes nothing")
    func declined() throws {
        let store = SQLiteCompletionStore(try AppDatabase(path: tempDatabasePath()))
        #expect(try store.append(record(1)) { _ in false } == nil)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try store.append(record(1)) { _ in throw Boom() } }
        #expect(try store.records(plan: "bach-dang").isEmpty)
    }

    @Test("history is append-only: the database refuses updates and deletes")
    func appendOnly() throws {
        let db = try AppDatabase(path: tempDatabasePath())
        let store = SQLiteCompletionStore(db)
        _ = try store.append(record(1)) { _ in true }
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: "DELETE FROM record") } }
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: "UPDATE record SET unit = 'x'") } }
        #expect(try store.records(plan: "bach-dang").count == 1)
    }

    @Test("concurrent writers on separate connections lose nothing, and the check is atomic")
    func concurrentWriters() async throws {
        let path = tempDatabasePath()
        _ = try AppDatabase(path: path)
        let writers = 8, each = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    // Each writer has its own pool, as separate processes would.
                    let store = SQLiteCompletionStore(try AppDatabase(path: path))
                    for i in 0..<each {
                        _ = try store.append(record(w * 1000 + i)) { _ in true }
                        // All writers race to complete the same occurrence: exactly one may win.
                        _ = try store.append(record(w, occurrence: "quarterly-news/2026-Q4", action: .done)) { existing in
                            existing.isEmpty
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let store = SQLiteCompletionStore(try AppDatabase(path: path))
        let all = try store.records(plan: "bach-dang")
        #expect(all.filter { $0.action == .news }.count == writers * each)
        #expect(all.filter { $0.action == .done }.count == 1)
        #expect(Set(all.compactMap(\.id)).count == all.count)
    }

    @Test("reopening finds everything that was acknowledged; migrations are idempotent")
    func reopen() throws {
        let path = tempDatabasePath()
        do {
            let store = SQLiteCompletionStore(try AppDatabase(path: path))
            for i in 0..<50 { _ = try store.append(record(i)) { _ in true } }
        }
        let again = SQLiteCompletionStore(try AppDatabase(path: path))
        #expect(try again.records(plan: "bach-dang").count == 50)
        let applied = try again.database.writer.read { try AppDatabase.migrator.appliedMigrations($0) }
        #expect(applied == ["v1-records", "v2-tokens", "v3-feed-fetches", "v4-withdraws", "v5-fetch-time-index"])
    }

    @Test("a path that cannot be a database is a clear error")
    func badPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let notADatabase = dir.appendingPathComponent("x.sqlite")
        try Data("this is not sqlite, just text that is long enough to have a header".utf8).write(to: notADatabase)
        #expect(throws: (any Error).self) { try AppDatabase(path: notADatabase.path) }
    }
}

@Suite("Unit tokens")
struct UnitTokensTests {
    @Test("a token verifies; forged, malformed, other-plan and revoked ones do not; only the hash is stored")
    func lifecycle() throws {
        let db = try AppDatabase(path: tempDatabasePath())
        let tokens = UnitTokens(db)
        let (secret, token) = try tokens.create(plan: "bach-dang", unit: "cong-an", label: "Anh Hùng", now: UTCDateTime(secondsSinceEpoch: 1))
        #expect(secret.hasPrefix("pc_\(token.id)_"))
        #expect(try tokens.verify(secret, plan: "bach-dang") == token)
        #expect(try tokens.verify(secret, plan: "other") == nil)
        var forged = Array(secret)
        forged[forged.count - 1] = forged.last == "0" ? "1" : "0"
        #expect(try tokens.verify(String(forged), plan: "bach-dang") == nil)
        for bad in ["", "pc_", "Bearer x", "pc_\(token.id)_", secret + "0", "pc_zzzzzzzz_" + String(repeating: "a", count: 48)] {
            #expect(try tokens.verify(bad, plan: "bach-dang") == nil)
        }
        let stored = try db.writer.read { try String.fetchAll($0, sql: "SELECT secretHash FROM token") }
        #expect(stored.count == 1 && !stored[0].contains(String(secret.suffix(48))))
        #expect(try tokens.list(plan: "bach-dang").map(\.id) == [token.id])
        #expect(try tokens.revoke(id: token.id, plan: "bach-dang", now: UTCDateTime(secondsSinceEpoch: 2)))
        #expect(try !tokens.revoke(id: token.id, plan: "bach-dang", now: UTCDateTime(secondsSinceEpoch: 3)))
        #expect(try tokens.verify(secret, plan: "bach-dang") == nil)
        #expect(try tokens.list(plan: "bach-dang").first?.revokedAt == UTCDateTime(secondsSinceEpoch: 2))
    }

    @Test("the fetch log keeps the latest fetch per feed and client, with counts")
    func fetchLog() throws {
        let log = FeedFetchLog(try AppDatabase(path: tempDatabasePath()))
        try log.record(plan: "p", feed: "vhxh.ics", userAgent: "Google-Calendar-Importer", at: UTCDateTime(secondsSinceEpoch: 10))
        try log.record(plan: "p", feed: "vhxh.ics", userAgent: "Google-Calendar-Importer", at: UTCDateTime(secondsSinceEpoch: 20), count: 2)
        try log.record(plan: "p", feed: "vhxh.ics", userAgent: "ICSx5/2.2", at: UTCDateTime(secondsSinceEpoch: 15))
        let entries = try log.entries(plan: "p")
        #expect(entries.count == 2)
        #expect(entries[0].userAgent == "Google-Calendar-Importer" && entries[0].count == 3 && entries[0].lastAt.secondsSinceEpoch == 20)
    }
}
