import Foundation
public import Hummingbird
import ICal
public import Logging
import PlanCore
import PlanFeed
public import PlanStore

/// Builds the whole server from its arguments and a database: `plancal serve` and the
/// tests both call this.
public func buildApplication(_ arguments: ServerArguments, database: AppDatabase,
                             logger: Logger) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(arguments, database: database, logger: logger)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(arguments.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(arguments.host, port: arguments.port), serverName: "plancal"),
        logger: logger)
}

/// The router with every route; separate so route tests can use it directly.
public func buildRouter(_ arguments: ServerArguments, database: AppDatabase,
                        logger: Logger) async throws -> Router<AppRequestContext> {
    let store = SQLiteCompletionStore(database)
    let registry = try PlanRegistry(paths: arguments.planPaths, store: store, logger: logger)
    let views = try await Views()
    let server = PlanServer(arguments: arguments, registry: registry, store: store, tokens: UnitTokens(database),
                            fetches: FetchRecorder(log: FeedFetchLog(database)), sessions: SessionStore(),
                            views: views, logger: logger)
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: HTMLErrorMiddleware(views: views))
    server.addRoutes(to: router)
    return router
}

/// Keeps the feed fetch log without writing the database on every fetch: each
/// (feed, client) pair is written at most once a minute, off the response path, and the
/// memory it holds is bounded whatever User-Agents clients send.
actor FetchRecorder {
    let log: FeedFetchLog
    private var pending: [String: (plan: String, feed: String, ua: String, at: UTCDateTime, count: Int)] = [:]
    private var lastWrite: [String: Int] = [:]
    static let maxKeys = 10_000

    init(log: FeedFetchLog) { self.log = log }

    func note(plan: String, feed: String, userAgent: String, at now: UTCDateTime) {
        let ua = String(userAgent.prefix(200))
        let key = "\(plan)\u{1}\(feed)\u{1}\(ua)"
        var p = pending[key] ?? (plan, feed, ua, now, 0)
        p.at = now
        p.count += 1
        pending[key] = p
        if now.secondsSinceEpoch - (lastWrite[key] ?? Int.min / 2) >= 60 {
            try? log.record(plan: plan, feed: feed, userAgent: ua, at: now, count: p.count)
            pending[key] = nil
            lastWrite[key] = now.secondsSinceEpoch
        }
        if pending.count + lastWrite.count > FetchRecorder.maxKeys { flush() }
    }

    /// Writes what is pending (before the dashboard reads the log) and bounds the table.
    func flush() {
        var plans: Set<String> = []
        for (_, p) in pending {
            try? log.record(plan: p.plan, feed: p.feed, userAgent: p.ua, at: p.at, count: p.count)
            plans.insert(p.plan)
        }
        pending = [:]
        lastWrite = [:]
        for plan in plans { try? log.prune(plan: plan) }
    }
}
