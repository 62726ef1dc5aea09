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
    // Feeds must be the bytes `generate` writes, so their links come from the plan file.
    if let base = arguments.baseURL {
        for id in await registry.planIDs {
            guard let plan = try await registry.current(id)?.plan, let planBase = plan.publicBaseURL,
                  URL(string: planBase)?.host != URL(string: base)?.host else { continue }
            logger.warning("--base-url differs from the plan's public_base_url: links inside the feeds still point to the plan's address; set public_base_url in the plan file",
                           metadata: ["plan": "\(plan.id)", "public_base_url": "\(planBase)", "base_url": "\(base)"])
        }
    }
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

/// Runs blocking database work (a write may wait up to the busy timeout for another process's
/// lock) on a dispatch queue, so it never holds one of Swift's few cooperative threads.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try body() }) }
    }
}

/// Keeps the feed fetch log without writing the database on every fetch: each
/// (feed, client) pair is written at most once a minute, and the memory it holds is bounded
/// whatever User-Agents clients send. Noting a fetch only touches memory; the writes run in
/// order on a serial queue of their own, off the response path and off Swift's cooperative
/// threads (a write may wait for another process's lock), and `flush` waits for them.
actor FetchRecorder {
    let log: FeedFetchLog
    private let writes = DispatchQueue(label: "plancal.fetch-log")
    private var pending: [String: (plan: String, feed: String, ua: String, at: UTCDateTime, count: Int)] = [:]
    private var lastWrite: [String: Int] = [:]
    /// Plans written to since their last prune, and how many writes that was.
    private var unpruned: Set<String> = []
    private var writesSincePrune = 0
    static let maxKeys = 10_000
    /// Writes between prunes: the table never holds more than `keep` + this many rows per plan.
    static let pruneEvery = 100

    init(log: FeedFetchLog) { self.log = log }

    func note(plan: String, feed: String, userAgent: String, at now: UTCDateTime) {
        let ua = String(userAgent.prefix(200))
        let key = "\(plan)\u{1}\(feed)\u{1}\(ua)"
        var p = pending[key] ?? (plan, feed, ua, now, 0)
        p.at = now
        p.count += 1
        pending[key] = p
        if now.secondsSinceEpoch - (lastWrite[key] ?? Int.min / 2) >= 60 {
            pending[key] = nil
            lastWrite[key] = now.secondsSinceEpoch
            unpruned.insert(plan)
            writesSincePrune += 1
            let prune = writesSincePrune >= FetchRecorder.pruneEvery ? takeUnpruned() : []
            let log = self.log, count = p.count
            writes.async {
                try? log.record(plan: plan, feed: feed, userAgent: ua, at: now, count: count)
                for plan in prune { try? log.prune(plan: plan) }
            }
        }
        if pending.count + lastWrite.count > FetchRecorder.maxKeys { writePending() }
    }

    private func takeUnpruned() -> Set<String> {
        defer { unpruned = []; writesSincePrune = 0 }
        return unpruned
    }

    /// Queues what is pending, then prunes the plans written to.
    private func writePending() {
        let rows = Array(pending.values)
        for p in rows { unpruned.insert(p.plan) }
        pending = [:]
        lastWrite = [:]
        let prune = takeUnpruned()
        let log = self.log
        writes.async {
            for p in rows { try? log.record(plan: p.plan, feed: p.feed, userAgent: p.ua, at: p.at, count: p.count) }
            for plan in prune { try? log.prune(plan: plan) }
        }
    }

    /// Writes what is pending and waits until every queued write is done (before the
    /// dashboard reads the log).
    func flush() async {
        writePending()
        let writes = self.writes
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in writes.async { done.resume() } }
    }
}
