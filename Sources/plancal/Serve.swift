import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PlanServer
import PlanStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the feeds, the dashboard and the API over HTTP.",
        discussion: """
            Feeds: /calendars/<plan>/<unit>.ics (and -tasks.ics, all.ics). Dashboard: /plans/<plan>. API: GET /api/<plan>/compliance (JSON; .csv for CSV), POST /api/<plan>/completions and /api/<plan>/undo with Authorization: Bearer <token> (see plancal token). Repeat --plan to serve several plans. Stops cleanly on SIGINT or SIGTERM.
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port = 8080

    @Option(name: .long, help: ArgumentHelp("A plan file to serve (repeatable; default: the shipped plan).", valueName: "path"))
    var plan: [String] = []

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Public base URL for subscribe links (default: the Host the request came to).", valueName: "url"))
    var baseURL: String?

    @Option(name: .long, help: ArgumentHelp("Take this day as today (for demonstrations and tests).", valueName: "date"))
    var today: String?

    @Option(name: .long, help: ArgumentHelp("Seconds before an idle connection is closed.", valueName: "seconds"))
    var idleTimeout = 30

    @Option(name: .long, help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds") }
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) || URL(string: baseURL)?.host == nil {
            throw ValidationError("--base-url must be an absolute http(s) URL, e.g. https://lich.example.vn")
        }
        if let today, parseDateOrNil(today) == nil {
            throw ValidationError("--today: \"\(today)\" is not a date (dd/mm/yyyy or yyyy-mm-dd)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
    }

    func run() async throws {
        var logger = Logger(label: "plancal")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let database: AppDatabase
        do { database = try AppDatabase(path: store.path) } catch { throw CLIError("\(error)") }
        let arguments = ServerArguments(
            host: host, port: port, planPaths: plan.isEmpty ? ["calendars/bach-dang/plan.yaml"] : plan,
            baseURL: baseURL, today: today.flatMap(parseDateOrNil), secureCookies: baseURL?.hasPrefix("https://") ?? false,
            idleTimeoutSeconds: idleTimeout)
        let app: any ApplicationProtocol
        do { app = try await buildApplication(arguments, database: database, logger: logger) } catch {
            throw CLIError("\(error)")
        }
        logger.info("plancal serving", metadata: ["address": "http://\(host):\(port)", "db": "\(store.path)"])
        try await app.runService()
    }
}
