public import ICal

/// What `plancal serve` is started with; tests build the same application with their own.
public struct ServerArguments: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind (0 picks a free one).
    public var port: Int
    /// Plan files to serve; each is served under its plan id.
    public var planPaths: [String]
    /// A folder every plan file below which is served too (a city's wards); new files are
    /// picked up without a restart.
    public var plansDir: String?
    /// Overrides the plans' public base URL in pages (feeds keep the plan's own, so
    /// that `generate` and `serve` give the same bytes).
    public var baseURL: String?
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int
    /// Fixes "today" (tests); nil means the plan's local date now.
    public var today: CivilDate?
    /// Marks the session cookie Secure (behind HTTPS).
    public var secureCookies: Bool
    /// The most connections open at once; past it, new ones wait in the listen queue.
    public var maxConnections: Int
    /// Seconds before an idle connection is closed. Hummingbird keeps an HTTP/1.0 connection
    /// open after its response; this bounds how long such a client (or an idle one) holds it.
    public var idleTimeoutSeconds: Int
    /// The most bytes of built feed bodies (identity and gzip) kept in memory; the least
    /// recently fetched are built again on their next request.
    public var feedCacheBytes: Int
    /// Answers cached feeds inside the channel pipeline, before Hummingbird (`FeedFastPath`);
    /// off, every request goes through the router (the same bytes, more work per request).
    public var pipelineFastPath: Bool

    /// Arguments with defaults for everything but the plans.
    public init(host: String = "127.0.0.1", port: Int = 8080, planPaths: [String], plansDir: String? = nil, baseURL: String? = nil,
                maxBodyBytes: Int = 16 * 1024, today: CivilDate? = nil, secureCookies: Bool = false,
                idleTimeoutSeconds: Int = 30, maxConnections: Int = 4096, feedCacheBytes: Int = 128 << 20,
                pipelineFastPath: Bool = true) {
        self.host = host
        self.port = port
        self.planPaths = planPaths
        self.plansDir = plansDir
        self.baseURL = baseURL
        self.maxBodyBytes = maxBodyBytes
        self.today = today
        self.secureCookies = secureCookies
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.feedCacheBytes = feedCacheBytes
        self.pipelineFastPath = pipelineFastPath
    }
}
