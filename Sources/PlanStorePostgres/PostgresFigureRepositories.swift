import ICal
import Logging
public import PlanCore
import PlanStore
import PostgresNIO

// Times and text order as in PostgresRepositories.swift.

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
                SELECT pg_advisory_xact_lock(hashtext(\(record.plan)), hashtext('figure ' || \(record.target.rawValue) || ' ' || \(record.year)))
                """, logger: logger).drain()
            try check(try await Self.records(plan: record.plan, connection.query("""
                SELECT \(unescaped: Self.columns) FROM figure
                WHERE plan = \(record.plan) AND target = \(record.target.rawValue) AND year = \(record.year) ORDER BY id
                """, logger: logger)))
            for try await id in try await connection.query("""
                INSERT INTO figure (plan, target, year, unit, values_json, evidence_url, note, recorded_by, recorded_at)
                VALUES (\(record.plan), \(record.target.rawValue), \(record.year), \(record.unit.rawValue), \(record.valuesJSON),
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
            out.append(FigureRecord(id: id, plan: plan, target: try TargetID(stored: target, column: "figure.target"), year: year, unit: try UnitID(stored: unit, column: "figure.unit"),
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
                VALUES (\(record.plan), \(record.target.rawValue), \(record.indicator), \(record.year), \(record.value),
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
                out.append(BaselineRecord(id: id, plan: plan, target: try TargetID(stored: target, column: "baseline.target"), indicator: indicator, year: year, value: value,
                                          evidenceURL: evidence, note: note, recordedBy: by,
                                          recordedAt: UTCDateTime(secondsSinceEpoch: at)))
            }
            return out
        }
    }
}
