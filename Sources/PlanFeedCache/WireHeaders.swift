public import HTTPTypes
public import ICal
public import NIOHTTP1

/// Response headers as the HTTP/1 encoder takes them (for the pipeline's fast path).
public struct WireHeaders: Sendable {
    public var ok: HTTPHeaders
    public var notModified: HTTPHeaders

    public init(ok: HTTPFields, notModified: HTTPFields) {
        self.ok = HTTPHeaders(ok.map { ($0.name.rawName, $0.value) })
        self.notModified = HTTPHeaders(notModified.map { ($0.name.rawName, $0.value) })
    }
}
