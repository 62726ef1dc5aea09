import Foundation
import ICal
import PlanCore
import PlanFeed
import Synchronization

/// A CalDAV collection as served at one moment: its items' names and ETags, and the sync token
/// (also its CTag) those give.
struct CalDAVCollectionState: Sendable {
    /// Item resource names, in the feed's order.
    let names: [String]
    /// Each item's ETag (quoted), by name.
    let etags: [String: String]
    /// The occurrence behind each name.
    let occurrences: [String: Occurrence]
    /// Each item's LAST-MODIFIED, by name.
    let lastModified: [String: UTCDateTime]
    /// `https://plancal.invalid/sync/<newest record id>/<hash of every ETag>`: the same items and
    /// records give the same token on every instance; any change of an item changes it.
    let token: String
}

/// What the CalDAV side keeps between requests: each collection's items and ETags per state of
/// the plan (rendering them is the costly part; a sync with no change reuses them), earlier
/// states by sync token (to answer `sync-collection` with what changed), and the notices of
/// refused ticks.
final class CalDAVState: Sendable {
    private struct Key: Hashable {
        let plan: String, unit: UnitID, collection: CalDAVCollection, generation: Int, notices: Int
    }

    private struct NoticeKey: Hashable {
        /// `viewer` nil: the lead's collection of every unit's tasks.
        let plan: String, viewer: UnitID?, occurrence: String
    }

    private let states = Mutex<[Key: CalDAVCollectionState]>([:])
    private let byToken = Mutex<[String: CalDAVCollectionState]>([:])
    /// A notice, and the state of the task it was refused in: it is shown while the task stays
    /// exactly so, and goes with any change (a record of its own, or another record that makes
    /// it done coming or going), never to come back with a later state that looks alike.
    private struct Notice: Equatable {
        let text: String, state: NoticeState
    }

    /// An item's state, as far as a notice goes: the records that touched it, and the record that
    /// makes it done in the viewer's view (its own, or the one that fulfils it), nil when open.
    struct NoticeState: Equatable {
        let changes: Int, doneBy: Int64?

        init(_ ledger: CompletionLedger, _ o: Occurrence, viewer: UnitID?) {
            changes = ledger.changeCount(of: o.id)
            doneBy = ledger.done(o, for: viewer).map { ($0.via ?? $0.record).id ?? 0 }
        }
    }

    private let notices = Mutex<(version: Int, texts: [NoticeKey: Notice])>((0, [:]))
    /// States kept, for all collections together; past it the cache starts again.
    static let capacity = 4096

