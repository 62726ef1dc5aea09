import Foundation
public import ICal
import NIOCore
public import PlanCore
public import PlanStore

/// Everything a feed request needs that exists only for speed, behind one small API. The
/// server holds one `FeedCache`; the plan registry tells it what it confirmed, the feed routes
/// and the pipeline's fast path ask it for feeds.
///
/// **Get a feed with its validators.**
/// - `cached(plan:file:)`: the hot path, synchronous, no I/O but a check of the plan file (the
///   file watch, or a `stat`) and the store's change signal: the feed if the plan is still as
///   last confirmed and its feed was made since; nil sends the request the slow way.
/// - `feed(plan:file:generation:render:)`: the slow path, for a plan the registry has just
///   brought up to date: the kept feed of that generation, or every feed of the plan rendered
///   once (requests that arrive together share one render) and kept.
/// - `gzip(_:plan:file:)`: a feed's gzip body, compressed once per change and kept.
///
/// **Invalidate.** `confirm(_:_:)` records a plan's state as the registry confirmed it (its
/// file's stamp, the store's change stamp, its generation): a new generation leaves the older
/// feeds unserved, a new change stamp takes the plan off the hot path until confirmed again.
/// `invalidate(_:)` forgets a plan. `changeStamp()` reads the store's signal, to be taken before
/// the store is asked what changed.
///
/// **Stats.** `stats`: bytes held, plans rendered, bodies kept, body files lent.
///
/// Inside: per plan, the confirmed state; each plan's rendered pieces (`PlanRender`, an LRU
/// bounded in bytes, with its gzip bodies); the bodies of the feeds fetched most recently
/// (another, smaller LRU), a large one also as a file in shared memory for sendfile
/// (`BodyFile`). Everything behind one short lock; no I/O under it.
// `lock` guards `plans`, `renders`, `bodies`, `building`, `served`, `tick`, the byte counts, and
// the slots' `lastUse`, `bytes`, `file` and `verified`; the rest is set once in `init`.
public final class FeedCache: @unchecked Sendable {
    /// What the hot path compares: the plan file and the store's change stamp as last confirmed.
    public struct PlanState: Sendable {
        public var path: String
        public var file: FileStamp?
        public var change: ChangeStamp?
        public var generation: Int

        public init(path: String, file: FileStamp?, change: ChangeStamp?, generation: Int) {
            self.path = path
            self.file = file
            self.change = change
            self.generation = generation
        }
    }

    /// The validators last served for a feed.
    public struct Validators: Sendable {
        public var etag: String
        public var lastModified: UTCDateTime
    }

    /// What the cache holds now.
    public struct Stats: Sendable {
        /// Bytes held: pieces (with gzip bodies) and whole bodies.
        public var bytes: Int
        /// Plans whose pieces are kept.
        public var renders: Int
        /// Whole bodies kept.
        public var bodies: Int
        /// Body files lent to responses now, and since the process started.
        public var filesLent: Int
        public var filesLentSoFar: Int
    }

    /// A watched plan file is still `stat`ed at least this often (nanoseconds): what inotify
    /// misses (a folder above switched, a network file system) shows within a second.
    static let restatAfter: UInt64 = 1_000_000_000

    /// The store's change signal (nil: the store gives none, every check asks it).
    private let signal: (any ChangeSignal)?
    /// The plan files' watch (nil: a `stat` per request).
    private let watch: FileWatch?

    private let lock = NSLock()
    private var plans: [String: PlanSlot] = [:]
    private var renders: [String: RenderSlot] = [:]
    private var bodies: [Key: Body] = [:]
    private var building: [String: (generation: Int, task: Task<PlanRender, any Error>)] = [:]
    /// The last validators served per feed, kept when a feed is evicted or rebuilt, so that
    /// Last-Modified only moves forward: a feed that lost an item must not look older than the
    /// one a client has.
    private var served: [Key: Validators] = [:]
    private var tick: UInt64 = 0
    private var renderBytes = 0
    private var bodyBytes = 0
    /// The most bytes of rendered pieces (with gzip bodies) kept.
    let maxRenderBytes: Int
    /// The most bytes of whole feed bodies kept.
    let maxBodyBytes: Int

    /// A cache within `maxBytes` (a quarter for whole bodies, the rest for pieces), over the
    /// store's change signal and the plan files' watch.
    public init(maxBytes: Int, signal: (any ChangeSignal)?, watch: FileWatch? = .shared) {
        maxBodyBytes = maxBytes / 4
        maxRenderBytes = maxBytes - maxBytes / 4
        self.signal = signal
        self.watch = watch
    }

    /// The store's change stamp now (nil: it cannot tell, ask the store).
    public func changeStamp() -> ChangeStamp? { signal?.current() }

    /// Records a plan's confirmed state: feeds of another generation are no longer served, and
    /// the hot path answers only while the plan file and the change stamp are as given.
    public func confirm(_ plan: String, _ state: PlanState) {
        lock.withLock {
            // The same file as before: what was seen of it still holds.
            let old = plans[plan]
            let kept = old.flatMap { $0.state.path == state.path && $0.state.file == state.file ? $0.verified : nil }
            plans[plan] = PlanSlot(state, verified: kept)
        }
    }

