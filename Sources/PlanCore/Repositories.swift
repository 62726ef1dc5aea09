public import ICal

// Storage as the domain sees it: async `Sendable` repositories, one protocol per resource,
// implemented once per engine (SQLite through GRDB, PostgreSQL through postgres-nio, memory
// for tests). The domain never names an engine; the CLI and the server pick one.

/// What a completion repository's check decides about a new record, given what is stored.
public enum AppendDecision: Sendable, Equatable {
    /// Store the record.
    case append
    /// Store nothing: this record already says the same thing.
    case alreadyRecorded(CompletionRecord)
}

/// What an append did.
public enum RecordOutcome: Sendable, Equatable {
    /// A new record was stored (with its id).
    case recorded(CompletionRecord)
    /// An earlier record already said the same; nothing was written.
    case alreadyRecorded(CompletionRecord)

    /// The record written, or the earlier one that made writing unnecessary.
    public var record: CompletionRecord {
        switch self {
        case let .recorded(r), let .alreadyRecorded(r): return r
        }
    }
}

/// The append-only completion history of every plan.
///
/// `append` runs `check` on the records it competes with and the insert as one atomic step
/// across processes and server instances: two writers can never both pass the same check.
public protocol CompletionRepository: Sendable {
    /// Appends `record` unless `check` declines or throws. `check` sees, oldest first, for a
    /// record of an occurrence, each unit's latest record of the same plan and occurrence in each
    /// `CompletionRecord.lane` (what decides the occurrence's state: a `done` in force or an
    /// `undo`, a waiver standing or withdrawn; the earlier ones change nothing a check can ask,
    /// and reading them would make a write cost the history's length; an engine may pass more);
    /// for a record of no occurrence (an ad hoc one), the same unit's ad hoc records of the same
    /// day and that unit's ad hoc undos.
    func append(_ record: CompletionRecord,
                check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome
    /// Every record of a plan, oldest first.
    func records(plan: String) async throws -> [CompletionRecord]
    /// One record of a plan by its id.
    func record(_ id: Int64, plan: String) async throws -> CompletionRecord?
    /// A number that changes whenever a record of the plan is added, by any process; cheap to
    /// ask (a key lookup, never a scan of the plan's records).
    func version(plan: String) async throws -> Int64
    /// The records of a plan with an id above `after`, oldest first: what a reader that has
    /// seen the records up to `after` folds in next. An engine must make a plan's ids visible
    /// in increasing order (a record never appears with an id below one already seen).
    /// Default: every record, filtered (correct for any engine, and as slow as `records(plan:)`).
    func records(plan: String, after: Int64) async throws -> [CompletionRecord]
    /// Every plan's `version(plan:)` in one read, when the engine can give them so (nil: ask
    /// plan by plan). A server whose store's change signal moved without any plan's records changing (its
    /// own fetch log, another plan's write) confirms all its plans with this one read.
    /// Default: nil.
    func versions() async throws -> [String: Int64]?
}

extension CompletionRepository {
    public func records(plan: String, after: Int64) async throws -> [CompletionRecord] {
        try await records(plan: plan).filter { ($0.id ?? 0) > after }
    }

    public func versions() async throws -> [String: Int64]? { nil }
}

/// A unit's write token as stored: never the secret, only a digest of it.
public struct UnitToken: Sendable, Equatable {
    /// Public id (also the token's prefix), e.g. `a1b2c3d4`.
    public var id: String
    /// The plan it writes to.
    public var plan: String
    /// The unit it writes for.
    public var unit: UnitID
    /// Who holds it, e.g. a person's name; recorded with every write.
    public var label: String
    /// When it was made.
    public var createdAt: UTCDateTime
    /// When it was revoked, if it was.
    public var revokedAt: UTCDateTime?

