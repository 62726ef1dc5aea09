import Foundation
import Logging
public import PlanCore
import PostgresNIO

/// What `PostgresDatabase.changes()` reports.
public enum RecordChange: Sendable, Equatable {
    /// A record of this plan was added (by any process on the database).
    case plan(String)
    /// Listening has (re)started: changes made before may have been missed, so whatever
    /// depends on them should be read again. Always the first element of the stream.
    case resync
}

/// The PostgreSQL database behind plancal when one machine is not enough: the same records,
/// tokens, sessions and fetch log as the SQLite store, shared by every server instance.
///
/// One `PostgresDatabase` owns one connection pool (`PostgresClient`) and the task that drives
/// it. Open it with `open(url:poolSize:connectTimeout:logger:)`, use `repositories`, and call
/// `shutdown()` when done (the CLI at the end of a command, the server when it stops).
public final class PostgresDatabase: Sendable {
    /// The NOTIFY channel a trigger sends each new record's plan id to.
    static let channel = "plancal_records"

    let client: PostgresClient
    let address: PostgresURL
    let connectTimeout: Duration
    let logger: Logger
    private let running: Task<Void, Never>
    private let listeners = Listeners()

    private init(address: PostgresURL, poolSize: Int, connectTimeout: Duration, logger: Logger) {
        self.address = address
        self.connectTimeout = connectTimeout
        self.logger = logger
        let client = PostgresClient(configuration: address.clientConfiguration(poolSize: poolSize, connectTimeout: connectTimeout),
                                    backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
    }

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/db`, also
    /// `postgresql://`, optionally `?sslmode=disable|prefer|require|verify-full` as in libpq)
    /// and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - poolSize: the most connections this process keeps open at once (below 1 counts as 1).
    ///   - connectTimeout: how long an operation waits for a connection before it fails with
    ///     `StorageError.unavailable` (also the limit of one connection attempt).
    ///   - logger: where the pool logs; plancal's own logger.
    /// - Throws: `PostgresURLError` for an address that cannot be used,
    ///   `StorageError.unavailable` when the server cannot be reached or refuses the login.
    public static func open(url: String, poolSize: Int = 10, connectTimeout: Duration = .seconds(10),
                            logger: Logger) async throws -> PostgresDatabase {
        let address = try PostgresURL(url)
        // One direct attempt first: the pool would only retry in silence, while a wrong
        // password or database name deserves its own message now.
        try await probe(address, connectTimeout: connectTimeout, logger: logger)
        let database = PostgresDatabase(address: address, poolSize: max(1, poolSize), connectTimeout: connectTimeout,
                                        logger: logger)
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw error
        }
        return database
    }

    /// The repositories on this database.
    public var repositories: Repositories {
        let completions = PostgresCompletionRepository(self), tokens = PostgresTokenRepository(self)
        return Repositories(completions: completions, tokens: tokens,
                            sessions: PostgresSessionRepository(self), fetches: PostgresFetchLogRepository(self),
                            figures: PostgresFigureRepository(self),
                            baselines: PostgresBaselineRepository(self))
    }

    /// Closes every connection and stops listening. Operations started afterwards fail with
    /// `StorageError.unavailable`.
    public func shutdown() async {
        listeners.cancelAll()
        running.cancel()
        await running.value
    }

