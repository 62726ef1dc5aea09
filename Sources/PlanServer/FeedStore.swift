import CompressNIO
import Foundation
import Hummingbird
import ICal
import NIOCore
import NIOHTTP1
import PlanCore
import PlanFeed

/// Response headers as the HTTP/1 encoder takes them (for the pipeline's fast path).
struct WireHeaders: Sendable {
    var ok: HTTPHeaders
    var notModified: HTTPHeaders

    init(ok: HTTPFields, notModified: HTTPFields) {
        self.ok = HTTPHeaders(ok.map { ($0.name.rawName, $0.value) })
        self.notModified = HTTPHeaders(notModified.map { ($0.name.rawName, $0.value) })
    }
}

/// A feed's validators and response headers, made once per change. A class: every response
/// and cache entry of the feed shares one (a copy is one reference, not six).
final class FeedMeta: Sendable {
    let etag: String
    let lastModified: UTCDateTime
    let length: Int
    /// Headers of a 200 and of a 304, identity encoding.
    let headers: HTTPFields
    let notModifiedHeaders: HTTPFields
    let wire: WireHeaders

    init(etag: String, lastModified: UTCDateTime, length: Int, file: String) {
        self.etag = etag
        self.lastModified = lastModified
        self.length = length
        var h = HTTPFields()
        h[.contentType] = "text/calendar; charset=utf-8"
        h[.eTag] = etag
        h[.lastModified] = HTTPDate.format(lastModified)
        h[.cacheControl] = "public, max-age=300"
        h[.contentDisposition] = "inline; filename=\"\(file)\""
        // The body depends on Accept-Encoding: caches must keep the encodings apart.
        h[.vary] = "Accept-Encoding"
        notModifiedHeaders = h
        h[.contentLength] = String(length)
        headers = h
        wire = WireHeaders(ok: headers, notModified: notModifiedHeaders)
    }
}

/// A feed ready to serve: its bytes, validators and headers, shared by every response (a
/// ByteBuffer and HTTPFields are copy-on-write: a thousand clients that never read their answers
/// hold one copy of the feed between them). The gzip body is made once per change, on the first
/// request that accepts it.
struct CachedFeed: Sendable {
    var meta: FeedMeta
    var body: ByteBuffer
    /// The same bytes as a file in shared memory, for a large body kept whole (the pipeline's
    /// fast path sends it with sendfile(2)).
    var file: BodyFile? = nil
    /// The plan's pieces the feed was made from (where its gzip body is kept) and its file name.
    var render: PlanRender? = nil
    var name: String = ""

    /// The gzip body, if made already (looked up only for a client that accepts it).
    var gzip: Gzipped? { render?.gzip(name) }

    var etag: String { meta.etag }
    var lastModified: UTCDateTime { meta.lastModified }
    var headers: HTTPFields { meta.headers }
    var notModifiedHeaders: HTTPFields { meta.notModifiedHeaders }
    var wire: WireHeaders { meta.wire }

    /// The gzip encoding of the same bytes, with its own ETag (RFC 9110 §8.8.3: another
    /// representation, another tag).
    final class Gzipped: Sendable {
        let body: ByteBuffer
        let etag: String
        let headers: HTTPFields
        let notModifiedHeaders: HTTPFields
        let wire: WireHeaders

        init(body: ByteBuffer, etag: String, headers: HTTPFields, notModifiedHeaders: HTTPFields, wire: WireHeaders) {
            self.body = body
            self.etag = etag
            self.headers = headers
            self.notModifiedHeaders = notModifiedHeaders
            self.wire = wire
        }
    }

    /// The gzip representation of this feed (compressed here).
    func compressed() throws -> Gzipped {
        var input = body
        let compressed = try input.compress(with: .gzip())
        // compress-nio allocates zlib's bound (about the input's size): keep only the bytes.
        var out = ByteBufferAllocator().buffer(capacity: compressed.readableBytes)
        out.writeImmutableBuffer(compressed)
        // The identity tag is `"<digest>-<length>"`: the gzip one says what it is.
        let tag = String(meta.etag.dropLast()) + "-gzip\""
        var h = meta.notModifiedHeaders
        h[.eTag] = tag
        h[.contentEncoding] = "gzip"
        let notModified = h
        h[.contentLength] = String(out.readableBytes)
        return Gzipped(body: out, etag: tag, headers: h, notModifiedHeaders: notModified,
                       wire: WireHeaders(ok: h, notModified: notModified))
    }
}

