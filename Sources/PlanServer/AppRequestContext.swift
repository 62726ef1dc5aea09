import Hummingbird

/// The request context of plancal's server: Hummingbird's basics with a small body limit.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies are small forms and JSON objects; anything larger is refused with 413.
    public var maxUploadSize: Int { 16 * 1024 }
}
