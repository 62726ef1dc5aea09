import ICal
import Logging
public import PlanCore
import PlanStore
import PostgresNIO

// The repositories on PostgreSQL. Times are TIMESTAMPTZ in the tables (readable by whoever
// queries them) and whole seconds in Swift: `to_timestamp(seconds)` in, `epoch(…)` out.
// Text is ordered by `COLLATE "C"` (bytes), as SQLite and Swift order it, whatever the
// database's collation.

/// Completion records on PostgreSQL.
public struct PostgresCompletionRepository: CompletionRepository {
    let database: PostgresDatabase

    /// Records on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    static let columns = """
        id, plan, action, occurrence_id, unit, to_char(done_on, 'YYYY-MM-DD'), recorded_by,
        extract(epoch FROM recorded_at)::bigint, evidence_url, note, reached, participants, organisations, reason, withdraws
        """

    /// Appends under a transaction-scoped advisory lock on what the check reads, taken before
    /// reading: the plan and occurrence, or for an ad hoc record the plan and unit (its check
    /// reads the unit's records of one day and its undos of any day). Another process
    /// appending the same waits for this transaction to end, then reads what it wrote.
    public func append(_ record: CompletionRecord,
                       check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome {
        try await database.transaction { [logger = database.logger] connection in
            let existing: PostgresRowSequence
            if let occurrence = record.occurrenceID {
                try await connection.query("""
                    SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('occurrence ' || \(occurrence)))
                    """, logger: logger).drain()
                existing = try await connection.query("""
                    SELECT \(unescaped: Self.columns) FROM record
                    WHERE plan = \(record.plan) AND occurrence_id = \(occurrence) ORDER BY id
                    """, logger: logger)
            } else {
                try await connection.query("""
                    SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('unit ' || \(record.unit)))
                    """, logger: logger).drain()
                existing = try await connection.query("""
                    SELECT \(unescaped: Self.columns) FROM record
                    WHERE plan = \(record.plan) AND occurrence_id IS NULL AND unit = \(record.unit)
                      AND (done_on = \(record.doneOn?.iso)::date OR done_on IS NULL)
                    ORDER BY id
                    """, logger: logger)
            }
            if case let .alreadyRecorded(earlier) = try check(try await Self.records(existing)) {
                return .alreadyRecorded(earlier)
            }
            // The plan's inserts one at a time, each until its commit: ids then become visible
            // in increasing order within a plan, which `records(plan:after:)` relies on (a
            // reader that has seen id n never misses a smaller id committed later). Taken after
            // the lock above, always in that order, so two appends cannot wait on each other.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), 0)", logger: logger).drain()
            let r = record
            var id: Int64?
            for try await inserted in try await connection.query("""
                INSERT INTO record (plan, action, occurrence_id, unit, done_on, recorded_by, recorded_at, evidence_url,
                                    note, reached, participants, organisations, reason, withdraws)
                VALUES (\(r.plan), \(r.action.rawValue), \(r.occurrenceID), \(r.unit), \(r.doneOn?.iso)::date,
                        \(r.recordedBy), to_timestamp(\(r.recordedAt.secondsSinceEpoch)), \(r.evidenceURL), \(r.note),
                        \(r.reached), \(r.participants), \(r.organisations), \(r.reason), \(r.withdraws))
                RETURNING id
                """, logger: logger).decode(Int64.self) {
                id = inserted
            }
            var stored = record
            stored.id = id
            return .recorded(stored)
        }
    }

    public func records(plan: String) async throws -> [CompletionRecord] {
        try await database.withConnection { [logger = database.logger] connection in
            try await Self.records(connection.query("""
                SELECT \(unescaped: Self.columns) FROM record WHERE plan = \(plan) ORDER BY id
                """, logger: logger))
        }
    }

    /// The records after `after`, by the (plan, id) index; complete because appends of a plan
    /// commit in the order of their ids (see `append`).
    public func records(plan: String, after: Int64) async throws -> [CompletionRecord] {
        try await database.withConnection { [logger = database.logger] connection in
            try await Self.records(connection.query("""
                SELECT \(unescaped: Self.columns) FROM record WHERE plan = \(plan) AND id > \(after) ORDER BY id
                """, logger: logger))
        }
    }

    public func record(_ id: Int64, plan: String) async throws -> CompletionRecord? {
        try await database.withConnection { [logger = database.logger] connection in
            try await Self.records(connection.query("""
                SELECT \(unescaped: Self.columns) FROM record WHERE plan = \(plan) AND id = \(id)
                """, logger: logger)).first
        }
    }

    public func version(plan: String) async throws -> Int64 {
        try await database.withConnection { [logger = database.logger] connection in
            var version: Int64 = 0
            for try await v in try await connection.query("SELECT version FROM plan_version WHERE plan = \(plan)",
                                                          logger: logger).decode(Int64.self) {
                version = v
            }
            return version
        }
    }

    static func records(_ rows: PostgresRowSequence) async throws -> [CompletionRecord] {
        var out: [CompletionRecord] = []
        for try await (id, plan, action, occurrence, unit, doneOn, recordedBy, recordedAt, evidenceURL, note, reached,
                       participants, organisations, reason, withdraws)
            in rows.decode((Int64, String, String, String?, String, String?, String, Int, String?, String?, Int?, Int?,
                            [String], String?, Int64?).self) {
            out.append(CompletionRecord(
                id: id, plan: plan, action: CompletionRecord.Action(rawValue: action) ?? .done, occurrenceID: occurrence,
                unit: unit, doneOn: doneOn.flatMap(CivilDate.init(parsing:)), recordedBy: recordedBy,
                recordedAt: UTCDateTime(secondsSinceEpoch: recordedAt), evidenceURL: evidenceURL, note: note,
                reached: reached, participants: participants, organisations: organisations, reason: reason,
                withdraws: withdraws))
        }
        return out
    }
}

/// Unit tokens on PostgreSQL (only a digest of each secret).
public struct PostgresTokenRepository: TokenRepository {
    let database: PostgresDatabase

    /// Tokens on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    static let columns = """
        token.id, token.plan, token.unit, token.label, token.secret_hash,
        extract(epoch FROM token.created_at)::bigint, extract(epoch FROM token.revoked_at)::bigint
        """
    typealias Columns = (String, String, String, String, String, Int, Int?)

    static func token(_ c: Columns) -> UnitToken {
        UnitToken(id: c.0, plan: c.1, unit: c.2, label: c.3, createdAt: UTCDateTime(secondsSinceEpoch: c.5),
                  revokedAt: c.6.map(UTCDateTime.init(secondsSinceEpoch:)))
    }

    public func create(plan: String, unit: String, label: String, now: UTCDateTime) async throws -> (secret: String, token: UnitToken) {
        let fresh = TokenSecret.make()
        try await database.withConnection { [logger = database.logger] connection in
            try await connection.query("""
                INSERT INTO token (id, plan, unit, label, secret_hash, created_at)
                VALUES (\(fresh.id), \(plan), \(unit), \(label), \(fresh.hash), to_timestamp(\(now.secondsSinceEpoch)))
                """, logger: logger).drain()
        }
        return (fresh.text, UnitToken(id: fresh.id, plan: plan, unit: unit, label: label, createdAt: now))
    }

    public func list(plan: String) async throws -> [UnitToken] {
        try await database.withConnection { [logger = database.logger] connection in
            var out: [UnitToken] = []
            for try await c in try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM token WHERE plan = \(plan) ORDER BY created_at, id COLLATE "C"
                """, logger: logger).decode(Columns.self) {
                out.append(Self.token(c))
            }
            return out
        }
    }

    public func revoke(id: String, plan: String, now: UTCDateTime) async throws -> Bool {
        try await database.withConnection { [logger = database.logger] connection in
            var revoked = false
            for try await _ in try await connection.query("""
                UPDATE token SET revoked_at = to_timestamp(\(now.secondsSinceEpoch))
                WHERE id = \(id) AND plan = \(plan) AND revoked_at IS NULL RETURNING id
                """, logger: logger) {
                revoked = true
            }
            return revoked
        }
    }

    public func verify(_ presented: String, plan: String) async throws -> UnitToken? {
        guard let parsed = TokenSecret.parse(presented) else { return nil }
        let found = try await database.withConnection { [logger = database.logger] connection in
            var found: UnitToken?, hash = ""
            for try await c in try await connection.query("SELECT \(unescaped: Self.columns) FROM token WHERE id = \(parsed.id)",
                                                          logger: logger).decode(Columns.self) {
                found = Self.token(c)
                hash = c.4
            }
            return found.map { ($0, hash) }
        }
        guard let (token, hash) = found, token.plan == plan, token.revokedAt == nil,
              TokenSecret.matches(parsed.secret, hash: hash) else { return nil }
        return token
    }
}

