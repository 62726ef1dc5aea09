import CompressNIO
import Foundation
import Hummingbird
import ICal
import NIOCore
import NIOHTTP1
import PlanCore

/// Response headers as the HTTP/1 encoder takes them (for the pipeline's fast path).
struct WireHeaders: Sendable {
    var ok: HTTPHeaders
    var notModified: HTTPHeaders

    init(ok: HTTPFields, notModified: HTTPFields) {
        self.ok = HTTPHeaders(ok.map { ($0.name.canonicalName, $0.value) })
        self.notModified = HTTPHeaders(notModified.map { ($0.name.canonicalName, $0.value) })
    }
}

/// A feed ready to serve: its bytes, validators and response headers, made once per change
/// and shared by every response (a ByteBuffer and HTTPFields are copy-on-write: a thousand
/// clients that never read their answers hold one copy of the feed between them). The gzip
/// body is made once too, on the first request that accepts it.
struct CachedFeed: Sendable {
    var body: ByteBuffer
    var etag: String
    var lastModified: UTCDateTime
    /// Headers of a 200 and of a 304, identity encoding.
    var headers: HTTPFields
    var notModifiedHeaders: HTTPFields
    var wire: WireHeaders
    var gzip: Gzipped?

    /// The gzip encoding of the same bytes, with its own ETag (RFC 9110 §8.8.3: another
    /// representation, another tag).
    struct Gzipped: Sendable {
        var body: ByteBuffer
        var etag: String
        var headers: HTTPFields
        var notModifiedHeaders: HTTPFields
        var wire: WireHeaders
    }

    init(body: ByteBuffer, etag: String, lastModified: UTCDateTime, file: String) {
        self.body = body
        self.etag = etag
        self.lastModified = lastModified
        var h = HTTPFields()
        h[.contentType] = "text/calendar; charset=utf-8"
        h[.eTag] = etag
        h[.lastModified] = HTTPDate.format(lastModified)
        h[.cacheControl] = "public, max-age=300"
        h[.contentDisposition] = "inline; filename=\"\(file)\""
        // The body depends on Accept-Encoding: caches must keep the encodings apart.
        h[.vary] = "Accept-Encoding"
        notModifiedHeaders = h
        h[.contentLength] = String(body.readableBytes)
        headers = h
        wire = WireHeaders(ok: headers, notModified: notModifiedHeaders)
    }

    /// The gzip representation of this feed (compressed here, once).
    func compressed() throws -> Gzipped {
        var input = body
        let out = try input.compress(with: .gzip())
        // The identity tag is `"<digest>-<length>"`: the gzip one says what it is.
        let tag = String(etag.dropLast()) + "-gzip\""
        var h = notModifiedHeaders
        h[.eTag] = tag
        h[.contentEncoding] = "gzip"
        let notModified = h
        h[.contentLength] = String(out.readableBytes)
        return Gzipped(body: out, etag: tag, headers: h, notModifiedHeaders: notModified,
                       wire: WireHeaders(ok: h, notModified: notModified))
    }

    /// Bytes held.
    var bytes: Int { body.readableBytes + (gzip?.body.readableBytes ?? 0) }
}

/// The part of the plans' state the feed requests read without an actor hop: per plan, the
/// file stamp and change hint at which its records were last confirmed and a generation that
/// moves with every change; and the feeds built, in an LRU bounded in bytes. Everything behind
/// one short lock; nothing here does I/O.
final class FeedStore: @unchecked Sendable {
    /// What the hot path compares: the plan file and the store's change hint as last confirmed.
    struct PlanState: Sendable {
        var path: String
        var file: FileStamp?
        var hint: ChangeHint?
        var generation: Int
    }

    private struct Slot {
        var feed: CachedFeed
        var generation: Int
        var lastUse: UInt64
    }

    private let lock = NSLock()
    private var plans: [String: PlanState] = [:]
    private var slots: [Key: Slot] = [:]
    /// The last validators served per feed, kept when a body is evicted or rebuilt, so that
    /// Last-Modified only moves forward: a feed that lost an item must not look older than the
    /// one a client has.
    private var served: [Key: (etag: String, lastModified: UTCDateTime)] = [:]
    private var tick: UInt64 = 0
    private var heldBytes = 0
    /// The most bytes of feed bodies (identity and gzip) kept; least recently used go first.
    let maxBytes: Int

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    struct Key: Hashable {
        var plan: String
        var file: String
    }

