public import HTTPTypes
public import ICal
public import NIOHTTP1

/// A feed's validators and response headers, made once per change. A class: every response
/// and cache entry of the feed shares one (a copy is one reference, not six).
public final class FeedMeta: Sendable {
    public let etag: String
    public let lastModified: UTCDateTime
    public let length: Int
    /// Headers of a 200 and of a 304, identity encoding.
    public let headers: HTTPFields
    public let notModifiedHeaders: HTTPFields
    public let wire: WireHeaders

    public init(etag: String, lastModified: UTCDateTime, length: Int, file: String) {
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
