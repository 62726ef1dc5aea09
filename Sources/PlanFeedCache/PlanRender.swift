public import NIOCore
import Synchronization

/// Every feed of one plan as pieces, for one generation of the plan: each distinct item's text
/// once (a plan's 18 feeds hold its items about 3.4 times over), packed with its equal runs
/// shared (`PieceArena`); each feed its head, its items' indices and its validators. A feed's
/// body is put together from its pieces with one copy; the gzip bodies, once made, are kept here.
public final class PlanRender: Sendable {
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
    /// The gzip bodies made so far, by file.
    private let gzips = Mutex<[String: CachedFeed.Gzipped]>([:])

    init(generation: Int, feeds: [String: Rendered], items: PieceStore, end: ByteBuffer, bytes: Int) {
        self.generation = generation
        self.feeds = feeds
        self.items = items
        self.end = end
        self.bytes = bytes
    }

    public func gzip(_ file: String) -> CachedFeed.Gzipped? { gzips.withLock { $0[file] } }

    /// Keeps a gzip body; returns the bytes added (0 if one was kept already).
    func keep(_ gzip: CachedFeed.Gzipped, for file: String) -> Int {
        gzips.withLock { gzips in
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

