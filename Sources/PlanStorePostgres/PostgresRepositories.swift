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
        extract(epoch FROM recorded_at)::bigint, evidence_url, note, reached, participants, organisations, reason, withdraws,
        client
        """

    /// Appends under a transaction-scoped advisory lock on what the check reads, taken before
    /// reading: the plan and occurrence, or for an ad hoc record the plan and unit (its check
    /// reads the unit's records of one day and its undos of any day). Another process
    /// appending the same waits for this transaction to end, then reads what it wrote.
    public func append(_ record: CompletionRecord,
                       check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome {
        try await database.transaction { [logger = database.logger] connection in
            let existing: PostgresRowSequence
            if let occurrence = record.occurrenceID?.rawValue {
                try await connection.query("""
                    SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('occurrence ' || \(occurrence)))
                    """, logger: logger).drain()
                existing = try await connection.query("""
                    SELECT \(unescaped: Self.columns) FROM record
                    WHERE plan = \(record.plan) AND occurrence_id = \(occurrence) ORDER BY id
                    """, logger: logger)
            } else {
                try await connection.query("""
                    SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('unit ' || \(record.unit.rawValue)))
                    """, logger: logger).drain()
                existing = try await connection.query("""
                    SELECT \(unescaped: Self.columns) FROM record
                    WHERE plan = \(record.plan) AND occurrence_id IS NULL AND unit = \(record.unit.rawValue)
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
            let r = record, c = record.columns
            var id: Int64?
            for try await inserted in try await connection.query("""
                INSERT INTO record (plan, action, occurrence_id, unit, done_on, recorded_by, recorded_at, evidence_url,
                                    note, reached, participants, organisations, reason, withdraws, client)
                VALUES (\(r.plan), \(c.action), \(c.occurrenceID), \(r.unit.rawValue), \(c.doneOn)::date,
                        \(r.recordedBy), to_timestamp(\(r.recordedAt.secondsSinceEpoch)), \(c.evidenceURL), \(c.note),
                        \(c.reached), \(c.participants), \(c.organisations), \(c.reason), \(c.withdraws), \(r.client))
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
                       participants, organisations, reason, withdraws, client)
            in rows.decode((Int64, String, String, String?, String, String?, String, Int, String?, String?, Int?, Int?,
                            [String], String?, Int64?, String?).self) {
            out.append(try CompletionRecord(
                id: id, plan: plan, unit: unit, recordedBy: recordedBy, recordedAt: UTCDateTime(secondsSinceEpoch: recordedAt),
                columns: .init(action: action, occurrenceID: occurrence, doneOn: doneOn, evidenceURL: evidenceURL, note: note,
                               reached: reached, participants: participants, organisations: organisations, reason: reason,
                               withdraws: withdraws),
                client: client))
        }
        return out
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