/// Browser sessions on PostgreSQL: every instance sees every session.
public struct PostgresSessionRepository: SessionRepository {
    let database: PostgresDatabase

    /// Sessions on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    public func create(for token: UnitToken, now: UTCDateTime, lifetime: Int) async throws -> WebSession {
        let session = WebSession(id: TokenSecret.random(bytes: 32), token: token, csrf: TokenSecret.random(bytes: 16),
                                 expires: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch + lifetime))
        let keep = Self.maxPerToken - 1
        try await database.transaction { [logger = database.logger] connection in
            // One token's sign-ins one at a time, so none of them keeps more than the most.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('session'), hashtext(\(token.id)))",
                                       logger: logger).drain()
            try await connection.query("DELETE FROM session WHERE expires_at <= to_timestamp(\(now.secondsSinceEpoch))",
                                       logger: logger).drain()
            try await connection.query("""
                DELETE FROM session WHERE token_id = \(token.id) AND id_hash NOT IN
                  (SELECT id_hash FROM session WHERE token_id = \(token.id) ORDER BY expires_at DESC LIMIT \(keep))
                """, logger: logger).drain()
            try await connection.query("""
                INSERT INTO session (id_hash, token_id, csrf, expires_at)
                VALUES (\(TokenSecret.hash(session.id)), \(token.id), \(session.csrf),
                        to_timestamp(\(session.expires.secondsSinceEpoch)))
                """, logger: logger).drain()
        }
        return session
    }

    public func session(_ id: String, now: UTCDateTime) async throws -> WebSession? {
        guard id.count == 64, id.allSatisfy(\.isHexDigit) else { return nil }
        return try await database.withConnection { [logger = database.logger] connection in
            var found: WebSession?
            for try await (t0, t1, t2, t3, t4, t5, t6, csrf, expires) in try await connection.query("""
                SELECT \(unescaped: PostgresTokenRepository.columns), session.csrf, extract(epoch FROM session.expires_at)::bigint
                FROM session JOIN token ON token.id = session.token_id
                WHERE session.id_hash = \(TokenSecret.hash(id)) AND session.expires_at > to_timestamp(\(now.secondsSinceEpoch))
                  AND token.revoked_at IS NULL
                """, logger: logger).decode((String, String, String, String, String, Int, Int?, String, Int).self) {
                found = WebSession(id: id, token: PostgresTokenRepository.token((t0, t1, t2, t3, t4, t5, t6)), csrf: csrf,
                                   expires: UTCDateTime(secondsSinceEpoch: expires))
            }
            return found
        }
    }

    public func remove(_ id: String) async throws {
        try await database.withConnection { [logger = database.logger] connection in
            try await connection.query("DELETE FROM session WHERE id_hash = \(TokenSecret.hash(id))", logger: logger).drain()
        }
    }
}

