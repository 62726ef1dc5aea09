import Foundation
import ICal
import Logging
import PlanCore
import PlanFeed
import PlanFeedCache
import PlanStore

/// The plans a server serves — files named on the command line and every plan file below the
/// plans folder — each reloaded when its file changes; its records folded in as they come (only
/// the new ones), and its feeds built on request once per change.
///
/// A feed request whose plan file and store are unchanged since they were last confirmed is
/// answered from `cache` without entering the actor (`FeedCache.cached`): the plan file's watch
/// (or a `stat`) and the store's change signal (SQLite's wal-index in shared memory), no query. Only when
/// either moved does the actor ask the store for the plan's version and fold the new records.
actor PlanRegistry {
    /// One plan as currently served.
    struct Entry: Sendable {
        var path: String
        var plan: Plan
        var occurrences: [Occurrence]
        var ledger: CompletionLedger
        /// The plan file as it was when read (taken before reading: an edit landing while it
        /// loads is seen as a change at the next request).
        var file: FileStamp?
        var version: Int64
        /// The store's change stamp taken before `version` was asked.
        var change: ChangeStamp?
        /// Moves with every change of the plan or of its records.
        var generation: Int

        /// A feed builder over the plan as served (cheap: nothing is expanded again).
        var builder: FeedBuilder { FeedBuilder(plan: plan, occurrences: occurrences, ledger: ledger) }
    }

    /// A plan file below the plans folder that could not be loaded.
    struct Problem: Sendable {
        var path: String
        var message: String
        /// The file's stamp when it failed: it is tried again once it changes.
        var file: FileStamp?
    }

    private var entries: [String: Entry] = [:]
    private let completions: any CompletionRepository
    private let logger: Logger
    private let plansDir: String?
    private var problems: [String: Problem] = [:]
    /// Files named on the command line (they win a clash of plan ids).
    private var named: Set<String> = []
    /// Files found below the plans folder and not put in place yet (waiting or loading).
    private var queued: Set<String> = []
    /// Loads under way, by file: a request for a plan not served yet starts or joins its file's.
    private var loading: [String: Task<Result<Entry, any Error>, Never>] = [:]
    /// The background load of the files found by the scans so far.
    private var backlog: Task<Void, Never>?
    /// Files that could not be read for another reason than their content (the database away),
    /// with why, until they are read again.
    private var unreadable: [String: any Error] = [:]
    private var lastScan: Date = .distantPast
    private var refreshing: [String: (serial: Int, task: Task<Void, any Error>)] = [:]
    private var refreshSerial = 0
    private var nextGeneration = 1
    /// Feeds and the plans' confirmed state, read by feed requests without entering the actor.
    nonisolated let cache: FeedCache
    /// Seconds between two scans of the plans folder (a new plan appears within this).
    static let rescanSeconds: TimeInterval = 2

    /// Loads the plan files named on the command line, then starts loading every plan below
    /// `plansDir` in the background and returns: a country's thousands of plans take seconds
    /// to read, and a request for one of them need not wait for the others (`current` loads
    /// the file named after the plan at once). A named file that does not load stops the server
    /// (its owner asked for it); a bad file below the folder is skipped and reported.
    init(paths: [String], plansDir: String?, completions: any CompletionRepository, logger: Logger,
         cacheBytes: Int = 128 << 20) async throws {
        self.completions = completions
        self.logger = logger
        self.plansDir = plansDir
        // The store's change signal, where it gives one (SQLite's).
        let cache = FeedCache(maxBytes: cacheBytes, signal: completions as? any ChangeSignal)
        self.cache = cache
        for (path, result) in await PlanRegistry.load(paths, completions: completions, cache: cache) {
            let entry = try result.get()
            guard entries[entry.plan.id] == nil else {
                throw PlanError(file: path, field: "plan.id", "một kế hoạch khác đang phục vụ đã có mã \"\(entry.plan.id)\"")
            }
            add(entry)
            named.insert(path)
        }
        scan()
    }

    /// Loads plan files in parallel, one task per core: parsing, validation and expansion are
    /// CPU work, and a country has thousands of plans.
    private static func load(_ paths: [String], completions: any CompletionRepository,
                             cache: FeedCache) async -> [(String, Result<Entry, any Error>)] {
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        struct Loaded: Sendable {
            var index: Int
            var result: Result<Entry, any Error>
        }
        return await withTaskGroup(of: Loaded.self) { group in
            var results = [(String, Result<Entry, any Error>)?](repeating: nil, count: paths.count)
            for (i, path) in paths.enumerated() {
                // At most `width` loads at once: wait for one before starting the next.
                if i >= width, let done = await group.next() { results[done.index] = (paths[done.index], done.result) }
                group.addTask {
                    do {
                        let entry = try await PlanRegistry.loadEntry(path: path, completions: completions, cache: cache)
                        return Loaded(index: i, result: .success(entry))
                    } catch {
                        return Loaded(index: i, result: .failure(error))
                    }
                }
            }
            while let done = await group.next() { results[done.index] = (paths[done.index], done.result) }
            return results.compactMap { $0 }
        }
    }

    private static func loadEntry(path: String, completions: any CompletionRepository, cache: FeedCache) async throws -> Entry {
        let file = FileStamp(path: path)
        let plan = try PlanLoader.load(path: path)
        let occurrences = try Schedule(plan: plan).occurrences()
        let change = cache.changeStamp()
        let version = try await completions.version(plan: plan.id)
        let ledger = CompletionLedger(records: try await completions.records(plan: plan.id), plan: plan, occurrences: occurrences)
        return Entry(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                     change: change, generation: 0)
    }

    /// Puts an entry in place with a new generation and publishes it to the feed requests.
    private func add(_ entry: Entry) {
        var entry = entry
        entry.generation = nextGeneration
        nextGeneration += 1
        entries[entry.plan.id] = entry
        publish(entry)
    }

    private func publish(_ entry: Entry) {
        cache.confirm(entry.plan.id, FeedCache.PlanState(path: entry.path, file: entry.file, change: entry.change,
                                                          generation: entry.generation))
    }

    /// Picks up plan files added below the plans folder since the last scan and loads them in
    /// the background, several at once (two per core); returns at once.
    private func scan() {
        guard let plansDir else { return }
        lastScan = Date()
        let known = Set(entries.values.map(\.path))
        let found = PlanFiles.below(plansDir)
        // A file that could not be read and has gone since is no longer waited for.
        if !unreadable.isEmpty {
            let present = Set(found)
            unreadable = unreadable.filter { present.contains($0.key) }
        }
        var fresh: [String] = []
        for path in found where !known.contains(path) && !queued.contains(path) {
            if let p = problems[path], p.file == FileStamp(path: path) { continue }
            fresh.append(path)
        }
        guard !fresh.isEmpty else { return }
        queued.formUnion(fresh)
        let before = backlog
        backlog = Task {
            await before?.value
            await self.loadInBackground(fresh)
        }
    }

    /// Loads files found by a scan, at most two per core at a time (a request's own load, see
    /// `find`, comes on top), each put in place as soon as it is read.
    private func loadInBackground(_ paths: [String]) async {
        // Two loads per core: each waits twice on the database between its parsing and its
        // schedule. The country (3,321 plans) was loaded in 11.2–11.4 s against 12.2–13.5 s with
        // one per core, and a ward asked for first still answered after 0.3 s.
        let width = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)
        await withTaskGroup(of: String.self) { group in
            var running = 0
            for path in paths {
                if running >= width, let done = await group.next() {
                    running -= 1
                    await settle(done)
                }
                // A request may have loaded it meanwhile.
                guard queued.contains(path) else { continue }
                let task = loadTask(path)
                group.addTask {
                    _ = await task.value
                    return path
                }
                running += 1
            }
            while let done = await group.next() { await settle(done) }
        }
    }

    /// The load of a file found by a scan: the one under way, else a new one.
    private func loadTask(_ path: String) -> Task<Result<Entry, any Error>, Never> {
        if let task = loading[path] { return task }
        let completions = self.completions, cache = self.cache
        let task = Task.detached {
            do { return Result<Entry, any Error>.success(try await PlanRegistry.loadEntry(path: path, completions: completions, cache: cache)) } catch {
                return .failure(error)
            }
        }
        loading[path] = task
        return task
    }

    /// Puts a file's load in place once it has ended: the plan served, or the file reported. A
    /// plan id already served from another file keeps the file named on the command line, else
    /// the first in path order (the same one whichever load ends first). A file whose plan is
    /// wrong (its content, its schedule) is reported until it changes; one that could not be read
    /// for another reason (the database away) is tried again at the next scan, and that error is
    /// returned.
    @discardableResult
    private func settle(_ path: String) async -> (any Error)? {
        guard let task = loading[path] else { return nil }
        let result = await task.value
        // Put in place once: by whoever gets here first after the load.
        guard loading[path] == task else { return nil }
        loading[path] = nil
        queued.remove(path)
        unreadable[path] = nil
        switch result {
        case .success(let entry):
            if let other = entries[entry.plan.id], other.path != path {
                if named.contains(other.path) || other.path < path {
                    problems[path] = Problem(path: path, message: "mã kế hoạch \"\(entry.plan.id)\" trùng với \(other.path)",
                                             file: entry.file)
                    return nil
                }
                problems[other.path] = Problem(path: other.path, message: "mã kế hoạch \"\(entry.plan.id)\" trùng với \(path)",
                                               file: other.file)
            }
            add(entry)
            problems[path] = nil
            return nil
        case .failure(let error) where error is PlanError || error is ICalError:
            problems[path] = Problem(path: path, message: "\(error)", file: FileStamp(path: path))
            logger.error("plan file below the plans folder is invalid; skipped", metadata: ["path": "\(path)"])
            return nil
        case .failure(let error):
            logger.error("plan file below the plans folder could not be loaded; trying again at the next scan",
                         metadata: ["path": "\(path)", "error": "\(error)"])
            unreadable[path] = error
            return error
        }
    }

    /// Makes a plan not served yet available if a file below the plans folder holds it: the
    /// files named after it (`<id>.yaml`, `<id>/plan.yaml`) are loaded at once, ahead of the
    /// background load; failing those, every file found is waited for.
    /// While a file could not be read for another reason than its content (the database away),
    /// a plan not found fails the request with that error (the file named after the plan's first),
    /// rather than a 404 telling clients the feed is gone.
    private func find(_ id: String) async throws {
        for round in 0..<2 {
            if round == 1 {
                guard rescanDue else { break }
                scan()
            }
            for path in queued.filter({ PlanRegistry.mayHold($0, id) }).sorted() {
                // Settled by another request while this one waited.
                guard queued.contains(path) else { continue }
                _ = loadTask(path)
                if let error = await settle(path) { throw error }
            }
            if entries[id] != nil { return }
            await backlog?.value
            if entries[id] != nil { return }
        }
        if let error = unreadable.first(where: { PlanRegistry.mayHold($0.key, id) })?.value ?? unreadable.values.first {
            throw error
        }
    }

    /// True when the file's name (other than `plan`, every ward's file in the usual layout) or
    /// its folder's is the plan id.
    static func mayHold(_ path: String, _ id: String) -> Bool {
        let p = path as NSString
        let stem = (p.lastPathComponent as NSString).deletingPathExtension
        return (stem == id && stem != "plan") || (p.deletingLastPathComponent as NSString).lastPathComponent == id
    }

    /// True when the plans folder was last scanned `rescanSeconds` ago or more.
    private var rescanDue: Bool {
        plansDir != nil && Date().timeIntervalSince(lastScan) >= PlanRegistry.rescanSeconds
    }

    private func rescanIfDue() {
        if rescanDue { scan() }
    }

    /// How far loading has got (`GET /ready`): ready once every file found has been read — a
    /// file whose plan is broken counts as read (it is shown on the city page); one that could
    /// not be read (the database away) does not.
    struct Readiness: Encodable, Sendable {
        var ready: Bool
        /// Plans served.
        var plans: Int
        /// Files found and not read yet.
        var loading: Int
        /// Files that could not be read, to be tried again.
        var unreadable: Int
    }

    func readiness() -> Readiness {
        // A load balancer that keeps traffic away while this says 503 must not stop the rescan
        // that retries the files that could not be read.
        rescanIfDue()
        return Readiness(ready: queued.isEmpty && unreadable.isEmpty, plans: entries.count, loading: queued.count,
                  unreadable: unreadable.count)
    }

    /// Waits for every file found so far to be loaded.
    func loaded() async {
        await backlog?.value
    }

    /// Ids of the plans served, sorted (a new file below the plans folder included).
    func planIDs() async throws -> [String] {
        rescanIfDue()
        await backlog?.value
        return entries.keys.sorted()
    }

    /// Plan files below the plans folder that could not be loaded, by path.
    func loadProblems() async -> [Problem] {
        await backlog?.value
        return problems.values.sorted { $0.path < $1.path }
    }

    /// The current state of a plan: reloaded when the file changed, new records folded in when
    /// the store says the plan's version moved. A plan file that became invalid keeps the last
    /// good plan served (and is logged).
    func current(_ id: String) async throws -> Entry? {
        if entries[id] == nil { try await find(id) }
        guard entries[id] != nil else { return nil }
        try await refresh(id)
        return entries[id]
    }

    /// The plan and its occurrences for a write: a write needs neither the records nor the
    /// feeds (its checks read the store), only the plan as its file says now.
    func planForWrite(_ id: String) async throws -> Entry? {
        if entries[id] == nil { try await find(id) }
        guard let entry = entries[id] else { return nil }
        if FileStamp(path: entry.path) == entry.file { return entry }
        try await refresh(id)
        return entries[id]
    }

    /// True when nothing may have changed since the plan was last confirmed.
    private func confirmed(_ id: String) -> Bool {
        guard let entry = entries[id], let change = cache.changeStamp() else { return false }
        return change == entry.change && FileStamp(path: entry.path) == entry.file
    }

    /// Brings a plan up to date. Requests that arrive together share one refresh: a request
    /// joins one under way, and when that one may have started before the request (so before a
    /// write the request must see), it joins or starts the next one.
    private func refresh(_ id: String) async throws {
        if confirmed(id) { return }
        if let running = refreshing[id] {
            _ = await running.task.result
            if confirmed(id) { return }
        }
        if let running = refreshing[id] {
            // Started after the one above ended (a refresh leaves the table as it ends), so
            // after this request arrived.
            try await running.task.value
            return
        }
        refreshSerial += 1
        let serial = refreshSerial
        let task = Task {
            defer { if self.refreshing[id]?.serial == serial { self.refreshing[id] = nil } }
            try await self.refreshNow(id)
        }
        refreshing[id] = (serial, task)
        try await task.value
    }

    private func refreshNow(_ id: String) async throws {
        guard var entry = entries[id] else { return }
        let file = FileStamp(path: entry.path)
        if file != entry.file {
            do {
                let plan = try PlanLoader.load(path: entry.path)
                if plan.id == id {
                    var fresh = try await PlanRegistry.loadEntry(path: entry.path, completions: completions, cache: cache)
                    // The stamp taken before this read (loadEntry takes its own, later).
                    fresh.file = file
                    // Another file took the id meanwhile (it sorts first): this one stays out.
                    guard entries[id]?.path == entry.path else { return }
                    add(fresh)
                    return
                }
                logger.error("plan file changed its id; keeping the last good plan", metadata: ["path": "\(entry.path)"])
            } catch let error as PlanError {
                logger.error("plan file is invalid; keeping the last good plan", metadata: ["error": "\(error)"])
            }
            entry.file = file
            entries[id] = entry
            publish(entry)
        }
        // The stamp before the version: a write landing after this read moves the stamp again.
        let change = cache.changeStamp()
        let version: Int64
        let new: [CompletionRecord]
        do {
            version = try await completions.version(plan: id)
            new = version != entries[id]?.version
                ? try await completions.records(plan: id, after: entries[id]?.ledger.lastID ?? 0) : []
        } catch StorageError.unavailable(let detail) {
            // The database is away: keep serving what was last read (the stamp stays unconfirmed,
            // so the next request asks again); writes answer 503 meanwhile.
            logger.warning("database unavailable; serving the last state read", metadata: ["plan": "\(id)", "error": "\(detail)"])
            return
        }
        guard var now = entries[id] else { return }
        if version != now.version {
            // Re-read: another refresh may have folded some of these meanwhile (folding skips them).
            guard let latest = entries[id] else { return }
            now = latest
            let before = now.ledger.count
            now.ledger.fold(new)
            now.version = version
            if now.ledger.count != before {
                now.generation = nextGeneration
                nextGeneration += 1
            }
        }
        now.change = change
        entries[id] = now
        publish(now)
        await confirmOthers(change: change, except: id)
    }

    /// The change stamp at which every plan was last confirmed together.
    private var confirmedAll: ChangeStamp?

    /// Confirms, with one read of every plan's version, the plans whose records have not
    /// changed at a stamp that moved for another reason — this server's own fetch log, another
    /// plan's write. Without it each of a city's plans would find out on its own, one request
    /// through the application per plan for every write of the fetch log. Plans whose version
    /// did move are left to their own refresh. `change` was taken before the read, so a write
    /// landing meanwhile moves the stamp again.
    private func confirmOthers(change: ChangeStamp?, except id: String) async {
        guard let change, confirmedAll != change, entries.count > 1 else { return }
        confirmedAll = change
        guard let versions = try? await completions.versions() else { return }
        for (other, entry) in entries where other != id && entry.change != change && (versions[other] ?? 0) == entry.version {
            var confirmed = entry
            confirmed.change = change
            entries[other] = confirmed
            publish(confirmed)
        }
    }

    // MARK: - Feeds

    /// A feed by file name (`vhxh.ics`, `vhxh-tasks.ics`, `all.ics`), rendered on first use.
    /// Rendering runs in a task of its own, not in the actor (plans render in parallel), and
    /// makes every feed of the plan at once: the feeds share most of their items, so all 18
    /// cost little more than the largest.
    nonisolated func feed(plan id: String, file: String) async throws -> CachedFeed? {
        guard let entry = try await current(id) else { return nil }
        let cache = self.cache
        return try await cache.feed(plan: id, file: file, generation: entry.generation) {
            try FeedRenderer.render(entry.builder, generation: entry.generation) { cache.served(plan: id, files: $0) }
        }
    }
}
