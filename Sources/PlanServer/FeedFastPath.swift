import Foundation
import Hummingbird
import HummingbirdCore
import ICal
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import PlanCore
import PlanFeedCache

/// Answers a `GET /calendars/<plan>/<file>.ics` whose feed is cached and current right in the
/// channel pipeline, on the connection's event loop: no task, no hop to Swift's cooperative
/// pool and back, no router, no request context, no conversion of the request to HTTP types.
/// Those cost more than everything a cached feed needs (`FeedCache.cached`: a lookup under a
/// lock, the plan file's watch, the store's change signal read from shared memory, headers made
/// once per feed). It is in the pipeline only with `ServerArguments.pipelineFastPath`.
///
/// Anything else — another path or method, a connection that is to close, a feed not cached or
/// whose plan or records may have changed, a request while an earlier one on the connection is
/// still being answered by the application — goes on to Hummingbird untouched, so responses
/// stay in request order and every rule (404s, rebuilds, gzip on first use, errors) stays in
/// one place: `FeedController`.
///
/// The connection's idle timeout is kept here too, since only this handler sees every request:
/// Hummingbird's own (`HTTPConnectionStateHandler`) never sees the requests answered here, so it
/// closed a busy keep-alive connection every `--idle-timeout` seconds, failing a request sent at
/// that moment.
final class FeedFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let cache: FeedCache
    private let fetches: FetchRecorder
    /// Requests handed to the application whose response has not ended yet.
    private var outstanding = 0
    /// The request being read was answered here: drop its body and end.
    private var answered = false
    private var needsFlush = false
    /// The last head sent (as bytes), reused while the same answer is given within the same second.
    private var last: (etag: String, status: HTTPResponseStatus, second: Int, version: HTTPVersion, head: ByteBuffer)?
    /// The HTTP/1 response encoder's context: what is written from it goes to the socket as it
    /// is. An answer is written from there as the head's bytes (made once per feed and second)
    /// and the body, instead of a head, a body and an end that the encoder turns into bytes on
    /// every response (without it, nothing is answered here).
    private var wire: ChannelHandlerContext?

    /// A connection with no request being read, none being answered and nothing read or
    /// answered for this long is closed (nil: never).
    private let idleTimeout: TimeAmount?
    private var lastActive = NIODeadline.now()
    private var readingRequest = false
    private var idleCheck: Scheduled<Void>?
    /// The server is shutting down: nothing more is answered here.
    private var quiescing = false

    init(cache: FeedCache, fetches: FetchRecorder, idleTimeout: TimeAmount?) {
        self.cache = cache
        self.fetches = fetches
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        wire = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        if context.channel.isActive { checkIdle(context, at: .now() + (idleTimeout ?? .zero)) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wire = nil
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        checkIdle(context, at: .now() + (idleTimeout ?? .zero))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    /// Schedules the idle check (once; it reschedules itself).
    private func checkIdle(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard idleTimeout != nil, idleCheck == nil else { return }
        idleCheck = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            idleCheck = nil
            guard let idleTimeout, context.channel.isActive else { return }
            let now = NIODeadline.now()
            if !readingRequest && outstanding > 0 {
                // The application is still answering: not idle.
                checkIdle(context, at: now + idleTimeout)
            } else if now >= lastActive + idleTimeout {
                context.close(promise: nil)
            } else {
                checkIdle(context, at: lastActive + idleTimeout)
            }
        }
    }

    /// On shutdown, Hummingbird's connection handler closes a connection at once if the
    /// application has no request on it, and it knows nothing of the answers written here: a
    /// large body still being sent was cut short. The event is passed on only once everything
    /// written here has gone out (an empty write after them completes when they have).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, let wire else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        // Passed on once, when the writes are out or after a bound (a client that stopped
        // reading must not hold the shutdown).
        var passed = false
        let passOn = {
            guard !passed else { return }
            passed = true
            context.fireUserInboundEventTriggered(event)
        }
        let sent = context.eventLoop.makePromise(of: Void.self)
        let bound = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: FeedFastPath.shutdownWait) {
            passOn()
        }
        wire.writeAndFlush(NIOAny(IOData.byteBuffer(ByteBuffer())), promise: sent)
        sent.futureResult.assumeIsolated().whenComplete { _ in
            bound.cancel()
            passOn()
        }
    }

    /// How long a shutdown waits for the answers still being sent on a connection.
    static let shutdownWait = TimeAmount.seconds(10)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now()
        switch unwrapInboundIn(data) {
        case let .head(request):
            readingRequest = true
            if outstanding == 0, !quiescing, let wire, let (head, body) = answer(request) {
                answered = true
                write(head, body, to: wire)
                needsFlush = true
                return
            }
            answered = false
            outstanding += 1
            context.fireChannelRead(data)
        case .body:
            if answered { return }
            context.fireChannelRead(data)
        case .end:
            readingRequest = false
            if answered { return }
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            outstanding -= 1
            lastActive = .now()
        }
        context.write(data, promise: promise)
    }

    /// Writes an answer as bytes below the encoder: the head's, then the body's. A large body's
    /// file goes by sendfile(2) while the client reads what it is sent (a connection that stopped
    /// reading gets the shared buffer, which holds no descriptor); this response's own handle is
    /// given back once the write is done, or failed with the connection.
    private func write(_ head: ByteBuffer, _ body: Payload?, to wire: ChannelHandlerContext) {
        wire.write(NIOAny(IOData.byteBuffer(head)), promise: nil)
        switch body {
        case let .buffer(buffer)?: wire.write(NIOAny(IOData.byteBuffer(buffer)), promise: nil)
        case let .file(file, fallback)?:
            if wire.channel.isWritable, let handle = file.lend() {
                let written = wire.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in BodyFile.giveBack(handle) }
                wire.write(NIOAny(IOData.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: file.length))),
                           promise: written)
            } else {
                wire.write(NIOAny(IOData.byteBuffer(fallback)), promise: nil)
            }
        case nil: break
        }
    }

    /// A response head as HTTP/1 puts it on the wire (as NIO's encoder writes it).
    static func encode(_ head: HTTPResponseHead) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        out.writeString("HTTP/\(head.version.major).\(head.version.minor) \(head.status.code) \(head.status.reasonPhrase)\r\n")
        for (name, value) in head.headers {
            out.writeString(name)
            out.writeString(": ")
            out.writeString(value)
            out.writeString("\r\n")
        }
        out.writeString("\r\n")
        return out
    }

    /// A response's body: bytes in memory, or a large body's file (with its bytes, should no
    /// handle be available).
    enum Payload {
        case buffer(ByteBuffer)
        case file(BodyFile, fallback: ByteBuffer)
    }

    /// The response to a request for a cached, current feed (its head's bytes, its body); nil for
    /// anything else.
    private func answer(_ request: HTTPRequestHead) -> (ByteBuffer, Payload?)? {
        guard request.method == .GET, request.isKeepAlive else { return nil }
        let uri = request.uri.utf8
        let prefix = "/calendars/".utf8
        guard uri.starts(with: prefix) else { return nil }
        let rest = uri.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let fileBytes = rest[rest.index(after: slash)...]
        guard !fileBytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") }),
              let plan = String(rest[..<slash]), let file = String(fileBytes),
              let feed = cache.cached(plan: plan, file: file) else { return nil }
        let headers = request.headers
        let ifNoneMatch = headers.first(name: "if-none-match"), ifModifiedSince = headers.first(name: "if-modified-since")
        let etag: String, status: HTTPResponseStatus, fields: HTTPHeaders, body: Payload?
        if FeedController.acceptsGzip(headers.first(name: "accept-encoding")) {
            // Not compressed yet: the application compresses it (once) and answers.
            guard let gzip = feed.gzip else { return nil }
            etag = gzip.etag
            if HTTPDate.notModified(ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince, etag: gzip.etag,
                                    lastModified: feed.lastModified) {
                (status, fields, body) = (.notModified, gzip.wire.notModified, nil)
            } else {
                (status, fields, body) = (.ok, gzip.wire.ok, .buffer(gzip.body))
            }
        } else {
            etag = feed.etag
            if HTTPDate.notModified(ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince, etag: feed.etag,
                                    lastModified: feed.lastModified) {
                (status, fields, body) = (.notModified, feed.wire.notModified, nil)
            } else {
                (status, fields, body) = (.ok, feed.wire.ok, feed.file.map { .file($0, fallback: feed.body) } ?? .buffer(feed.body))
            }
        }
        let second = Int(time(nil))
        fetches.note(plan: plan, feed: file, userAgent: headers.first(name: "user-agent") ?? "(không rõ)",
                     at: UTCDateTime(secondsSinceEpoch: second))
        if let last, last.second == second, last.status == status, last.etag == etag, last.version == request.version {
            return (last.head, body)
        }
        var h = fields
        // What Hummingbird adds to every response.
        h.add(name: "Date", value: DateHeader.text(second))
        h.add(name: "Server", value: "plancal")
        let head = FeedFastPath.encode(HTTPResponseHead(version: request.version, status: status, headers: h))
        last = (etag, status, second, request.version, head)
        return (head, body)
    }
}
