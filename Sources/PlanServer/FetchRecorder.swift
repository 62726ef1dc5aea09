import Foundation
import ICal
import Logging
import PlanCore
import Synchronization

/// Keeps the feed fetch log without writing the database on every fetch: each (feed, client)
/// pair is written at most once a minute, and the memory it holds is bounded whatever
/// User-Agents clients send. Noting a fetch only touches memory, under a short lock (no actor
/// hop on the feed path); writes happen in order in one task of their own, off the response
/// path, at most one batch a second (`pauseBetweenWrites`), and `flush` waits for them. Each
/// write moves the store's change stamp (`ChangeSignal`), which every served plan must then confirm: a crawl of
/// a country's 59,778 feeds, each a first fetch written at once, kept the server confirming.
final class FetchRecorder: Sendable {
    let log: any FetchLogRepository
    private let logger: Logger
    private struct Key: Hashable {
        var plan: String
        var feed: String
        var agent: String
    }
    /// Per (feed, client): the fetches not written yet and when the pair was last written.
    private struct Entry {
        var pending: FeedFetch?
        var lastWrite = Int.min / 2
    }
    /// Everything that changes, behind one short lock.
    private struct State {
        var entries: [Key: Entry] = [:]
        var queued: [FeedFetch] = []
        /// The pause after a batch, cancelled by `flush`.
        var pause: Task<Void, any Error>?
        /// Flushes under way: no pause while one waits.
        var flushing = 0
        var pruneQueued: Set<String> = []
        var writer: Task<Void, Never>?
        var writesSincePrune = 0
        /// Set once the database refused a write as read-only: the log is not kept from then on.
        var readOnly = false

        /// Queues writes; true when the writer must be started.
        mutating func enqueue(_ fetches: [FeedFetch]) -> Bool {
            guard !readOnly else { return false }
            queued += fetches
            writesSincePrune += fetches.count
            for f in fetches { pruneQueued.insert(f.plan) }
            return writer == nil
        }
    }
    private let state = Mutex(State())
    static let pauseBetweenWrites: Duration = .seconds(1)
    static let maxKeys = 10_000
    /// Rows kept per plan.
    static let keep = 1000
    /// Writes between prunes: the table never holds more than `keep` + this many rows per plan.
    static let pruneEvery = 100

    init(log: any FetchLogRepository, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    func note(plan: String, feed: String, userAgent: String, at now: UTCDateTime) {
        let agent = userAgent.utf8.count > 200 ? String(userAgent.prefix(200)) : userAgent
        let key = Key(plan: plan, feed: feed, agent: agent)
        // The entry is changed in place (one lookup of the key), and what falls due comes out.
        func count(_ e: inout Entry) -> FeedFetch? {
            var p = e.pending ?? FeedFetch(plan: plan, feed: feed, userAgent: agent, lastAt: now, count: 0)
            p.lastAt = now
            p.count += 1
            guard now.secondsSinceEpoch - e.lastWrite >= 60 else {
                e.pending = p
                return nil
            }
            e.pending = nil
            e.lastWrite = now.secondsSinceEpoch
            return p
        }
        let start = state.withLock { s in
            var start = false
            if let due = count(&s.entries[key, default: Entry()]) { start = s.enqueue([due]) }
            if s.entries.count > FetchRecorder.maxKeys {
                start = s.enqueue(s.entries.values.compactMap(\.pending)) || start
                s.entries = [:]
            }
            return start
        }
        if start { startWriter() }
    }

    private func startWriter() {
        state.withLock { s in
            guard s.writer == nil, !s.queued.isEmpty else { return }
            s.writer = Task { await self.drain() }
        }
    }

    /// Writes what is queued, one batch at a time, then prunes every `pruneEvery` writes.
    private func drain() async {
        while true {
            let next: (batch: [FeedFetch], prune: Set<String>)? = state.withLock { s in
                guard !s.queued.isEmpty else {
                    s.writer = nil
                    return nil
                }
                let batch = s.queued
                s.queued = []
                var prune: Set<String> = []
                if s.writesSincePrune >= FetchRecorder.pruneEvery {
                    prune = s.pruneQueued
                    s.pruneQueued = []
                    s.writesSincePrune = 0
                }
                return (batch, prune)
            }
            guard let (batch, prune) = next else { return }
            do {
                try await log.record(batch)
                for plan in prune.sorted() { try await log.prune(plan: plan, keep: FetchRecorder.keep) }
            } catch StorageError.readOnly(let detail) {
                logger.warning("the database is read-only: the feed fetch log is not kept", metadata: ["error": "\(detail)"])
                state.withLock { s in
                    s.readOnly = true
                    s.queued = []
                }
            } catch {
                logger.error("feed fetch log not written", metadata: ["error": "\(error)"])
            }
            // What arrives meanwhile goes in the next batch.
            let waiting: Task<Void, any Error>? = state.withLock { s in
                guard s.flushing == 0, !s.readOnly else { return nil }
                let t = Task { try await Task.sleep(for: FetchRecorder.pauseBetweenWrites) }
                s.pause = t
                return t
            }
            _ = await waiting?.result
        }
    }

    /// Writes what is pending and waits until every queued write is done (before the
    /// dashboard reads the log).
    func flush() async {
        state.withLock { $0.flushing += 1 }
        defer { state.withLock { $0.flushing -= 1 } }
        let start: Bool = state.withLock { s in
            let pending = s.entries.values.compactMap(\.pending)
            guard !pending.isEmpty else { return false }
            s.entries = [:]
            return s.enqueue(pending)
        }
        if start { startWriter() }
        while let w = state.withLock({ s -> Task<Void, Never>? in
            s.pause?.cancel()
            return s.writer
        }) {
            await w.value
        }
    }
}
