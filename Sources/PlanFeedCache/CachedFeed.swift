import CompressNIO
public import HTTPTypes
public import ICal
public import NIOCore

/// A feed ready to serve: its bytes, validators and headers, shared by every response (a
/// ByteBuffer and HTTPFields are copy-on-write: a thousand clients that never read their answers
/// hold one copy of the feed between them). The gzip body is made once per change, on the first
/// request that accepts it.
public struct CachedFeed: Sendable {
    public var meta: FeedMeta
    public var body: ByteBuffer
    /// The same bytes as a file in shared memory, for a large body kept whole (the pipeline's
    /// fast path sends it with sendfile(2)).
    public var file: BodyFile? = nil
    /// The plan's pieces the feed was made from (where its gzip body is kept) and its file name.
    public var render: PlanRender? = nil
    public var name: String = ""

    /// A feed as kept (its body from the cache, or put together from its pieces).
    public init(meta: FeedMeta, body: ByteBuffer, file: BodyFile? = nil, render: PlanRender? = nil, name: String = "") {
        self.meta = meta
        self.body = body
        self.file = file
        self.render = render
        self.name = name
    }

    /// The gzip body, if made already (looked up only for a client that accepts it).
    @inlinable public var gzip: Gzipped? { render?.gzip(name) }

    @inlinable public var etag: String { meta.etag }
    @inlinable public var lastModified: UTCDateTime { meta.lastModified }
    @inlinable public var headers: HTTPFields { meta.headers }
    @inlinable public var notModifiedHeaders: HTTPFields { meta.notModifiedHeaders }
    @inlinable public var wire: WireHeaders { meta.wire }

    /// The gzip encoding of the same bytes, with its own ETag (RFC 9110 §8.8.3: another
    /// representation, another tag).
    public final class Gzipped: Sendable {
        public let body: ByteBuffer
        public let etag: String
        public let headers: HTTPFields
        public let notModifiedHeaders: HTTPFields
        public let wire: WireHeaders

        init(body: ByteBuffer, etag: String, headers: HTTPFields, notModifiedHeaders: HTTPFields, wire: WireHeaders) {
            self.body = body
            self.etag = etag
            self.headers = headers
            self.notModifiedHeaders = notModifiedHeaders
            self.wire = wire
        }
    }

    /// The gzip representation of this feed (compressed here).
    public func compressed() throws -> Gzipped {
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