    static func key(_ plan: String, _ file: String) -> Key { Key(plan: plan, file: file) }

    /// Records a plan's confirmed state.
    func publish(_ plan: String, _ state: PlanState) {
        lock.withLock { plans[plan] = state }
    }

    /// The plan's confirmed state.
    func state(_ plan: String) -> PlanState? {
        lock.withLock { plans[plan] }
    }

    /// Ids of the plans known.
    var planCount: Int { lock.withLock { plans.count } }

    /// The cached feed if the plan is still as confirmed (same file stamp, same hint) and the
    /// feed was built for its current generation. One lock, taken once; `stamp` (a system call)
    /// runs after it is released.
    func fresh(_ plan: String, _ file: String, stamp: (String) -> FileStamp?, hint: ChangeHint?) -> CachedFeed? {
        guard let hint else { return nil }
        let found: (state: PlanState, feed: CachedFeed)? = lock.withLock {
            guard let state = plans[plan], state.hint == hint,
                  let feed = lookupLocked(FeedStore.key(plan, file), generation: state.generation) else { return nil }
            return (state, feed)
        }
        guard let found, stamp(found.state.path) == found.state.file else { return nil }
        return found.feed
    }

    /// The cached feed for a generation, if any.
    func lookup(_ plan: String, _ file: String, generation: Int) -> CachedFeed? {
        lock.withLock { lookupLocked(FeedStore.key(plan, file), generation: generation) }
    }

    private func lookupLocked(_ key: Key, generation: Int) -> CachedFeed? {
        guard var slot = slots[key], slot.generation == generation else { return nil }
        tick &+= 1
        slot.lastUse = tick
        slots[key] = slot
        return slot.feed
    }

    /// Stores a feed just built for `generation` and returns it as it must be served: its
    /// Last-Modified moved past the one served before when the bytes changed without a newer
    /// item. Only a feed of the plan's current generation is kept.
    func insert(plan: String, file: String, generation: Int, bytes: ByteBuffer, etag: String,
                lastModified: UTCDateTime) -> CachedFeed {
        let key = FeedStore.key(plan, file)
        return lock.withLock {
            if let slot = slots[key], slot.generation == generation { return slot.feed }
            var last = lastModified
            if let before = served[key] {
                if before.etag == etag {
                    last = before.lastModified
                } else if last <= before.lastModified {
                    last = UTCDateTime(secondsSinceEpoch: before.lastModified.secondsSinceEpoch + 1)
                }
            }
            let feed = CachedFeed(body: bytes, etag: etag, lastModified: last, file: file)
            guard plans[plan]?.generation == generation else { return feed }
            served[key] = (etag, last)
            tick &+= 1
            if let old = slots[key] { heldBytes -= old.feed.bytes }
            slots[key] = Slot(feed: feed, generation: generation, lastUse: tick)
            heldBytes += feed.bytes
            evictLocked()
            return feed
        }
    }

    /// Attaches the gzip body to a cached feed (if it is still the one cached).
    func attach(_ gzip: CachedFeed.Gzipped, plan: String, file: String, etag: String) {
        let key = FeedStore.key(plan, file)
        lock.withLock {
            guard var slot = slots[key], slot.feed.etag == etag, slot.feed.gzip == nil else { return }
            slot.feed.gzip = gzip
            slots[key] = slot
            heldBytes += gzip.body.readableBytes
            evictLocked()
        }
    }

    /// Bytes of bodies held now.
    var bytesHeld: Int { lock.withLock { heldBytes } }

    /// Feeds held now.
    var feedsHeld: Int { lock.withLock { slots.count } }

    /// Drops the least recently used feeds until the bodies fit in three quarters of the
    /// budget (in one pass, so that a stream of misses does not sort on every insert).
    private func evictLocked() {
        guard heldBytes > maxBytes else { return }
        let target = maxBytes / 4 * 3
        for (key, slot) in slots.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
            guard heldBytes > target else { break }
            slots[key] = nil
            heldBytes -= slot.feed.bytes
        }
    }
}
