import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// The HTTP/1 channel of plancal: Hummingbird's, with `FeedFastPath` (when there is one) placed
/// right after the HTTP/1 decoder, before the conversion to HTTP types that only the application
/// needs.
struct PlanHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    /// Makes each connection's fast path; nil: Hummingbird's channel as it is.
    let fastPath: (@Sendable () -> FeedFastPath)?

    var responder: HTTPChannelHandler.Responder { inner.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let fastPath else { return inner.setup(channel: channel, logger: logger) }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let codec = try channel.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self)
            try channel.pipeline.syncOperations.addHandler(fastPath(), position: .before(codec.handler))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
