import NIOCore
import PlanCore

// The cache's entries. Classes, so that a hit marks its use in place under the cache's lock.
extension FeedCache {
    struct Key: Hashable {
        var plan: String
        var file: String
    }

    /// A whole body kept. Classes (here and `RenderSlot`) so that a hit marks its use in place,
    /// under the lock, without copying the entry out and hashing its key again to put it back.
    final class Body {
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

    final class RenderSlot {
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
    final class PlanSlot {
        let state: PlanState
        var verified: Verified?

        init(_ state: PlanState, verified: Verified?) {
            self.state = state
            self.verified = verified
        }
    }

    /// A `stat` that found the plan file as confirmed: the watch's ticket taken before it, and
    /// when (monotonic nanoseconds).
    struct Verified {
        /// Nil for a file the watch cannot take (it is `stat`ed on every request, and asked
        /// for a ticket again once a second).
        var ticket: FileWatch.Ticket?
        var stamp: FileStamp
        var at: UInt64
    }
}