    /// The collection's state for the plan as served now.
    func state(_ snapshot: PlanSnapshot, unit: UnitID, collection: CalDAVCollection) throws -> CalDAVCollectionState {
        let noticeVersion = notices.withLock { $0.version }
        let key = Key(plan: snapshot.plan.id, unit: unit, collection: collection, generation: snapshot.generation,
                      notices: noticeVersion)
        if let known = states.withLock({ $0[key] }) { return known }
        let viewer = collection.viewer(unit)
        // The newest record's id, not the store's version: PostgreSQL's counts writes, and a
        // token must say which records made the state (ids rise with every append to a plan).
        let newest = snapshot.ledger.lastID
        let builder = snapshot.builder
        let state = try Self.render(builder, version: newest, viewer: viewer, variant: collection.variant) {
            shownNotice(builder, plan: snapshot.plan.id, viewer: viewer, occurrence: $0)
        }
        states.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = state
        }
        remember(state, plan: snapshot.plan.id, unit: unit, collection: collection)
        return state
    }

    /// An earlier state of the collection from its sync token: one this instance served, else
    /// the records up to the token's version folded again (so another instance's token is
    /// understood too); nil when neither gives the token back.
    func state(token: String, _ snapshot: PlanSnapshot, unit: UnitID, collection: CalDAVCollection) throws -> CalDAVCollectionState? {
        let key = "\(snapshot.plan.id)|\(unit)|\(collection.rawValue)|\(token)"
        if let known = byToken.withLock({ $0[key] }) { return known }
        let prefix = "https://plancal.invalid/sync/"
        guard token.hasPrefix(prefix), let version = token.dropFirst(prefix.count).split(separator: "/").first.flatMap({ Int64($0) }),
              version <= snapshot.ledger.lastID else { return nil }
        let records = snapshot.ledger.records.filter { ($0.id ?? 0) <= version }
        let ledger = CompletionLedger(records: records, plan: snapshot.plan, occurrences: snapshot.occurrences)
        let builder = FeedBuilder(plan: snapshot.plan, occurrences: snapshot.occurrences, ledger: ledger)
        let state = try Self.render(builder, version: version, viewer: collection.viewer(unit), variant: collection.variant) { _ in nil }
        guard state.token == token else { return nil }
        remember(state, plan: snapshot.plan.id, unit: unit, collection: collection)
        return state
    }

    private func remember(_ state: CalDAVCollectionState, plan: String, unit: UnitID, collection: CalDAVCollection) {
        byToken.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0["\(plan)|\(unit)|\(collection.rawValue)|\(state.token)"] = state
        }
    }

    private static func render(_ builder: FeedBuilder, version: Int64, viewer: UnitID?, variant: Feed.Variant,
                               notice: (Occurrence) -> String?) throws -> CalDAVCollectionState {
        var names: [String] = [], etags: [String: String] = [:], occurrences: [String: Occurrence] = [:]
        var lastModified: [String: UTCDateTime] = [:]
        var all = FNV64()
        for o in builder.items(unit: viewer, variant: variant) {
            let name = CalDAVResource.itemName(o.id.rawValue)
            let etag = Self.etag(try builder.itemCalendar(o, unit: viewer, variant: variant, notice: notice(o)))
            names.append(name)
            etags[name] = etag
            occurrences[name] = o
            lastModified[name] = builder.lastModified(o)
            all.add(name)
            all.add(etag)
        }
        return CalDAVCollectionState(names: names, etags: etags, occurrences: occurrences, lastModified: lastModified,
                                     token: "https://plancal.invalid/sync/\(version)/\(all.hex)")
    }

    /// An item's ETag: a hash of its text, quoted.
    static func etag(_ text: String) -> String {
        var h = FNV64()
        h.add(text)
        return "\"\(h.hex)\""
    }

    /// One item's text as the collection's state has it (with its notice, if any).
    func itemText(_ snapshot: PlanSnapshot, _ o: Occurrence, unit: UnitID, collection: CalDAVCollection) throws -> String {
        let builder = snapshot.builder, viewer = collection.viewer(unit)
        let shown = shownNotice(builder, plan: snapshot.plan.id, viewer: viewer, occurrence: o)
        return try builder.itemCalendar(o, unit: viewer, variant: collection.variant, notice: shown)
    }

    /// One item of a collection by its resource name, without the whole collection's state (a
    /// PUT needs only its own task and ETag); nil when the collection has no such item.
    static func item(named name: String, _ snapshot: PlanSnapshot, unit: UnitID, collection: CalDAVCollection) -> Occurrence? {
        let id = CalDAVResource.occurrenceID(name)
        guard let o = snapshot.occurrences.first(where: { $0.id.rawValue == id }),
              collection.variant == .events || o.minutes == nil else { return nil }
        if let viewer = collection.viewer(unit), !Schedule(plan: snapshot.plan).involves(o, viewer) { return nil }
        return o
    }

    // MARK: - Notices

    /// The notice to show on an item: one set while the item was in the state it is in now, so
    /// it goes once the item changes (on the web, say).
    private func shownNotice(_ builder: FeedBuilder, plan: String, viewer: UnitID?, occurrence o: Occurrence) -> String? {
        guard let notice = notices.withLock({ $0.texts[NoticeKey(plan: plan, viewer: viewer, occurrence: o.id.rawValue)] }) else {
            return nil
        }
        return notice.state == NoticeState(builder.ledger, o, viewer: viewer) ? notice.text : nil
    }

    /// Sets a notice for the item in `state` (nil text: clears it); items' ETags and the
    /// collection's token change with it.
    func setNotice(_ text: String?, state: NoticeState, plan: String, viewer: UnitID?, occurrence: String) {
        notices.withLock {
            let key = NoticeKey(plan: plan, viewer: viewer, occurrence: occurrence)
            let new = text.map { Notice(text: $0, state: state) }
            guard $0.texts[key] != new else { return }
            $0.texts[key] = new
            $0.version += 1
        }
    }
}

/// FNV-1a, 64 bits: a stable hash (the same on every machine and run, unlike `Hasher`).
struct FNV64 {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        value ^= 0xff
        value = value &* 0x0000_0100_0000_01b3
    }

    var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