/// A large feed body also kept as an unnamed file in shared memory (`/dev/shm`, O_TMPFILE), so
/// that the pipeline's fast path can hand it to the kernel with sendfile(2), as nginx does with
/// its files, instead of `write` copying the bytes from this process into the socket on every
/// response (28 % of the server's CPU on the 303 KB feed in a profile). Closed when the last
/// response or cache entry holding it goes. Nil where no such file can be made (the ByteBuffer
/// serves then).
final class BodyFile: Sendable {
    let descriptor: CInt
    let length: Int
    /// Below this a body is written from memory. Measured beside nginx (wrk, 32 connections):
    /// the 303 KB feed went from 0.53–0.83× nginx's rate to 0.98–1.12× with sendfile, but the
    /// 58 KB feed fell from 0.71–0.74× to 0.56× (a dup, a close and a promise per response cost
    /// more than copying 58 KB).
    static let threshold = 128 << 10

    init?(_ body: ByteBuffer) {
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the macro does not reach Swift.
        let fd = open("/dev/shm", 0o20_000_000 | O_DIRECTORY | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let written = body.withUnsafeReadableBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        guard written else {
            close(fd)
            return nil
        }
        descriptor = fd
        length = body.readableBytes
    }

    deinit { close(descriptor) }

    /// Handles lent out now, across every body and connection.
    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        var total = 0
    }
    private static let lent = Counter()
    /// The most handles lent at once: each is a file descriptor until its write ends, and a
    /// client that never reads must not exhaust the process's descriptors (the fast path also
    /// lends only while the connection is writable; past either bound the body goes from memory).
    static let maxLent = 256

    /// A handle of its own for one response (a NIOFileHandle admits one user at a time and must
    /// be closed by whoever holds it); the caller gives it back with `giveBack` once the write
    /// is done. Nil past `maxLent` or when no descriptor is left.
    func lend() -> NIOFileHandle? {
        let c = BodyFile.lent
        guard c.lock.withLock({
            guard c.value < BodyFile.maxLent else { return false }
            c.value += 1
            c.total += 1
            return true
        }) else { return nil }
        let fd = dup(descriptor)
        guard fd >= 0 else {
            c.lock.withLock { c.value -= 1 }
            return nil
        }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
    }

    /// Closes a lent handle.
    static func giveBack(_ handle: NIOFileHandle) {
        try? handle.close()
        lent.lock.withLock { lent.value -= 1 }
    }

    /// Handles lent out now.
    static var lentNow: Int { lent.lock.withLock { lent.value } }

    /// Handles lent since the process started.
    static var lentSoFar: Int { lent.lock.withLock { lent.total } }
}

/// Every feed of one plan as pieces, for one generation of the plan: each distinct item's text
/// once (a plan's 18 feeds hold its items about 3.4 times over), packed with its equal runs
/// shared (`PieceArena`); each feed its head, its items' indices and its validators. A feed's
/// body is put together from its pieces with one copy; the gzip bodies, once made, are kept here.
final class PlanRender: @unchecked Sendable {
    struct Rendered: Sendable {
        var meta: FeedMeta
        var head: ByteBuffer
        /// Indices into `items`.
        var items: [Int32]
    }

    let generation: Int
    let feeds: [String: Rendered]
    /// Every item's text.
    let items: PieceStore
    /// The calendar's END line.
    let end: ByteBuffer
    /// Bytes held by the pieces (gzip bodies are counted as they come).
    let bytes: Int
    private let lock = NSLock()
    private var gzips: [String: CachedFeed.Gzipped] = [:]

    init(generation: Int, feeds: [String: Rendered], items: PieceStore, end: ByteBuffer, bytes: Int) {
        self.generation = generation
        self.feeds = feeds
        self.items = items
        self.end = end
        self.bytes = bytes
    }

    func gzip(_ file: String) -> CachedFeed.Gzipped? { lock.withLock { gzips[file] } }

    /// Keeps a gzip body; returns the bytes added (0 if one was kept already).
    func keep(_ gzip: CachedFeed.Gzipped, for file: String) -> Int {
        lock.withLock {
            guard gzips[file] == nil else { return 0 }
            gzips[file] = gzip
            return gzip.body.capacity
        }
    }