/// The feed fetch log on PostgreSQL.
public struct PostgresFetchLogRepository: FetchLogRepository {
    let database: PostgresDatabase

    /// The log on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    public func record(_ fetches: [FeedFetch]) async throws {
        guard !fetches.isEmpty else { return }
        // Rows in one order in every process: two batches never wait on each other in a cycle.
        // PostgreSQL text cannot hold NUL, which a User-Agent header should not either.
        let sorted = fetches.map { f -> FeedFetch in
            var f = f
            f.userAgent = f.userAgent.replacingOccurrences(of: "\u{0}", with: "")
            return f
        }.sorted { ($0.plan, $0.feed, $0.userAgent) < ($1.plan, $1.feed, $1.userAgent) }
        try await database.transaction { [logger = database.logger] connection in
            for f in sorted {
                try await connection.query("""
                    INSERT INTO feed_fetch (plan, feed, user_agent, last_at, count)
                    VALUES (\(f.plan), \(f.feed), \(f.userAgent), to_timestamp(\(f.lastAt.secondsSinceEpoch)), \(f.count))
                    ON CONFLICT (plan, feed, user_agent) DO UPDATE
                    SET last_at = GREATEST(feed_fetch.last_at, excluded.last_at), count = feed_fetch.count + excluded.count
                    """, logger: logger).drain()
            }
        }
    }

    public func prune(plan: String, keep: Int) async throws {
        try await database.withConnection { [logger = database.logger] connection in
            try await connection.query("""
                DELETE FROM feed_fetch WHERE plan = \(plan) AND (feed, user_agent) NOT IN
                  (SELECT feed, user_agent FROM feed_fetch WHERE plan = \(plan)
                   ORDER BY last_at DESC, feed COLLATE "C", user_agent COLLATE "C" LIMIT \(max(keep, 0)))
                """, logger: logger).drain()
        }
    }

    public func entries(plan: String, limit: Int) async throws -> [FeedFetch] {
        try await database.withConnection { [logger = database.logger] connection in
            var out: [FeedFetch] = []
            for try await (feed, userAgent, lastAt, count) in try await connection.query("""
                SELECT feed, user_agent, extract(epoch FROM last_at)::bigint, count FROM feed_fetch WHERE plan = \(plan)
                ORDER BY last_at DESC, feed COLLATE "C", user_agent COLLATE "C" LIMIT \(max(limit, 0))
                """, logger: logger).decode((String, String, Int, Int).self) {
                out.append(FeedFetch(plan: plan, feed: feed, userAgent: userAgent,
                                     lastAt: UTCDateTime(secondsSinceEpoch: lastAt), count: count))
            }
            return out
        }
    }

    public func lastFetches() async throws -> [String: UTCDateTime] {
        try await database.withConnection { [logger = database.logger] connection in
            var out: [String: UTCDateTime] = [:]
            for try await (plan, last) in try await connection.query("""
                SELECT plan, extract(epoch FROM max(last_at))::bigint FROM feed_fetch GROUP BY plan
                """, logger: logger).decode((String, Int).self) {
                out[plan] = UTCDateTime(secondsSinceEpoch: last)
            }
            return out
        }
    }
}

