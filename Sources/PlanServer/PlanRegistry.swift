import Foundation
import Logging
import PlanCore
import PlanFeedCache
import PlanStore

/// The plans a server serves — files named on the command line and every plan file below the
/// plans folder — each reloaded when its file changes; its records folded in as they come (only
/// the new ones), and its feeds built on request once per change.
///
/// It wires four parts, each testable alone: the `PlanCatalog` (which files, which failed, who
/// holds a plan id), the `PlanSnapshot`s it serves (one immutable value per plan), the
/// `LedgerRefresher` (loads a file, asks the store what changed) and the `FeedRenderer` (a
/// snapshot's feeds as pieces, kept by the `FeedCache`). What is left here is the order of
/// things: background loading, requests that share a load or a refresh, generations.
///
/// A feed request whose plan file and store are unchanged since they were last confirmed is
/// answered from `cache` without entering the actor (`FeedCache.cached`): the plan file's watch
/// (or a `stat`) and the store's change signal (SQLite's wal-index in shared memory), no query.
/// Only when either moved does the actor ask the store for the plan's version and fold the new
/// records.
actor PlanRegistry {
    /// One plan as currently served.
    typealias Entry = PlanSnapshot

    private var entries: [String: PlanSnapshot] = [:]
    private var catalog: PlanCatalog
    private let refresher: LedgerRefresher
    private let logger: Logger
    /// Loads under way, by file: a request for a plan not served yet starts or joins its file's.
    private var loading: [String: Task<Result<PlanSnapshot, any Error>, Never>] = [:]
    /// The background load of the files found by the scans so far.
    private var backlog: Task<Void, Never>?
    private var refreshing: [String: (serial: Int, task: Task<Void, any Error>)] = [:]
    private var refreshSerial = 0
    private var nextGeneration = 1
    /// The change stamp at which every plan was last confirmed together.
    private var confirmedAll: ChangeStamp?
    /// Feeds and the plans' confirmed state, read by feed requests without entering the actor.
    nonisolated let cache: FeedCache
    /// Seconds between two scans of the plans folder (a new plan appears within this).
    static let rescanSeconds = PlanCatalog.rescanSeconds

    /// Loads the plan files named on the command line, then starts loading every plan below
    /// `plansDir` in the background and returns: a country's thousands of plans take seconds
    /// to read, and a request for one of them need not wait for the others (`current` loads
    /// the file named after the plan at once). A named file that does not load stops the server
    /// (its owner asked for it); a bad file below the folder is skipped and reported.
    init(paths: [String], plansDir: String?, completions: any CompletionRepository, logger: Logger,
         cacheBytes: Int = 128 << 20) async throws {
        // The store's change signal, where it gives one (SQLite's).
        let signal = completions as? any ChangeSignal
        let refresher = LedgerRefresher(completions: completions, signal: signal, logger: logger)
        self.refresher = refresher
        self.logger = logger
        self.catalog = PlanCatalog(plansDir: plansDir)
        self.cache = FeedCache(maxBytes: cacheBytes, signal: signal)
        for (path, result) in await PlanRegistry.load(paths, refresher: refresher) {
            let entry = try result.get()
            guard entries[entry.plan.id] == nil else {
                throw PlanError(file: path, field: "plan.id", "một kế hoạch khác đang phục vụ đã có mã \"\(entry.plan.id)\"")
            }
            add(entry)
            catalog.name(path)
        }
        scan()
    }

    /// Loads plan files in parallel, one task per core: parsing, validation and expansion are
    /// CPU work, and a country has thousands of plans.
    private static func load(_ paths: [String], refresher: LedgerRefresher) async -> [(String, Result<PlanSnapshot, any Error>)] {
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        struct Loaded: Sendable {
            var index: Int
            var result: Result<PlanSnapshot, any Error>
        }
        return await withTaskGroup(of: Loaded.self) { group in
            var results = [(String, Result<PlanSnapshot, any Error>)?](repeating: nil, count: paths.count)
            for (i, path) in paths.enumerated() {
                // At most `width` loads at once: wait for one before starting the next.
                if i >= width, let done = await group.next() { results[done.index] = (paths[done.index], done.result) }
                group.addTask {
                    do { return Loaded(index: i, result: .success(try await refresher.load(path: path))) } catch {
                        return Loaded(index: i, result: .failure(error))
                    }
                }
            }
            while let done = await group.next() { results[done.index] = (paths[done.index], done.result) }
            return results.compactMap { $0 }
        }
    }

    /// Puts a snapshot in place with a new generation and confirms it to the cache.
    private func add(_ entry: PlanSnapshot) {
        let entry = entry.at(generation: nextGeneration)
        nextGeneration += 1
        entries[entry.plan.id] = entry
        publish(entry)
    }

    private func publish(_ entry: PlanSnapshot) {
        cache.confirm(entry.plan.id, FeedCache.PlanState(path: entry.path, file: entry.file, change: entry.change,
                                                         generation: entry.generation))
    }

    // MARK: - Loading

    /// Picks up plan files added below the plans folder since the last scan and loads them in
    /// the background, several at once (two per core); returns at once.
    private func scan() {
        let fresh = catalog.scan(serving: Set(entries.values.map(\.path)))
        guard !fresh.isEmpty else { return }
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
                guard catalog.queued.contains(path) else { continue }
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
    private func loadTask(_ path: String) -> Task<Result<PlanSnapshot, any Error>, Never> {
        if let task = loading[path] { return task }
        let refresher = self.refresher
        let task = Task.detached {
            do { return Result<PlanSnapshot, any Error>.success(try await refresher.load(path: path)) } catch {
                return .failure(error)
            }
        }
        loading[path] = task
        return task
    }

    /// Puts a file's load in place once it has ended (`PlanCatalog.settle` decides): the plan
    /// served, or the file reported. A file that could not be read for another reason than its
    /// content (the database away) is tried again at the next scan, and that error is returned.
    @discardableResult
    private func settle(_ path: String) async -> (any Error)? {
        guard let task = loading[path] else { return nil }
        let result = await task.value
        // Put in place once: by whoever gets here first after the load.
        guard loading[path] == task else { return nil }
        loading[path] = nil
        switch catalog.settle(path, result, served: { entries[$0] }) {
        case .serve(let entry):
            add(entry)
            return nil
        case .skipped(let invalid):
            if invalid != nil {
                logger.error("plan file below the plans folder is invalid; skipped", metadata: ["path": "\(path)"])
            }
            return nil
        case .unreadable(let error):
            logger.error("plan file below the plans folder could not be loaded; trying again at the next scan",
                         metadata: ["path": "\(path)", "error": "\(error)"])
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
                guard catalog.rescanDue else { break }
                scan()
            }
            for path in catalog.waiting(for: id) {
                // Settled by another request while this one waited.
                guard catalog.queued.contains(path) else { continue }
                _ = loadTask(path)
                if let error = await settle(path) { throw error }
            }
            if entries[id] != nil { return }
            await backlog?.value
            if entries[id] != nil { return }
        }
        if let error = catalog.unreadableError(for: id) { throw error }
    }

    private func rescanIfDue() {
        if catalog.rescanDue { scan() }
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
        return Readiness(ready: catalog.queued.isEmpty && catalog.unreadable.isEmpty, plans: entries.count,
                         loading: catalog.queued.count, unreadable: catalog.unreadable.count)
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
    func loadProblems() async -> [PlanCatalog.Problem] {
        await backlog?.value
        return catalog.problemList
    }

    // MARK: - Refreshing

    /// The current state of a plan: reloaded when the file changed, new records folded in when
    /// the store says the plan's version moved. A plan file that became invalid keeps the last
    /// good plan served (and is logged).
    func current(_ id: String) async throws -> PlanSnapshot? {
        if entries[id] == nil { try await find(id) }
        guard entries[id] != nil else { return nil }
        try await refresh(id)
        return entries[id]
    }

    /// The plan and its occurrences for a write: a write needs neither the records nor the
    /// feeds (its checks read the store), only the plan as its file says now.
    func planForWrite(_ id: String) async throws -> PlanSnapshot? {
        if entries[id] == nil { try await find(id) }
        guard let entry = entries[id] else { return nil }
        if FileStamp(path: entry.path) == entry.file { return entry }
        try await refresh(id)
        return entries[id]
    }

    /// True when nothing may have changed since the plan was last confirmed.
    private func confirmed(_ id: String) -> Bool {
        guard let entry = entries[id], let change = refresher.changeStamp() else { return false }
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
        guard let entry = entries[id] else { return }
        let file = FileStamp(path: entry.path)
        if file != entry.file {
            do {
                let plan = try PlanLoader.load(path: entry.path)
                if plan.id == id {
                    // The stamp taken before this read (the load takes its own, later).
                    let fresh = try await refresher.load(path: entry.path).withFile(file)
                    // Another file took the id meanwhile (it sorts first): this one stays out.
                    guard entries[id]?.path == entry.path else { return }
                    add(fresh)
                    return
                }
                logger.error("plan file changed its id; keeping the last good plan", metadata: ["path": "\(entry.path)"])
            } catch let error as PlanError {
                logger.error("plan file is invalid; keeping the last good plan", metadata: ["error": "\(error)"])
            }
            let seen = entry.withFile(file)
            entries[id] = seen
            publish(seen)
        }
        guard let (change, version) = try await refresher.version(of: id) else { return }
        var new: [CompletionRecord] = []
        if version != entries[id]?.version {
            guard let read = try await refresher.records(of: id, after: entries[id]?.ledger.lastID ?? 0) else { return }
            new = read
        }
        // Re-read: another refresh may have folded some of these meanwhile (folding skips them).
        guard var now = entries[id] else { return }
        if version != now.version {
            now = now.folding(new, version: version, generation: nextGeneration)
            if now.generation == nextGeneration { nextGeneration += 1 }
        }
        now = now.confirmed(at: change)
        entries[id] = now
        publish(now)
        await confirmOthers(change: change, except: id)
    }

    /// Confirms, with one read of every plan's version, the plans whose records have not
    /// changed at a stamp that moved for another reason — this server's own fetch log, another
    /// plan's write. Without it each of a city's plans would find out on its own, one request
    /// through the application per plan for every write of the fetch log. Plans whose version
    /// did move are left to their own refresh. `change` was taken before the read, so a write
    /// landing meanwhile moves the stamp again.
    private func confirmOthers(change: ChangeStamp?, except id: String) async {
        guard let change, confirmedAll != change, entries.count > 1 else { return }
        confirmedAll = change
        let others = entries.values.filter { $0.plan.id != id && $0.change != change }
        guard let unchanged = await refresher.unchanged(others) else { return }
        for other in unchanged {
            // Still the snapshot whose version was compared (a refresh may have replaced it).
            guard let entry = entries[other], entry.change != change,
                  let compared = others.first(where: { $0.plan.id == other }), compared.version == entry.version else { continue }
            let confirmed = entry.confirmed(at: change)
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