    /// The feed's body: its pieces copied into one buffer.
    func assemble(_ rendered: Rendered) -> ByteBuffer {
        var body = ByteBufferAllocator().buffer(capacity: rendered.meta.length)
        body.writeImmutableBuffer(rendered.head)
        let length = rendered.meta.length - rendered.head.readableBytes - end.readableBytes
        body.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var at = 0
            for i in rendered.items { at += items.copy(Int(i), to: out.baseAddress! + at, room: length - at) }
            precondition(at == length, "a feed's items are not the length its validators say")
            return at
        }
        body.writeImmutableBuffer(end)
        return body
    }
}

/// The part of the plans' state the feed requests read without an actor hop: per plan, the
/// file stamp and change hint at which its records were last confirmed and a generation that
/// moves with every change; each plan's rendered pieces (an LRU bounded in bytes); and the
/// bodies of the feeds fetched most recently (another, smaller LRU). Everything behind one
/// short lock; no I/O but the file check the caller hands in (a `stat`, the file watch).
final class FeedStore: @unchecked Sendable {
    /// What the hot path compares: the plan file and the store's change hint as last confirmed.
    struct PlanState: Sendable {
        var path: String
        var file: FileStamp?
        var hint: ChangeHint?
        var generation: Int
    }

    struct Key: Hashable {
        var plan: String
        var file: String
    }

    /// A whole body kept. Classes (here and `RenderSlot`) so that a hit marks its use in place,
    /// under the lock, without copying the entry out and hashing its key again to put it back.
    private final class Body {
        let meta: FeedMeta
        let body: ByteBuffer
        var file: BodyFile?
        let generation: Int
        var lastUse: UInt64

        init(meta: FeedMeta, body: ByteBuffer, file: BodyFile?, generation: Int, lastUse: UInt64) {
            self.meta = meta
            self.body = body
            self.file = file
            self.generation = generation
            self.lastUse = lastUse
        }

        /// Bytes held: the buffer's storage (a power of two), and the file's pages when there is one.
        var bytes: Int { body.capacity + (file?.length ?? 0) }
    }

    private final class RenderSlot {
        let render: PlanRender
        var bytes: Int
        var lastUse: UInt64

        init(render: PlanRender, bytes: Int, lastUse: UInt64) {
            self.render = render
            self.bytes = bytes
            self.lastUse = lastUse
        }
    }

    /// A plan's confirmed state, and when its file was last seen as that state says.
    private final class PlanSlot {
        let state: PlanState
        var verified: Verified?

        init(_ state: PlanState, verified: Verified?) {
            self.state = state
            self.verified = verified
        }
    }

    /// A `stat` that found the plan file as confirmed: the watch's ticket taken before it, and
    /// when (monotonic nanoseconds).
    private struct Verified {
        /// Nil for a file the watch cannot take (it is `stat`ed on every request, and asked
        /// for a ticket again once a second).
        var ticket: FileWatch.Ticket?
        var stamp: FileStamp
        var at: UInt64
    }

    /// A watched plan file is still `stat`ed at least this often (nanoseconds): what inotify
    /// misses (a folder above switched, a network file system) shows within a second.
    static let restatAfter: UInt64 = 1_000_000_000

    private let lock = NSLock()
    private var plans: [String: PlanSlot] = [:]
    private var renders: [String: RenderSlot] = [:]
    private var bodies: [Key: Body] = [:]
    private var building: [String: (generation: Int, task: Task<PlanRender, any Error>)] = [:]
    /// The last validators served per feed, kept when a feed is evicted or rebuilt, so that
    /// Last-Modified only moves forward: a feed that lost an item must not look older than the
    /// one a client has.
    private var served: [Key: (etag: String, lastModified: UTCDateTime)] = [:]
    private var tick: UInt64 = 0
    private var renderBytes = 0
    private var bodyBytes = 0
    /// The most bytes of rendered pieces (with gzip bodies) kept.
    let maxRenderBytes: Int
    /// The most bytes of whole feed bodies kept.
    let maxBodyBytes: Int

    /// A store within `maxBytes`: a quarter for whole bodies, the rest for pieces.
    init(maxBytes: Int) {
        maxBodyBytes = maxBytes / 4
        maxRenderBytes = maxBytes - maxBytes / 4
    }

