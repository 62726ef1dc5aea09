import Foundation
import ICal
import PlanCore
import PostgresNIO
import Testing

@testable import PlanStorePostgres

// PostgresNIO has a `PostgresDatabase` of its own.
typealias Database = PlanStorePostgres.PostgresDatabase

/// What needs no PostgreSQL server: reading addresses, failing to reach one.
@Suite("PostgreSQL address")
struct PostgresURLTests {
    @Test("a server that cannot be reached is StorageError.unavailable, not a hang")
    func unreachable() async throws {
        let error = await #expect(throws: StorageError.self) {
            try await Database.open(url: "postgres://u@127.0.0.1:1/db", connectTimeout: .seconds(2), logger: testLogger)
        }
        guard case .unavailable = error else { Issue.record("expected unavailable, got \(String(describing: error))"); return }
    }

    @Test("postgres:// and postgresql:// addresses, with or without password and port")
    func valid() throws {
        let full = try PostgresURL("postgresql://plancal:s%40cret:x@db.example:6543/ward_7?sslmode=require")
        #expect(full.user == "plancal" && full.password == "s@cret:x" && full.host == "db.example" && full.port == 6543)
        #expect(full.database == "ward_7" && full.tls == .require)
        #expect(full.redacted == "postgres://plancal:***@db.example:6543/ward_7")
        let short = try PostgresURL("postgres://me@localhost/plancal")
        #expect(short.user == "me" && short.password == nil && short.host == "localhost" && short.port == 5432)
        #expect(short.database == "plancal" && short.tls == .prefer)
        let v6 = try PostgresURL("postgres://me@[::1]:5433/p?sslmode=disable")
        #expect(v6.host == "::1" && v6.port == 5433 && v6.tls == .disable)
        #expect(try PostgresURL("postgres://me@h/p?sslmode=verify-full").tls == .verifyFull)
    }

    @Test("a bad address names the part that is wrong", arguments: [
        ("mysql://u@h/db", "phần đầu \"mysql://\""),
        ("localhost:5432/db", "phần đầu"),
        ("postgres://localhost:5432/db", "tên người dùng"),
        ("postgres://@localhost/db", "tên người dùng"),
        ("postgres://u@:5432/db", "máy chủ"),
        ("postgres://u@h:54x2/db", "cổng \"54x2\""),
        ("postgres://u@h:70000/db", "cổng \"70000\""),
        ("postgres://u@h:5432", "tên cơ sở dữ liệu"),
        ("postgres://u@h:5432/", "tên cơ sở dữ liệu"),
        ("postgres://u@h/db?sslmode=maybe", "sslmode"),
        ("postgres://u@h/db?timeout=3", "tham số \"timeout\""),
    ])
    func invalid(url: String, part: String) {
        let error = #expect(throws: PostgresURLError.self) { try PostgresURL(url) }
        #expect(error?.part == part)
        #expect(error?.description.hasPrefix("Địa chỉ PostgreSQL không hợp lệ: \(part) ") == true)
    }

    @Test("a password never appears in an error")
    func passwordHidden() async throws {
        let error = await #expect(throws: StorageError.self) {
            // Port 1 on loopback: nothing listens there.
            try await Database.open(url: "postgres://u:topsecret@127.0.0.1:1/db", connectTimeout: .seconds(2), logger: testLogger)
        }
        #expect(error.map { "\($0)".contains("topsecret") } == false)
        #expect(error.map { "\($0)".contains("postgres://u:***@127.0.0.1:1/db") } == true)
    }
}

/// What only the PostgreSQL store has to show: its schema rules, migrations, notifications and
/// failure handling. Needs `PLANCAL_TEST_POSTGRES_URL`; each test has a database of its own.
@Suite("PostgreSQL database", .enabled(if: postgresConfigured, postgresSkipReason))
struct PostgresDatabaseTests {
    /// A fresh, migrated database for `body`, shut down afterwards.
    func withDatabase(poolSize: Int = 4, _ body: (Database, String) async throws -> Void) async throws {
        try await withFreshPostgresDatabase { url in
            let db = try await Database.open(url: url, poolSize: poolSize, logger: testLogger)
            do { try await body(db, url) } catch {
                await db.shutdown()
                throw error
            }
            await db.shutdown()
        }
    }