/// Figure records on PostgreSQL, append-only (the database refuses edits and deletes).
public struct PostgresFigureRepository: FigureRepository {
    let database: PostgresDatabase

    /// Figures on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    /// Appends under a transaction-scoped advisory lock on (plan, target, year), taken before
    /// the check reads (the pattern of the completions' appends): another process appending
    /// figures of the same target and year waits for this transaction to end, then reads what
    /// it wrote. Ids of one (plan, target, year) therefore increase in commit order.
    public func append(_ record: FigureRecord,
                       check: @escaping @Sendable ([FigureRecord]) throws -> Void) async throws -> FigureRecord {
        try await database.transaction { [logger = database.logger] connection in
            try await connection.query("""
                SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('figure ' || \(record.target) || ' ' || \(record.year)))
                """, logger: logger).drain()
            try check(try await Self.records(plan: record.plan, connection.query("""
                SELECT \(unescaped: Self.columns) FROM figure
                WHERE plan = \(record.plan) AND target = \(record.target) AND year = \(record.year) ORDER BY id
                """, logger: logger)))
            for try await id in try await connection.query("""
                INSERT INTO figure (plan, target, year, unit, values_json, evidence_url, note, recorded_by, recorded_at)
                VALUES (\(record.plan), \(record.target), \(record.year), \(record.unit), \(record.valuesJSON),
                        \(record.evidenceURL), \(record.note), \(record.recordedBy), to_timestamp(\(record.recordedAt.secondsSinceEpoch)))
                RETURNING id
                """, logger: logger).decode(Int64.self) {
                var stored = record
                stored.id = id
                return stored
            }
            throw StorageError.unavailable("PostgreSQL: INSERT INTO figure returned no id")
        }
    }