    /// Records a plan's confirmed state.
    func publish(_ plan: String, _ state: PlanState) {
        lock.withLock {
            // The same file as before: what was seen of it still holds.
            let old = plans[plan]
            let kept = old.flatMap { $0.state.path == state.path && $0.state.file == state.file ? $0.verified : nil }
            plans[plan] = PlanSlot(state, verified: kept)
        }
    }

    /// The plan's confirmed state.
    func state(_ plan: String) -> PlanState? {
        lock.withLock { plans[plan]?.state }
    }

    /// The feed if the plan is still as confirmed (same file stamp, same hint) and rendered for
    /// its current generation: its body from the LRU, or put together from its pieces. One lock
    /// for the lookup; the file check (`stamp`, a system call, or the watch) and the copy run
    /// after it is released.
    func fresh(_ plan: String, _ file: String, stamp: (String) -> FileStamp?, watch: FileWatch?,
               hint: ChangeHint?) -> CachedFeed? {
        guard let hint else { return nil }
        let key = Key(plan: plan, file: file)
        // Lock and unlock rather than `withLock`: its generic result went through the runtime's
        // value witnesses here (5 % of a 304's CPU in a profile).
        lock.lock()
        guard let planSlot = plans[plan], planSlot.state.hint == hint else {
            lock.unlock()
            return nil
        }
        let state = planSlot.state, verified = planSlot.verified
        let slot = renders[plan].flatMap { $0.render.generation == state.generation ? $0 : nil }
        if let (body, bodyFile) = bodyLocked(key, generation: state.generation) {
            lock.unlock()
            guard fileUnchanged(planSlot, verified, stamp: stamp, watch: watch) else { return nil }
            return CachedFeed(meta: body.meta, body: body.body, file: bodyFile ?? attachFile(key, body),
                              render: slot?.render, name: file)
        }
        guard let slot, let rendered = slot.render.feeds[file] else {
            lock.unlock()
            return nil
        }
        tick &+= 1
        slot.lastUse = tick
        lock.unlock()
        guard fileUnchanged(planSlot, verified, stamp: stamp, watch: watch) else { return nil }
        return assemble(plan, file, rendered, slot.render, generation: state.generation)
    }

    /// True when the plan file is as its confirmed state says: no event since a `stat` less
    /// than `restatAfter` ago found it so, or a `stat` now.
    private func fileUnchanged(_ slot: PlanSlot, _ verified: Verified?, stamp: (String) -> FileStamp?,
                               watch: FileWatch?) -> Bool {
        let state = slot.state
        let now = DispatchTime.now().uptimeNanoseconds
        if let watch, let v = verified, v.stamp == state.file, now &- v.at < FeedStore.restatAfter {
            guard let ticket = v.ticket else { return stamp(state.path) == state.file }
            if watch.unchanged(ticket) { return true }
        }
        let ticket = watch?.ticket(state.path)
        let seen = stamp(state.path)
        guard seen == state.file else { return false }
        if watch != nil, let seen {
            lock.lock()
            slot.verified = Verified(ticket: ticket, stamp: seen, at: now)
            lock.unlock()
        }
        return true
    }

    /// The feed of a generation, if the plan's pieces for it are kept; `.some(nil)` when the
    /// plan has no such feed, nil when the pieces must be rendered first.
    func feed(_ plan: String, _ file: String, generation: Int) -> CachedFeed?? {
        let key = Key(plan: plan, file: file)
        let found: (body: (Body, BodyFile?)?, render: PlanRender)? = lock.withLock {
            guard let slot = renders[plan], slot.render.generation == generation else { return nil }
            return (bodyLocked(key, generation: generation), slot.render)
        }
        guard let (kept, render) = found else { return nil }
        guard let rendered = render.feeds[file] else { return .some(nil) }
        if let (body, bodyFile) = kept {
            return CachedFeed(meta: body.meta, body: body.body, file: bodyFile, render: render, name: file)
        }
        return .some(assemble(plan, file, rendered, render, generation: generation))
    }

    /// Puts a feed's body together from its pieces and keeps it among the recent bodies.
    func assemble(_ plan: String, _ file: String, _ rendered: PlanRender.Rendered, _ render: PlanRender,
                  generation: Int) -> CachedFeed {
        let made = render.assemble(rendered)
        lock.withLock {
            guard plans[plan]?.state.generation == generation else { return }
            tick &+= 1
            let key = Key(plan: plan, file: file)
            if let old = bodies[key] { bodyBytes -= old.bytes }
            let body = Body(meta: rendered.meta, body: made, file: nil, generation: generation, lastUse: tick)
            bodies[key] = body
            bodyBytes += body.bytes
            evictBodiesLocked()
        }
        return CachedFeed(meta: rendered.meta, body: made, render: render, name: file)
    }