    /// The plan of every record added from now on, by any process on this database, as
    /// PostgreSQL's LISTEN/NOTIFY delivers it. Starts with `.resync` once listening and yields
    /// `.resync` again after a lost connection is re-established. Listening uses its own
    /// connection, not one of the pool's; it stops when the stream's consumer goes away or at
    /// `shutdown()`.
    public func changes() -> AsyncStream<RecordChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: RecordChange.self, bufferingPolicy: .bufferingNewest(10_000))
        let task = Task { [address, connectTimeout, logger] in
            var failures = 0
            while !Task.isCancelled {
                do {
                    let config = try address.connectionConfiguration(connectTimeout: connectTimeout)
                    let connection = try await PostgresConnection.connect(configuration: config, id: Int.random(in: 1...Int.max),
                                                                          logger: logger)
                    do {
                        // Closing the connection is what ends the wait for the next notification.
                        try await withTaskCancellationHandler {
                            try await connection.listen(on: Self.channel) { notifications in
                                failures = 0
                                continuation.yield(.resync)
                                for try await notification in notifications {
                                    continuation.yield(.plan(notification.payload))
                                }
                            }
                        } onCancel: {
                            let _: EventLoopFuture<Void> = connection.close()
                        }
                    } catch {
                        // A connection must be closed before it goes, even one the server ended.
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("plancal: lost the PostgreSQL change listener, retrying", metadata: ["error": "\(error)"])
                }
                failures += 1
                // 0.2 s, 0.4 s, … up to 10 s between attempts while the server is away.
                try? await Task.sleep(for: .milliseconds(min(10_000, 100 << min(failures, 7))))
            }
            continuation.finish()
        }
        guard let id = listeners.add(task) else {
            // Already shut down: an empty stream.
            task.cancel()
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [listeners] _ in
            task.cancel()
            listeners.remove(id)
        }
        return stream
    }

    // MARK: - Running statements

    /// Leases a connection for `body`. Waiting for one is bounded by `connectTimeout`: while
    /// the server is away the pool keeps retrying in the background and would otherwise hold
    /// the request for up to a minute. Once `body` has the connection it is never cut short,
    /// so a write is either reported or not made.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = LeaseState()
        let noConnection = "PostgreSQL \(address.redacted): chưa có kết nối sau \(connectTimeout.components.seconds) giây"
        return try await mapStorageErrors {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { [client] in
                    try await client.withConnection { connection in
                        guard lease.begin() else { throw StorageError.unavailable(noConnection) }
                        return try await body(connection)
                    }
                }
                group.addTask { [connectTimeout] in
                    try await Task.sleep(for: connectTimeout)
                    if lease.giveUp() { throw StorageError.unavailable(noConnection) }
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw StorageError.unavailable(noConnection)
            }
        }
    }

    /// Runs `body` in one READ COMMITTED transaction (whatever the server's default): each
    /// statement then sees what committed before it started, which the append's lock relies on.
    /// An error from `body` rolls back and is rethrown as it is.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { [logger] connection in
            try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger).drain()
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger).drain()
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger).drain()
                throw error
            }
        }
    }

    /// Connects once and disconnects, turning a failure into a message naming its cause.
    private static func probe(_ address: PostgresURL, connectTimeout: Duration, logger: Logger) async throws {
        try await mapStorageErrors {
            let config = try address.connectionConfiguration(connectTimeout: connectTimeout)
            let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
            try? await connection.close()
        } detail: { "\(address.redacted): \($0)" }
    }
}

extension PostgresRowSequence {
    /// Reads a result to its end (every result is read, even an empty one, before the next
    /// statement on the connection).
    func drain() async throws {
        for try await _ in self {}
    }
}

/// Whether a lease request got its connection or gave up waiting: exactly one of the two wins.
// `lock` guards `state`.
private final class LeaseState: @unchecked Sendable {
    private let lock = NSLock()
    private var state = 0  // 0 waiting, 1 leased, 2 gave up

    /// True when the connection arrived before the wait ended.
    func begin() -> Bool { lock.withLock { state == 0 ? (state = 1, true).1 : false } }
    /// True when the wait ended before the connection arrived.
    func giveUp() -> Bool { lock.withLock { state == 0 ? (state = 2, true).1 : false } }
}

/// The change listeners of a database, ended together at shutdown.
// `lock` guards `tasks`, `next` and `closed`.
private final class Listeners: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var next = 0
    private var closed = false

    /// Keeps a listener's task; nil once the database is shut down.
    func add(_ task: Task<Void, Never>) -> Int? {
        lock.withLock {
            guard !closed else { return nil }
            next += 1
            tasks[next] = task
            return next
        }
    }

    func remove(_ id: Int) { _ = lock.withLock { tasks.removeValue(forKey: id) } }

    /// Cancels every listener, and any added later.
    func cancelAll() {
        let all = lock.withLock {
            closed = true
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
    }
}
