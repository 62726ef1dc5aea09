import Foundation
import ICal
import Logging
import PlanCore
import PlanStore
import PostgresNIO
import Testing

@testable import PlanStorePostgres

/// Every implementation of the repositories, for the contract suite.
enum StorageEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory = "in-memory"
    case sqliteMemory = "SQLite in memory"
    case sqliteFile = "SQLite file"
    case postgres = "PostgreSQL"

    var testDescription: String { rawValue }

    /// The engines this run tests: PostgreSQL only when there is a server to test on.
    static var available: [StorageEngine] { postgresConfigured ? allCases : allCases.filter { $0 != .postgres } }

    /// Fresh, empty repositories of this engine for `body`. `another()` opens the same storage
    /// again, as a second process would (its own SQLite pool, its own PostgreSQL pool); for
    /// storage only one handle can see (memory), the same repositories.
    func with(_ body: (_ repositories: Repositories, _ another: () async throws -> Repositories) async throws -> Void) async throws {
        switch self {
        case .memory:
            let r = Repositories.inMemory()
            try await body(r) { r }
        case .sqliteMemory:
            let r = try AppDatabase().repositories
            try await body(r) { r }
        case .sqliteFile:
            let path = tempDatabasePath()
            try await body(try AppDatabase(path: path).repositories) { try AppDatabase(path: path).repositories }
        case .postgres:
            try await withFreshPostgresDatabase { url in
                var opened: [PlanStorePostgres.PostgresDatabase] = []
                func open() async throws -> Repositories {
                    let db = try await PlanStorePostgres.PostgresDatabase.open(url: url, poolSize: 4, logger: testLogger)
                    opened.append(db)
                    return db.repositories
                }
                do {
                    try await body(try await open(), open)
                } catch {
                    for db in opened { await db.shutdown() }
                    throw error
                }
                for db in opened { await db.shutdown() }
            }
        }
    }
}

let testLogger = Logger(label: "plancal-tests")

func tempDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)/plancal.sqlite").path
}

/// Whether `PLANCAL_TEST_POSTGRES_URL` names a server to test on.
let postgresConfigured = !(ProcessInfo.processInfo.environment["PLANCAL_TEST_POSTGRES_URL"] ?? "").isEmpty

/// Why the PostgreSQL tests are skipped.
let postgresSkipReason: Comment = "PostgreSQL not tested: PLANCAL_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server and sets it)"

/// The test server's address, or the test cancelled with the reason when there is none.
func postgresTestURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment["PLANCAL_TEST_POSTGRES_URL"], !url.isEmpty else {
        try Test.cancel(postgresSkipReason)
    }
    return url
}

/// Runs `body` with the URL of a new, empty database on the test server, dropped afterwards:
/// tests never see each other's rows, locks or notifications.
func withFreshPostgresDatabase(_ body: (String) async throws -> Void) async throws {
    let adminURL = try postgresTestURL()
    let admin = try PostgresURL(adminURL)
    let name = "plancal_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
    try await withAdminConnection(admin) { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: testLogger).drain() }
    var components = URLComponents(string: adminURL)!
    components.path = "/" + name
    do {
        try await body(components.string!)
    } catch {
        try? await dropDatabase(name, admin: admin)
        throw error
    }
    try await dropDatabase(name, admin: admin)
}

private func dropDatabase(_ name: String, admin: PostgresURL) async throws {
    try await withAdminConnection(admin) {
        try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: testLogger).drain()
    }
}

/// One plain connection to a database of the test server, for set-up the repositories do not offer.
func withAdminConnection(_ address: PostgresURL, _ body: (PostgresConnection) async throws -> Void) async throws {
    let connection = try await PostgresConnection.connect(
        configuration: address.connectionConfiguration(connectTimeout: .seconds(10)), id: 1, logger: testLogger)
    do {
        try await body(connection)
    } catch {
        try? await connection.close()
        throw error
    }
    try await connection.close()
}

/// A record of plan `bach-dang` with every field its kind has set (an undo naming no record and
/// a waiver need `occurrence`; a withdrawal and a resolution name `withdraws`).
func record(_ n: Int, occurrence: OccurrenceID? = nil, action: CompletionRecord.Action = .news, unit: UnitID = "vhxh",
            plan: String = "bach-dang", day: Int? = nil, withdraws: Int64? = nil, reason: String? = nil) -> CompletionRecord {
    let on = CivilDate(year: 2026, month: 11, day: day ?? 1 + n % 28)!
    let activity = CompletionRecord.Activity(on: on, evidenceURL: "https://x.example/\(n)", note: "ghi chú \(n)", reached: n,
                                             participants: n + 1, organisations: n % 2 == 0 ? ["mttq", "cong-an"] : [],
                                             reason: reason)
    let kind: CompletionRecord.Kind
    switch action {
    case .done: kind = .done(occurrence: occurrence ?? OccurrenceID(wellFormed: "o/2026/u\(n)"), activity)
    case .undo:
        kind = withdraws.map { .withdrawal(of: $0, occurrence: occurrence, reason: reason) }
            ?? .undo(occurrence: occurrence ?? OccurrenceID(wellFormed: "o/2026/u\(n)"), reason: reason)
    case .waive: kind = .waive(occurrence: occurrence ?? OccurrenceID(wellFormed: "o/2026/u\(n)"), reason: reason)
    case .resolve: kind = .resolve(obstacle: withdraws ?? Int64(n), on: on, note: "ghi chú \(n)")
    case .news, .meeting, .training, .obstacle: kind = .adHoc(CompletionRecord.AdHocKind(action)!, activity)
    }
    return CompletionRecord(plan: plan, unit: unit, recordedBy: "Chị Lan \(n)",
                            recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + n), kind: kind)
}

/// A check that appends unless a record of the same action is already there.
let appendOnce: @Sendable ([CompletionRecord]) -> AppendDecision = { existing in
    existing.first.map(AppendDecision.alreadyRecorded) ?? .append
}

func at(_ seconds: Int) -> UTCDateTime { UTCDateTime(secondsSinceEpoch: seconds) }
