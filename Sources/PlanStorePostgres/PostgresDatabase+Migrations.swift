import Logging
import PostgresNIO

extension PostgresDatabase {
    /// One step of the schema: its id (kept in `schema_migrations`) and its statements, run in
    /// one transaction (one statement each: the extended protocol takes no batches).
    struct Migration {
        var id: String
        var statements: [String]
    }

    /// Ordered migrations; never edit one once released, add a new one.
    static let migrations: [Migration] = [
        Migration(id: "v1-records", statements: [
            """
            CREATE TABLE record (
              id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              plan TEXT NOT NULL,
              action TEXT NOT NULL CHECK (action IN ('done', 'undo', 'news', 'meeting', 'training')),
              occurrence_id TEXT,
              unit TEXT NOT NULL,
              done_on DATE,
              recorded_by TEXT NOT NULL,
              recorded_at TIMESTAMPTZ NOT NULL,
              evidence_url TEXT,
              note TEXT,
              reached BIGINT,
              participants BIGINT,
              organisations TEXT[] NOT NULL DEFAULT '{}',
              reason TEXT,
              withdraws BIGINT
            )
            """,
            "CREATE INDEX record_plan_id ON record (plan, id)",
            // The append's check reads an occurrence's records, or one unit's ad hoc ones.
            "CREATE INDEX record_plan_occurrence ON record (plan, occurrence_id) WHERE occurrence_id IS NOT NULL",
            "CREATE INDEX record_plan_unit_day ON record (plan, unit, done_on) WHERE occurrence_id IS NULL",
            // History is append-only: the database itself refuses edits, deletes and truncation.
            """
            CREATE FUNCTION record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'completion history is append-only';
            END $$
            """,
            """
            CREATE TRIGGER record_no_update_delete BEFORE UPDATE OR DELETE ON record
            FOR EACH ROW EXECUTE FUNCTION record_append_only()
            """,
            """
            CREATE TRIGGER record_no_truncate BEFORE TRUNCATE ON record
            FOR EACH STATEMENT EXECUTE FUNCTION record_append_only()
            """,
        ]),
        // A plan's version is a key lookup: a trigger counts every insert under the row's lock
        // (a counter, not the new id: ids of concurrent transactions commit out of order). The
        // same trigger tells listening instances which plan changed; PostgreSQL delivers the
        // notification only if the insert commits.
        Migration(id: "v2-plan-version", statements: [
            "CREATE TABLE plan_version (plan TEXT PRIMARY KEY, version BIGINT NOT NULL)",
            "INSERT INTO plan_version (plan, version) SELECT plan, count(*) FROM record GROUP BY plan",
            """
            CREATE FUNCTION record_added() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO plan_version (plan, version) VALUES (NEW.plan, 1)
              ON CONFLICT (plan) DO UPDATE SET version = plan_version.version + 1;
              PERFORM pg_notify('\(PostgresDatabase.channel)', NEW.plan);
              RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER record_version AFTER INSERT ON record FOR EACH ROW EXECUTE FUNCTION record_added()",
        ]),
        Migration(id: "v3-tokens", statements: [
            """
            CREATE TABLE token (
              id TEXT PRIMARY KEY,
              plan TEXT NOT NULL,
              unit TEXT NOT NULL,
              label TEXT NOT NULL,
              secret_hash TEXT NOT NULL UNIQUE,
              created_at TIMESTAMPTZ NOT NULL,
              revoked_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX token_plan ON token (plan, created_at)",
        ]),
        // Browser sessions, so any instance serves any signed-in request. Only a digest of the
        // cookie is kept.
        Migration(id: "v4-sessions", statements: [
            """
            CREATE TABLE session (
              id_hash TEXT PRIMARY KEY,
              token_id TEXT NOT NULL,
              csrf TEXT NOT NULL,
              expires_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX session_token ON session (token_id)",
            "CREATE INDEX session_expires ON session (expires_at)",
        ]),
        Migration(id: "v5-feed-fetches", statements: [
            """
            CREATE TABLE feed_fetch (
              plan TEXT NOT NULL,
              feed TEXT NOT NULL,
              user_agent TEXT NOT NULL,
              last_at TIMESTAMPTZ NOT NULL,
              count BIGINT NOT NULL,
              PRIMARY KEY (plan, feed, user_agent)
            )
            """,
            // The dashboard's latest fetches and the prune both order a plan's rows by time.
            "CREATE INDEX feed_fetch_plan_last_at ON feed_fetch (plan, last_at)",
        ]),
        // Obstacles a unit raises ("vướng mắc") and waivers by the lead unit ("không áp dụng").
        Migration(id: "v6-obstacle-waive", statements: [
            "ALTER TABLE record DROP CONSTRAINT record_action_check",
            """
            ALTER TABLE record ADD CONSTRAINT record_action_check
              CHECK (action IN ('done', 'undo', 'news', 'meeting', 'training', 'obstacle', 'waive'))
            """,
        ]),
        // Yearly figures the supplying units record for the targets (issue 7); append-only.
        Migration(id: "v7-figures", statements: [
            """
            CREATE TABLE figure (
              id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              plan TEXT NOT NULL,
              target TEXT NOT NULL,
              year INTEGER NOT NULL,
              unit TEXT NOT NULL,
              values_json TEXT NOT NULL,
              evidence_url TEXT,
              note TEXT,
              recorded_by TEXT NOT NULL,
              recorded_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX figure_plan_id ON figure (plan, id)",
            "CREATE TRIGGER figure_no_update_delete BEFORE UPDATE OR DELETE ON figure FOR EACH ROW EXECUTE FUNCTION record_append_only()",
            "CREATE TRIGGER figure_no_truncate BEFORE TRUNCATE ON figure FOR EACH STATEMENT EXECUTE FUNCTION record_append_only()",
        ]),
        // Indicators' baselines the lead unit records (issue 17); append-only, the latest by id wins.
        Migration(id: "v8-baselines", statements: [
            """
            CREATE TABLE baseline (
              id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              plan TEXT NOT NULL,
              target TEXT NOT NULL,
              indicator TEXT NOT NULL,
              year INTEGER NOT NULL,
              value DOUBLE PRECISION NOT NULL,
              evidence_url TEXT,
              note TEXT,
              recorded_by TEXT NOT NULL,
              recorded_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX baseline_plan_id ON baseline (plan, id)",
            "CREATE TRIGGER baseline_no_update_delete BEFORE UPDATE OR DELETE ON baseline FOR EACH ROW EXECUTE FUNCTION record_append_only()",
            "CREATE TRIGGER baseline_no_truncate BEFORE TRUNCATE ON baseline FOR EACH STATEMENT EXECUTE FUNCTION record_append_only()",
        ]),
        // The lead unit resolves an obstacle ("đã giải quyết", issue 17).
        Migration(id: "v9-obstacle-resolve", statements: [
            "ALTER TABLE record DROP CONSTRAINT record_action_check",
            """
            ALTER TABLE record ADD CONSTRAINT record_action_check
              CHECK (action IN ('done', 'undo', 'news', 'meeting', 'training', 'obstacle', 'waive', 'resolve'))
            """,
        ]),
        // The app a record came from (a task app over CalDAV, by its User-Agent; issue 18).
        Migration(id: "v10-record-client", statements: ["ALTER TABLE record ADD COLUMN client TEXT"]),
    ]

    /// Applies the migrations not yet applied, each in its own transaction. Several processes
    /// may start at once: each migration's transaction first takes one advisory lock, so they
    /// run one at a time, and a process that waited finds the step done.
    func migrate() async throws {
        // Up to date: no lock and no write (so a read-only replica opens too).
        if try await appliedMigrations() == Self.migrations.map(\.id) { return }
        while try await transaction({ [logger] connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('plancal schema_migrations'))",
                                       logger: logger).drain()
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())
                """, logger: logger).drain()
            var applied: Set<String> = []
            for try await id in try await connection.query("SELECT id FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(id)
            }
            guard let next = Self.migrations.first(where: { !applied.contains($0.id) }) else { return false }
            logger.info("plancal: applying PostgreSQL migration", metadata: ["migration": "\(next.id)"])
            for statement in next.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).drain()
            }
            try await connection.query("INSERT INTO schema_migrations (id) VALUES (\(next.id))", logger: logger).drain()
            return true
        }) {}
    }

    /// The ids of the applied migrations, in the order they were applied; empty for a new database.
    func appliedMigrations() async throws -> [String] {
        try await withConnection { [logger] connection in
            var exists = false
            for try await found in try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL",
                                                              logger: logger).decode(Bool.self) {
                exists = found
            }
            guard exists else { return [] }
            var ids: [String] = []
            for try await id in try await connection.query("SELECT id FROM schema_migrations ORDER BY applied_at, id",
                                                           logger: logger).decode(String.self) {
                ids.append(id)
            }
            return ids
        }
    }
}
