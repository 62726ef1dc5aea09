import Foundation
import ICal
import Logging
import PlanCore
import PlanFeed

/// A feed ready to serve: bytes and validators.
struct CachedFeed: Sendable {
    var bytes: [UInt8]
    var etag: String
    var lastModified: UTCDateTime
}

/// The plans a server serves, each reloaded when its file changes, with its feeds
/// built once per change of the plan or of its completion records.
actor PlanRegistry {
    struct Entry {
        var path: String
        var plan: Plan
        var modified: Date
        var version: Int64
        var builder: FeedBuilder
        var feeds: [String: CachedFeed]
    }

    private var entries: [String: Entry] = [:]
    /// The last feed served under each "plan/file", kept across rebuilds so Last-Modified only
    /// moves forward: a feed that lost an item must not look older than the one a client has.
    private var served: [String: CachedFeed] = [:]
    private let store: any CompletionStore
    private let logger: Logger

    init(paths: [String], store: any CompletionStore, logger: Logger) throws {
        self.store = store
        self.logger = logger
        var entries: [String: Entry] = [:]
        for path in paths {
            let modified = PlanRegistry.modified(path)
            let plan = try PlanLoader.load(path: path)
            guard entries[plan.id] == nil else {
                throw PlanError(file: path, field: "plan.id", "một kế hoạch khác đang phục vụ đã có mã \"\(plan.id)\"")
            }
            entries[plan.id] = try PlanRegistry.entry(path: path, plan: plan, modified: modified, store: store)
        }
        self.entries = entries
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// `modified` is the file's time taken before it was read: an edit landing while it loads
    /// is then seen as a change at the next request.
    private static func entry(path: String, plan: Plan, modified: Date, store: any CompletionStore) throws -> Entry {
        let version = try store.version(plan: plan.id)
        let builder = try FeedBuilder(plan: plan, records: try store.records(plan: plan.id))
        return Entry(path: path, plan: plan, modified: modified, version: version, builder: builder, feeds: [:])
    }

    /// Ids of the plans served, sorted.
    var planIDs: [String] { entries.keys.sorted() }

    /// The current state of a plan: reloaded when the file or the records changed.
    /// A plan file that became invalid keeps the last good plan served (and is logged).
    func current(_ id: String) throws -> Entry? {
        guard var entry = entries[id] else { return nil }
        let modified = PlanRegistry.modified(entry.path)
        if modified != entry.modified {
            do {
                let plan = try PlanLoader.load(path: entry.path)
                if plan.id == id {
                    entry = try PlanRegistry.entry(path: entry.path, plan: plan, modified: modified, store: store)
                } else {
                    logger.error("plan file changed its id; keeping the last good plan", metadata: ["path": "\(entry.path)"])
                    entry.modified = modified
                }
            } catch {
                logger.error("plan file is invalid; keeping the last good plan", metadata: ["error": "\(error)"])
                entry.modified = modified
            }
        }
        let version = try store.version(plan: id)
        if version != entry.version {
            entry.builder = try FeedBuilder(plan: entry.plan, records: try store.records(plan: id))
            entry.version = version
            entry.feeds = [:]
        }
        entries[id] = entry
        return entry
    }

    /// A feed by file name (`vhxh.ics`, `vhxh-tasks.ics`, `all.ics`), built on first use.
    func feed(plan id: String, file: String) throws -> CachedFeed? {
        guard var entry = try current(id) else { return nil }
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
        let items = unit.map { u in entry.builder.occurrences.filter { Schedule(plan: entry.plan).involves($0, u) } }
            ?? entry.builder.occurrences
        var last = max(items.map { entry.builder.lastModified($0) }.max() ?? entry.plan.revised, entry.plan.revised)
        let etag = "\"\(PlanRegistry.digest(bytes))\""
        if let before = served["\(id)/\(file)"] {
            if before.etag == etag {
                last = before.lastModified
            } else if last <= before.lastModified {
                last = UTCDateTime(secondsSinceEpoch: before.lastModified.secondsSinceEpoch + 1)
            }
        }
        let cached = CachedFeed(bytes: bytes, etag: etag, lastModified: last)
        served["\(id)/\(file)"] = cached
        entry.feeds[file] = cached
        entries[id] = entry
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
