import Crypto
import Foundation
import GRDB
import ICal

/// A unit's write token as stored: never the secret, only its SHA-256.
public struct UnitToken: Sendable, Equatable {
    /// Public id (also the token's prefix), e.g. `a1b2c3d4`.
    public var id: String
    /// The plan it writes to.
    public var plan: String
    /// The unit it writes for.
    public var unit: String
    /// Who holds it, e.g. a person's name; recorded with every write.
    public var label: String
    /// When it was made.
    public var createdAt: UTCDateTime
    /// When it was revoked, if it was.
    public var revokedAt: UTCDateTime?
}

/// Creates, lists, checks and revokes unit tokens. A token reads
/// `pc_<id>_<secret>`; only SHA-256(secret) is stored.
public struct UnitTokens: Sendable {
    let database: AppDatabase

    /// Tokens in a database.
    public init(_ database: AppDatabase) { self.database = database }

    struct Row: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "token"
        var id: String
        var plan: String
        var unit: String
        var label: String
        var secretHash: String
        var createdAt: Int
        var revokedAt: Int?

        var token: UnitToken {
            UnitToken(id: id, plan: plan, unit: unit, label: label,
                      createdAt: UTCDateTime(secondsSinceEpoch: createdAt),
                      revokedAt: revokedAt.map(UTCDateTime.init(secondsSinceEpoch:)))
        }
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomHex(bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Makes a token; returns the secret text (shown once) and the stored record.
    public func create(plan: String, unit: String, label: String, now: UTCDateTime) throws -> (secret: String, token: UnitToken) {
        let id = UnitTokens.randomHex(bytes: 4)
        let secret = UnitTokens.randomHex(bytes: 24)
        let row = Row(id: id, plan: plan, unit: unit, label: label, secretHash: UnitTokens.hash(secret),
                      createdAt: now.secondsSinceEpoch, revokedAt: nil)
        try database.writer.write { db in try row.insert(db) }
        return ("pc_\(id)_\(secret)", row.token)
    }

    /// Every token of a plan (without secrets), oldest first.
    public func list(plan: String) throws -> [UnitToken] {
        try database.writer.read { db in
            try Row.filter(Column("plan") == plan).order(Column("createdAt"), Column("id")).fetchAll(db).map(\.token)
        }
    }

    /// Revokes a token by id; false when there is no such live token.
    public func revoke(id: String, plan: String, now: UTCDateTime) throws -> Bool {
        try database.writer.write { db in
            try db.execute(sql: "UPDATE token SET revokedAt = ? WHERE id = ? AND plan = ? AND revokedAt IS NULL",
                           arguments: [now.secondsSinceEpoch, id, plan])
            return db.changesCount > 0
        }
    }

    /// The token with an id if it exists and is not revoked (sessions re-check it on every use).
    public func live(id: String) throws -> UnitToken? {
        let row = try database.writer.read { db in try Row.fetchOne(db, key: id) }
        return row.flatMap { $0.revokedAt == nil ? $0.token : nil }
    }

    /// The live token a presented text stands for, or nil (unknown, malformed, wrong secret, revoked).
    public func verify(_ presented: String, plan: String) throws -> UnitToken? {
        let parts = presented.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "pc", parts[1].count == 8, parts[2].count == 48,
              presented.allSatisfy({ $0.isASCII }) else { return nil }
        let id = String(parts[1])
        guard let row = try database.writer.read({ db in try Row.fetchOne(db, key: id) }),
              row.plan == plan, row.revokedAt == nil else { return nil }
        // Compare digests in constant time.
        let given = Array(UnitTokens.hash(String(parts[2])).utf8), stored = Array(row.secretHash.utf8)
        guard given.count == stored.count else { return nil }
        var diff: UInt8 = 0
        for i in 0..<given.count { diff |= given[i] ^ stored[i] }
        return diff == 0 ? row.token : nil
    }
}

/// Which client fetched which feed when: "my calendar is not updating" answered at a glance.
public struct FeedFetchLog: Sendable {
    let database: AppDatabase

    /// A log in a database.
    public init(_ database: AppDatabase) { self.database = database }

    /// One client's latest fetch of a feed.
    public struct Entry: Sendable, Equatable {
        public var feed: String
        public var userAgent: String
        public var lastAt: UTCDateTime
        public var count: Int
    }

    /// Adds fetches of a feed by a client.
    public func record(plan: String, feed: String, userAgent: String, at: UTCDateTime, count: Int = 1) throws {
        let ua = String(userAgent.prefix(200))
        try database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO feedFetch (plan, feed, userAgent, lastAt, count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(plan, feed, userAgent) DO UPDATE SET lastAt = MAX(lastAt, excluded.lastAt), count = count + excluded.count
                """, arguments: [plan, feed, ua, at.secondsSinceEpoch, count])
        }
    }

    /// The most rows kept per plan; older ones are dropped by `prune`.
    public static let keep = 1000

    /// Drops all but the `keep` most recent rows of a plan (anyone can send any User-Agent).
    public func prune(plan: String) throws {
        try database.writer.write { db in
            try db.execute(sql: """
                DELETE FROM feedFetch WHERE plan = ? AND rowid NOT IN
                  (SELECT rowid FROM feedFetch WHERE plan = ? ORDER BY lastAt DESC LIMIT ?)
                """, arguments: [plan, plan, FeedFetchLog.keep])
        }
    }

    /// The latest clients of a plan's feeds, latest first.
    public func entries(plan: String, limit: Int = 50) throws -> [Entry] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT feed, userAgent, lastAt, count FROM feedFetch WHERE plan = ? ORDER BY lastAt DESC, feed, userAgent LIMIT ?",
                             arguments: [plan, limit]).map {
                Entry(feed: $0["feed"], userAgent: $0["userAgent"], lastAt: UTCDateTime(secondsSinceEpoch: $0["lastAt"]), count: $0["count"])
            }
        }
    }
}