    static let columns = """
        id, target, year, unit, values_json, evidence_url, note, recorded_by, extract(epoch FROM recorded_at)::bigint
        """

    static func records(plan: String, _ rows: PostgresRowSequence) async throws -> [FigureRecord] {
        var out: [FigureRecord] = []
        for try await (id, target, year, unit, values, evidence, note, by, at)
            in rows.decode((Int64, String, Int, String, String, String?, String?, String, Int).self) {
            out.append(FigureRecord(id: id, plan: plan, target: target, year: year, unit: unit,
                                    values: FigureRecord.values(fromJSON: values) ?? [:], evidenceURL: evidence,
                                    note: note, recordedBy: by, recordedAt: UTCDateTime(secondsSinceEpoch: at)))
        }
        return out
    }

    public func figures(plan: String) async throws -> [FigureRecord] {
        try await database.withConnection { [logger = database.logger] connection in
            try await Self.records(plan: plan, connection.query("""
                SELECT \(unescaped: Self.columns) FROM figure WHERE plan = \(plan) ORDER BY id
                """, logger: logger))
        }
    }
}

/// Baseline records in PostgreSQL, append-only (triggers refuse updates, deletes and truncation).
public struct PostgresBaselineRepository: BaselineRepository {
    let database: PostgresDatabase

    /// Baselines on an opened database.
    public init(_ database: PostgresDatabase) { self.database = database }

    public func append(_ record: BaselineRecord) async throws -> BaselineRecord {
        try await database.withConnection { [logger = database.logger] connection in
            for try await id in try await connection.query("""
                INSERT INTO baseline (plan, target, indicator, year, value, evidence_url, note, recorded_by, recorded_at)
                VALUES (\(record.plan), \(record.target), \(record.indicator), \(record.year), \(record.value),
                        \(record.evidenceURL), \(record.note), \(record.recordedBy), to_timestamp(\(record.recordedAt.secondsSinceEpoch)))
                RETURNING id
                """, logger: logger).decode(Int64.self) {
                var stored = record
                stored.id = id
                return stored
            }
            throw StorageError.unavailable("PostgreSQL: INSERT INTO baseline returned no id")
        }
    }

    public func baselines(plan: String) async throws -> [BaselineRecord] {
        try await database.withConnection { [logger = database.logger] connection in
            var out: [BaselineRecord] = []
            for try await (id, target, indicator, year, value, evidence, note, by, at) in try await connection.query("""
                SELECT id, target, indicator, year, value, evidence_url, note, recorded_by, extract(epoch FROM recorded_at)::bigint
                FROM baseline WHERE plan = \(plan) ORDER BY id
                """, logger: logger).decode((Int64, String, String, Int, Double, String?, String?, String, Int).self) {
                out.append(BaselineRecord(id: id, plan: plan, target: target, indicator: indicator, year: year, value: value,
                                          evidenceURL: evidence, note: note, recordedBy: by,
                                          recordedAt: UTCDateTime(secondsSinceEpoch: at)))
            }
            return out
        }
    }
}
