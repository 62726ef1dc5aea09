import Foundation
import ICal
import Logging
import NIOCore
import PlanCore
import PlanFeed

/// A feed ready to serve: its bytes and validators. The buffer is made once per change and
/// shared by every response (a ByteBuffer is copy-on-write): a thousand clients that never
/// read their answers hold one copy of the feed between them, not a thousand.
struct CachedFeed: Sendable {
    var body: ByteBuffer
    var etag: String
    var lastModified: UTCDateTime
}

/// The plans a server serves — files named on the command line and every plan file below the
/// plans folder — each reloaded when its file changes, with its feeds built once per change of
/// the plan or of its completion records.
actor PlanRegistry {
    /// One plan as currently served.
    struct Entry: Sendable {
        var path: String
        var plan: Plan
        var modified: Date
        var version: Int64
        var builder: FeedBuilder
        var feeds: [String: CachedFeed]
    }

    /// A plan file below the plans folder that could not be loaded.
    struct Problem: Sendable {
        var path: String
        var message: String
        /// The file's time when it failed: it is tried again once it changes.
        var modified: Date
    }

    private var entries: [String: Entry] = [:]
    /// The last feed served under each "plan/file", kept across rebuilds so Last-Modified only
    /// moves forward: a feed that lost an item must not look older than the one a client has.
    private var served: [String: CachedFeed] = [:]
    private let completions: any CompletionRepository
    private let logger: Logger
    private let plansDir: String?
    private var problems: [String: Problem] = [:]
    private var lastScan: Date = .distantPast
    /// Seconds between two scans of the plans folder (a new plan appears within this).
    static let rescanSeconds: TimeInterval = 2

    /// Loads the plan files and every plan below `plansDir`; a named file that does not load
    /// stops the server (its owner asked for it), a bad file below the folder is skipped and
    /// reported.
    init(paths: [String], plansDir: String?, completions: any CompletionRepository, logger: Logger) async throws {
        self.completions = completions
        self.logger = logger
        self.plansDir = plansDir
        for path in paths {
            let modified = PlanRegistry.modified(path)
            let plan = try PlanLoader.load(path: path)
            guard entries[plan.id] == nil else {
                throw PlanError(file: path, field: "plan.id", "một kế hoạch khác đang phục vụ đã có mã \"\(plan.id)\"")
            }
            entries[plan.id] = try await entry(path: path, plan: plan, modified: modified)
        }
        try await scan()
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// `modified` is the file's time taken before it was read: an edit landing while it loads
    /// is then seen as a change at the next request.
    private func entry(path: String, plan: Plan, modified: Date) async throws -> Entry {
        let version = try await completions.version(plan: plan.id)
        let builder = try FeedBuilder(plan: plan, records: try await completions.records(plan: plan.id))
        return Entry(path: path, plan: plan, modified: modified, version: version, builder: builder, feeds: [:])
    }

    /// Picks up plan files added below the plans folder since the last scan.
    private func scan() async throws {
        guard let plansDir else { return }
        lastScan = Date()
        let known = Set(entries.values.map(\.path))
        for path in PlanFiles.below(plansDir) where !known.contains(path) {
            let modified = PlanRegistry.modified(path)
            if let p = problems[path], p.modified == modified { continue }
            do {
                let plan = try PlanLoader.load(path: path)
                if let other = entries[plan.id] {
                    problems[path] = Problem(path: path, message: "mã kế hoạch \"\(plan.id)\" trùng với \(other.path)",
                                             modified: modified)
                    continue
                }
                entries[plan.id] = try await entry(path: path, plan: plan, modified: modified)
                problems[path] = nil
            } catch let e as PlanError {
                problems[path] = Problem(path: path, message: e.description, modified: modified)
                logger.error("plan file below the plans folder is invalid; skipped", metadata: ["path": "\(path)"])
            }
        }
    }

    private func rescanIfDue() async throws {
        if plansDir != nil, Date().timeIntervalSince(lastScan) >= PlanRegistry.rescanSeconds { try await scan() }
    }

    /// Ids of the plans served, sorted (a new file below the plans folder included).
    func planIDs() async throws -> [String] {
        try await rescanIfDue()
        return entries.keys.sorted()
    }

    /// Plan files below the plans folder that could not be loaded, by path.
    func loadProblems() -> [Problem] { problems.values.sorted { $0.path < $1.path } }

    /// The current state of a plan: reloaded when the file or the records changed.
    /// A plan file that became invalid keeps the last good plan served (and is logged).
    func current(_ id: String) async throws -> Entry? {
        if entries[id] == nil { try await rescanIfDue() }
        guard var entry = entries[id] else { return nil }
        let modified = PlanRegistry.modified(entry.path)
        if modified != entry.modified {
            do {
                let plan = try PlanLoader.load(path: entry.path)
                if plan.id == id {
                    entry = try await self.entry(path: entry.path, plan: plan, modified: modified)
                } else {
                    logger.error("plan file changed its id; keeping the last good plan", metadata: ["path": "\(entry.path)"])
                    entry.modified = modified
                }
            } catch let error as PlanError {
                logger.error("plan file is invalid; keeping the last good plan", metadata: ["error": "\(error)"])
                entry.modified = modified
            }
        }
        let version: Int64
        do { version = try await completions.version(plan: id) } catch StorageError.unavailable(let detail) {
            // The database is away: keep serving what was last read; writes answer 503 meanwhile.
            logger.warning("database unavailable; serving the last state read", metadata: ["plan": "\(id)", "error": "\(detail)"])
            return entry
        }
        if version != entry.version {
            let records = try await completions.records(plan: id)
            entry.builder = try FeedBuilder(plan: entry.plan, records: records)
            entry.version = version
            entry.feeds = [:]
        }
        // Another request may have moved the plan on while this one waited: keep the newer.
        if let now = entries[id], now.version > entry.version || now.modified > entry.modified { return now }
        entries[id] = entry
        return entry
    }

    /// A feed by file name (`vhxh.ics`, `vhxh-tasks.ics`, `all.ics`), built on first use.
    func feed(plan id: String, file: String) async throws -> CachedFeed? {
        guard var entry = try await current(id) else { return nil }
        if let cached = entry.feeds[file] { return cached }
        guard file.hasSuffix(".ics") else { return nil }
        var name = String(file.dropLast(4))
        var variant = Feed.Variant.events
        if name.hasSuffix("-tasks") {
            name = String(name.dropLast(6))
            variant = .tasks
        }
        let unit: String? = name == "all" ? nil : name
        if let unit, entry.plan.unit(unit) == nil { return nil }
        let feed = try entry.builder.feed(unit: unit, variant: variant)
        let bytes = Array(feed.text.utf8)
        let schedule = Schedule(plan: entry.plan)
        let items = unit.map { u in entry.builder.occurrences.filter { schedule.involves($0, u) } } ?? entry.builder.occurrences
        var last = max(items.map { entry.builder.lastModified($0) }.max() ?? entry.plan.revised, entry.plan.revised)
        let etag = "\"\(PlanRegistry.digest(bytes))\""
        if let before = served["\(id)/\(file)"] {
            if before.etag == etag {
                last = before.lastModified
            } else if last <= before.lastModified {
                last = UTCDateTime(secondsSinceEpoch: before.lastModified.secondsSinceEpoch + 1)
            }
        }
        let cached = CachedFeed(body: ByteBuffer(bytes: bytes), etag: etag, lastModified: last)
        served["\(id)/\(file)"] = cached
        // Only cache into the entry still current (the records may have moved on meanwhile).
        if let now = entries[id], now.version == entry.version, now.modified == entry.modified {
            entry = now
            entry.feeds[file] = cached
            entries[id] = entry
        }
        return cached
    }

    /// FNV-1a 64 of the bytes: the ETag only has to change when the bytes do.
    static func digest(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16) + "-" + String(bytes.count, radix: 16)
    }
}
