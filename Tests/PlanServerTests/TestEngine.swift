import Foundation
import Logging
import PlanCore
import PlanStore
import PlanStorePostgres

/// The storage the route tests run on: SQLite in memory, or — with `PLANCAL_ROUTE_ENGINE=postgres`
/// and `PLANCAL_TEST_POSTGRES_URL` set, as `scripts/test.sh` does in a second pass — a new, empty
/// PostgreSQL database for each server the tests build.
enum TestEngine {
    static var postgresURL: String? {
        let env = ProcessInfo.processInfo.environment
        guard env["PLANCAL_ROUTE_ENGINE"] == "postgres", let url = env["PLANCAL_TEST_POSTGRES_URL"], !url.isEmpty else {
            return nil
        }
        return url
    }

    /// Fresh, empty repositories of the engine under test.
    static func repositories() async throws -> Repositories {
        guard let admin = postgresURL else { return try AppDatabase().repositories }
        let name = "plancal_routes_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [admin, "-qc", "CREATE DATABASE \(name)"]
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        var components = URLComponents(string: admin)!
        components.path = "/" + name
        var logger = Logger(label: "route-tests")
        logger.logLevel = .error
        // The cluster is thrown away at the end of the run, and the databases with it.
        return try await PostgresDatabase.open(url: components.string!, poolSize: 4, logger: logger).repositories
    }
}