    /// Gives a large body kept whole its file, on the second request that finds it: a body
    /// fetched once (a random mix over more feeds than the cache holds) never pays for one.
    private func attachFile(_ key: Key, _ body: Body) -> BodyFile? {
        guard body.body.readableBytes >= BodyFile.threshold, let file = BodyFile(body.body) else { return nil }
        return lock.withLock {
            guard let now = bodies[key], now.generation == body.generation else { return file }
            if let other = now.file { return other }
            bodyBytes -= now.bytes
            now.file = file
            bodyBytes += now.bytes
            evictBodiesLocked()
            return file
        }
    }

    /// The body kept for a generation, marked as just used, with its file (read here, under the
    /// lock: `attachFile` sets it from another request).
    private func bodyLocked(_ key: Key, generation: Int) -> (Body, BodyFile?)? {
        guard let body = bodies[key], body.generation == generation else { return nil }
        tick &+= 1
        body.lastUse = tick
        return (body, body.file)
    }

    /// The render of a plan's generation: the one being made if there is one (requests that
    /// arrive together share it), else one started with `make`.
    func rendering(_ plan: String, generation: Int, make: @escaping @Sendable () async throws -> PlanRender) -> Task<PlanRender, any Error> {
        lock.withLock {
            if let b = building[plan], b.generation == generation { return b.task }
            let task = Task { try await make() }
            building[plan] = (generation, task)
            return task
        }
    }

    /// The served validators of a plan's feeds (to move Last-Modified forward).
    func served(_ plan: String, files: [String]) -> [String: (etag: String, lastModified: UTCDateTime)] {
        lock.withLock {
            var out: [String: (etag: String, lastModified: UTCDateTime)] = [:]
            for f in files { out[f] = served[Key(plan: plan, file: f)] }
            return out
        }
    }

    /// Keeps a plan's render if its generation is still current, and its feeds' validators.
    func keep(_ render: PlanRender, plan: String) {
        lock.withLock {
            if building[plan]?.generation == render.generation { building[plan] = nil }
            guard plans[plan]?.state.generation == render.generation else { return }
            for (file, r) in render.feeds { served[Key(plan: plan, file: file)] = (r.meta.etag, r.meta.lastModified) }
            tick &+= 1
            if let old = renders[plan] { renderBytes -= old.bytes }
            renders[plan] = RenderSlot(render: render, bytes: render.bytes, lastUse: tick)
            renderBytes += render.bytes
            evictRendersLocked()
        }
    }

    /// The plan's render kept now, of whatever generation.
    func render(_ plan: String) -> PlanRender? { lock.withLock { renders[plan]?.render } }

    /// Counts a gzip body kept by a render.
    func grew(_ plan: String, by bytes: Int) {
        guard bytes > 0 else { return }
        lock.withLock {
            guard let slot = renders[plan] else { return }
            slot.bytes += bytes
            renderBytes += bytes
            evictRendersLocked()
        }
    }

    /// Bytes held now: pieces (with gzip bodies) and whole bodies.
    var bytesHeld: Int { lock.withLock { renderBytes + bodyBytes } }

    /// Plans rendered and bodies held now.
    var held: (renders: Int, bodies: Int) { lock.withLock { (renders.count, bodies.count) } }

    // Eviction drops the least recently used until a quarter of the budget is free, in one
    // pass, so that a stream of misses does not sort on every insert.

    private func evictBodiesLocked() {
        guard bodyBytes > maxBodyBytes else { return }
        let target = maxBodyBytes / 4 * 3
        for (key, b) in bodies.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
            guard bodyBytes > target else { break }
            bodies[key] = nil
            bodyBytes -= b.bytes
        }
    }

    private func evictRendersLocked() {
        guard renderBytes > maxRenderBytes else { return }
        let target = maxRenderBytes / 4 * 3
        for (plan, slot) in renders.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
            guard renderBytes > target else { break }
            renders[plan] = nil
            renderBytes -= slot.bytes
        }
    }
}