    @Test("history is append-only: the database refuses updates, deletes and truncation")
    func appendOnly() async throws {
        try await withDatabase { db, _ in
            _ = try await db.repositories.completions.append(record(1), check: appendOnce)
            for statement in ["UPDATE record SET unit = 'x'", "DELETE FROM record", "TRUNCATE record"] {
                let error = await #expect(throws: PostgresStoreError.self) {
                    try await db.withConnection { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: testLogger).drain() }
                }
                #expect(error?.message == "completion history is append-only")
            }
            #expect(try await db.repositories.completions.records(plan: "bach-dang").count == 1)
        }
    }

    @Test("baselines are append-only: the database refuses updates, deletes and truncation")
    func baselinesAppendOnly() async throws {
        try await withDatabase { db, _ in
            _ = try await db.repositories.baselines.append(BaselineRecord(
                plan: "bach-dang", target: "G2.T3", indicator: "women-directors", year: 2025, value: 18, note: "x",
                recordedBy: "A", recordedAt: UTCDateTime(secondsSinceEpoch: 1_796_000_000)))
            for statement in ["UPDATE baseline SET value = 1", "DELETE FROM baseline", "TRUNCATE baseline"] {
                let error = await #expect(throws: PostgresStoreError.self) {
                    try await db.withConnection { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: testLogger).drain() }
                }
                #expect(error?.message == "completion history is append-only")
            }
            #expect(try await db.repositories.baselines.baselines(plan: "bach-dang").map(\.value) == [18])
        }
    }

    @Test("processes starting at once apply each migration once, in order")
    func concurrentMigrations() async throws {
        try await withFreshPostgresDatabase { url in
            let opened = try await withThrowingTaskGroup(of: Database.self) { group in
                for _ in 0..<6 { group.addTask { try await Database.open(url: url, poolSize: 2, logger: testLogger) } }
                var all: [Database] = []
                for try await db in group { all.append(db) }
                return all
            }
            let applied = try await opened[0].appliedMigrations()
            for db in opened { await db.shutdown() }
            #expect(applied == Database.migrations.map(\.id))
        }
    }

    @Test("another instance hears of each new record's plan through LISTEN/NOTIFY")
    func changes() async throws {
        try await withDatabase { db, url in
            let other = try await Database.open(url: url, poolSize: 2, logger: testLogger)
            var heard = other.changes().makeAsyncIterator()
            #expect(await heard.next() == .resync)
            _ = try await db.repositories.completions.append(record(1, plan: "a"), check: appendOnce)
            _ = try await db.repositories.completions.append(record(1, plan: "a"), check: appendOnce)  // declined: silent
            _ = try await db.repositories.completions.append(record(2, plan: "b"), check: appendOnce)
            #expect(await heard.next() == .plan("a"))
            #expect(await heard.next() == .plan("b"))
            await other.shutdown()
            #expect(await heard.next() == nil)
            var late = other.changes().makeAsyncIterator()
            #expect(await late.next() == nil)
        }
    }

    @Test("a database that does not exist is named in the error")
    func missingDatabase() async throws {
        var components = URLComponents(string: try postgresTestURL())!
        components.path = "/plancal_no_such_database"
        let error = await #expect(throws: StorageError.self) {
            try await Database.open(url: components.string!, logger: testLogger)
        }
        #expect(error.map { "\($0)".contains("plancal_no_such_database") } == true)
    }

    @Test("connections the server drops are replaced: later calls work again")
    func recovers() async throws {
        try await withDatabase { db, url in
            let store = db.repositories.completions
            _ = try await store.append(record(1), check: appendOnce)
            // Ends every connection to this test's database but the one asking.
            try await withAdminConnection(try PostgresURL(url)) {
                try await $0.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """, logger: testLogger).drain()
            }
            var failures: [any Error] = []
            var records: [CompletionRecord]?
            for _ in 0..<20 where records == nil {
                do { records = try await store.records(plan: "bach-dang") } catch { failures.append(error) }
            }
            #expect(records?.count == 1)
            #expect(failures.allSatisfy { if case .unavailable = $0 as? StorageError { true } else { false } })
        }
    }

    @Test("a read-only server refuses writes with StorageError.readOnly and still reads")
    func readOnly() async throws {
        try await withDatabase { db, url in
            _ = try await db.repositories.completions.append(record(1), check: appendOnce)
            try await withAdminConnection(try PostgresURL(url)) {
                try await $0.query("ALTER DATABASE \(unescaped: try PostgresURL(url).database) SET default_transaction_read_only = on",
                                   logger: testLogger).drain()
            }
            let replica = try await Database.open(url: url, poolSize: 2, logger: testLogger)
            let error = await #expect(throws: StorageError.self) {
                try await replica.repositories.completions.append(record(2, unit: "x"), check: appendOnce)
            }
            #expect(error.map { if case .readOnly = $0 { true } else { false } } == true)
            #expect(try await replica.repositories.completions.records(plan: "bach-dang").count == 1)
            await replica.shutdown()
        }
    }

    @Test("a full disk (SQLSTATE 53100) is StorageError.full")
    func diskFull() async throws {
        try await withDatabase { db, _ in
            // The server raises what it would raise with no space left.
            for statement in [
                "CREATE FUNCTION no_space() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$",
                "CREATE TRIGGER no_space BEFORE INSERT ON feed_fetch FOR EACH ROW EXECUTE FUNCTION no_space()",
            ] {
                try await db.withConnection { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: testLogger).drain() }
            }
            let error = await #expect(throws: StorageError.self) {
                try await db.repositories.fetches.record([FeedFetch(plan: "p", feed: "f.ics", userAgent: "c", lastAt: at(1), count: 1)])
            }
            #expect(error == .full("PostgreSQL 53100: could not extend file"))
        }
    }

    @Test("times, dates and lists are PostgreSQL types in the tables")
    func columnTypes() async throws {
        try await withDatabase { db, _ in
            _ = try await db.repositories.completions.append(record(2), check: appendOnce)
            let row = try await db.withConnection { connection in
                var out: (String, String, String) = ("", "", "")
                for try await r in try await connection.query("""
                    SELECT done_on::text, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), organisations::text FROM record
                    """, logger: testLogger).decode((String, String, String).self) { out = r }
                return out
            }
            #expect(row.0 == "2026-11-03" && row.1 == UTCDateTime(secondsSinceEpoch: 1_795_910_402).iso && row.2 == "{mttq,cong-an}")
        }
    }
}