    /// A token as stored.
    public init(id: String, plan: String, unit: UnitID, label: String, createdAt: UTCDateTime, revokedAt: UTCDateTime? = nil) {
        self.id = id
        self.plan = plan
        self.unit = unit
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Unit tokens: created, listed, checked and revoked. A token's text reads `pc_<id>_<secret>`;
/// only a digest of the secret is stored.
public protocol TokenRepository: Sendable {
    /// Makes a token; returns the secret text (shown once) and the stored token.
    func create(plan: String, unit: UnitID, label: String, now: UTCDateTime) async throws -> (secret: String, token: UnitToken)
    /// Every token of a plan (without secrets), oldest first.
    func list(plan: String) async throws -> [UnitToken]
    /// Revokes a live token; false when there is no such live token.
    func revoke(id: String, plan: String, now: UTCDateTime) async throws -> Bool
    /// The live token a presented text stands for; nil when unknown, malformed, wrong or revoked.
    func verify(_ presented: String, plan: String) async throws -> UnitToken?
}

/// A signed-in browser: which token (so which unit) it acts for, and its CSRF token.
public struct WebSession: Sendable, Equatable {
    /// The cookie's value (only a digest of it is stored).
    public var id: String
    /// The token it was opened with.
    public var token: UnitToken
    /// The token every form of this session must carry.
    public var csrf: String
    /// When it ends.
    public var expires: UTCDateTime

    /// A session.
    public init(id: String, token: UnitToken, csrf: String, expires: UTCDateTime) {
        self.id = id
        self.token = token
        self.csrf = csrf
        self.expires = expires
    }
}

/// Browser sessions, kept where every server instance sees them.
public protocol SessionRepository: Sendable {
    /// The most sessions one token keeps; its oldest go first.
    static var maxPerToken: Int { get }
    /// Opens a session for a token, lasting `lifetime` seconds.
    func create(for token: UnitToken, now: UTCDateTime, lifetime: Int) async throws -> WebSession
    /// The session with this cookie value, if it has not expired and its token is still live
    /// (revoking a token signs its sessions out).
    func session(_ id: String, now: UTCDateTime) async throws -> WebSession?
    /// Ends a session.
    func remove(_ id: String) async throws
}

extension SessionRepository {
    /// The most sessions one token keeps.
    public static var maxPerToken: Int { 20 }
}

/// Which client fetched which feed, and when: "my calendar is not updating" answered at a glance.
public struct FeedFetch: Sendable, Equatable {
    /// The plan's id.
    public var plan: String
    /// The feed's file name, e.g. `vhxh.ics`.
    public var feed: String
    /// The client's User-Agent (at most 200 characters).
    public var userAgent: String
    /// The latest fetch.
    public var lastAt: UTCDateTime
    /// How many fetches.
    public var count: Int

    /// An entry.
    public init(plan: String, feed: String, userAgent: String, lastAt: UTCDateTime, count: Int) {
        self.plan = plan
        self.feed = feed
        self.userAgent = String(userAgent.prefix(200))
        self.lastAt = lastAt
        self.count = count
    }
}

/// The feed fetch log.
public protocol FetchLogRepository: Sendable {
    /// Adds fetches: a (plan, feed, client) already present has its count added and its time
    /// moved forward (never back).
    func record(_ fetches: [FeedFetch]) async throws
    /// Drops all but the `keep` most recent rows of a plan (anyone can send any User-Agent).
    func prune(plan: String, keep: Int) async throws
    /// The latest clients of a plan's feeds, latest first.
    func entries(plan: String, limit: Int) async throws -> [FeedFetch]
    /// The latest fetch of any feed of each plan that has one.
    func lastFetches() async throws -> [String: UTCDateTime]
}

/// One engine's repositories, handed to the CLI's commands and the server.
public struct Repositories: Sendable {
    public var completions: any CompletionRepository
    public var tokens: any TokenRepository
    public var sessions: any SessionRepository
    public var fetches: any FetchLogRepository
    public var figures: any FigureRepository
    public var baselines: any BaselineRepository

    /// Repositories of one engine.
    public init(completions: any CompletionRepository, tokens: any TokenRepository,
                sessions: any SessionRepository, fetches: any FetchLogRepository, figures: any FigureRepository,
                baselines: any BaselineRepository) {
        self.figures = figures
        self.baselines = baselines
        self.completions = completions
        self.tokens = tokens
        self.sessions = sessions
        self.fetches = fetches
    }
}

/// A storage failure the person running plancal can act on, whatever the engine: the disk is
/// full, the database is read-only or cannot be reached. Messages are Vietnamese.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No space left for the write; nothing was written.
    case full(String)
    /// The database is open read-only (a read-only file, or a replica).
    case readOnly(String)
    /// The database cannot be reached or opened now.
    case unavailable(String)
    /// A stored row holds what plancal never writes (e.g. an id of the wrong form).
    case corrupt(String)

    public var description: String {
        switch self {
        case let .full(detail):
            return "Ổ đĩa hoặc cơ sở dữ liệu đã đầy, chưa ghi được gì (\(detail)). Hãy giải phóng dung lượng rồi thử lại."
        case let .readOnly(detail):
            return "Cơ sở dữ liệu chỉ cho phép đọc, không ghi được (\(detail))."
        case let .unavailable(detail):
            return "Không kết nối được cơ sở dữ liệu (\(detail)). Hãy thử lại sau ít phút."
        case let .corrupt(detail):
            return "Cơ sở dữ liệu có dữ liệu không hợp lệ (\(detail)). Hãy khôi phục từ bản sao lưu."
        }
    }
}