    /// Forgets a plan: nothing is served for it until it is confirmed again.
    public func invalidate(_ plan: String) {
        lock.withLock {
            plans[plan] = nil
            if let slot = renders.removeValue(forKey: plan) { renderBytes -= slot.bytes }
            for (key, body) in bodies where key.plan == plan {
                bodies[key] = nil
                bodyBytes -= body.bytes
            }
        }
    }

    /// The plan's confirmed state.
    public func state(_ plan: String) -> PlanState? {
        lock.withLock { plans[plan]?.state }
    }

    /// The hot path: the feed if the plan is still as confirmed (same file stamp, same change
    /// stamp) and rendered for its current generation: its body from the LRU, or put together
    /// from its pieces. One lock for the lookup; the file check (the watch, or a `stat`) and the
    /// copy run after it is released.
    public func cached(plan: String, file: String) -> CachedFeed? {
        guard let change = signal?.current() else { return nil }
        return fresh(plan, file, change: change)
    }

    /// `cached(plan:file:)` at a change stamp read by the caller.
    func fresh(_ plan: String, _ file: String, change: ChangeStamp) -> CachedFeed? {
        let key = Key(plan: plan, file: file)
        // Lock and unlock rather than `withLock`: its generic result went through the runtime's
        // value witnesses here (5 % of a 304's CPU in a profile).
        lock.lock()
        guard let planSlot = plans[plan], planSlot.state.change == change else {
            lock.unlock()
            return nil
        }
        let state = planSlot.state, verified = planSlot.verified
        let slot = renders[plan].flatMap { $0.render.generation == state.generation ? $0 : nil }
        if let (body, bodyFile) = bodyLocked(key, generation: state.generation) {
            lock.unlock()
            guard fileUnchanged(planSlot, verified) else { return nil }
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
        guard fileUnchanged(planSlot, verified) else { return nil }
        return assemble(plan, file, rendered, slot.render, generation: state.generation)
    }

    /// True when the plan file is as its confirmed state says: no event since a `stat` less
    /// than `restatAfter` ago found it so, or a `stat` now.
    private func fileUnchanged(_ slot: PlanSlot, _ verified: Verified?) -> Bool {
        let state = slot.state
        let now = DispatchTime.now().uptimeNanoseconds
        if let watch, let v = verified, v.stamp == state.file, now &- v.at < FeedCache.restatAfter {
            guard let ticket = v.ticket else { return FileStamp(path: state.path) == state.file }
            if watch.unchanged(ticket) { return true }
        }
        let ticket = watch?.ticket(state.path)
        let seen = FileStamp(path: state.path)
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

    /// The slow path, for a plan just brought up to date at `generation`: the feed kept for that
    /// generation, else every feed of the plan made by `render` (once: requests that arrive
    /// together share it; in a task of its own, so plans render in parallel) and kept. Nil when
    /// the plan has no such feed.
    public func feed(plan: String, file: String, generation: Int,
                     render: @escaping @Sendable () throws -> PlanRender) async throws -> CachedFeed? {
        if let found = feed(plan, file, generation: generation) { return found }
        let made = try await rendering(plan, generation: generation) { [self] in
            let made = try render()
            keep(made, plan: plan)
            return made
        }.value
        guard let rendered = made.feeds[file] else { return nil }
        return assemble(plan, file, rendered, made, generation: generation)
    }

    /// The gzip body of a feed, compressed once per change and kept with the plan's pieces.
    public func gzip(_ feed: CachedFeed, plan: String, file: String) throws -> CachedFeed.Gzipped {
        if let done = feed.gzip { return done }
        let gzip = try feed.compressed()
        if let render = render(plan), render.feeds[file]?.meta.etag == feed.etag {
            grew(plan, by: render.keep(gzip, for: file))
        }
        return gzip
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

    /// The validators last served of a plan's feeds (a render moves Last-Modified forward from them).
    public func served(plan: String, files: [String]) -> [String: Validators] {
        lock.withLock {
            var out: [String: Validators] = [:]
            for f in files { out[f] = served[Key(plan: plan, file: f)] }
            return out
        }
    }

    /// Keeps a plan's render if its generation is still current, and its feeds' validators.
    func keep(_ render: PlanRender, plan: String) {
        lock.withLock {
            if building[plan]?.generation == render.generation { building[plan] = nil }
            guard plans[plan]?.state.generation == render.generation else { return }
            for (file, r) in render.feeds {
                served[Key(plan: plan, file: file)] = Validators(etag: r.meta.etag, lastModified: r.meta.lastModified)
            }
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

    /// What the cache holds now.
    public var stats: Stats {
        let (bytes, renders, bodies) = lock.withLock { (renderBytes + bodyBytes, self.renders.count, self.bodies.count) }
        return Stats(bytes: bytes, renders: renders, bodies: bodies, filesLent: BodyFile.lentNow,
                     filesLentSoFar: BodyFile.lentSoFar)
    }

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
