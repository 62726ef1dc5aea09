import GRDB

extension AppDatabase {
    /// Ordered migrations; never edit one once released, add a new one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-records") { db in
            try db.create(table: "record") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("plan", .text).notNull()
                t.column("action", .text).notNull()
                    .check(sql: "action IN ('done','undo','news','meeting','training')")
                t.column("occurrenceID", .text)
                t.column("unit", .text).notNull()
                t.column("doneOn", .text)
                t.column("recordedBy", .text).notNull()
                t.column("recordedAt", .integer).notNull()
                t.column("evidenceURL", .text)
                t.column("note", .text)
                t.column("reached", .integer)
                t.column("participants", .integer)
                t.column("organisations", .text).notNull().defaults(to: "")
                t.column("reason", .text)
            }
            try db.create(index: "record_plan_occurrence", on: "record", columns: ["plan", "occurrenceID"])
            // History is append-only: the database itself refuses edits and deletes.
            try db.execute(sql: """
                CREATE TRIGGER record_no_update BEFORE UPDATE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                CREATE TRIGGER record_no_delete BEFORE DELETE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                """)
        }
        m.registerMigration("v2-tokens") { db in
            try db.create(table: "token") { t in
                t.primaryKey("id", .text)
                t.column("plan", .text).notNull()
                t.column("unit", .text).notNull()
                t.column("label", .text).notNull()
                t.column("secretHash", .text).notNull().unique()
                t.column("createdAt", .integer).notNull()
                t.column("revokedAt", .integer)
            }
        }
        m.registerMigration("v3-feed-fetches") { db in
            try db.create(table: "feedFetch") { t in
                t.column("plan", .text).notNull()
                t.column("feed", .text).notNull()
                t.column("userAgent", .text).notNull()
                t.column("lastAt", .integer).notNull()
                t.column("count", .integer).notNull()
                t.primaryKey(["plan", "feed", "userAgent"])
            }
        }
        // An undo of an ad hoc record names the record it withdraws.
        m.registerMigration("v4-withdraws") { db in
            try db.alter(table: "record") { t in t.add(column: "withdraws", .integer) }
            // The check of an ad hoc append reads one unit's records of one day (and its undos).
            try db.create(index: "record_plan_occurrence_unit_day", on: "record",
                          columns: ["plan", "occurrenceID", "unit", "doneOn"])
        }
        // The dashboard's latest fetches and the prune both order a plan's rows by time.
        m.registerMigration("v5-fetch-time-index") { db in
            try db.create(index: "feedFetch_plan_lastAt", on: "feedFetch", columns: ["plan", "lastAt"])
        }
        // A plan's version is a key lookup, not a scan of its records: a trigger counts every
        // insert (the server asks for it on every feed request).
        m.registerMigration("v6-plan-version") { db in
            try db.create(table: "planVersion") { t in
                t.primaryKey("plan", .text)
                t.column("version", .integer).notNull()
            }
            try db.execute(sql: """
                INSERT INTO planVersion (plan, version) SELECT plan, MAX(id) FROM record GROUP BY plan;
                CREATE TRIGGER record_version AFTER INSERT ON record BEGIN
                  INSERT INTO planVersion (plan, version) VALUES (NEW.plan, NEW.id)
                  ON CONFLICT(plan) DO UPDATE SET version = NEW.id;
                END;
                """)
        }
        // Browser sessions in the database, so any process serves any signed-in request.
        // Only a digest of the cookie is kept.
        m.registerMigration("v7-sessions") { db in
            try db.create(table: "session") { t in
                t.primaryKey("idHash", .text)
                t.column("tokenID", .text).notNull().indexed()
                t.column("csrf", .text).notNull()
                t.column("expiresAt", .integer).notNull().indexed()
            }
        }
        // Two new actions: an obstacle a unit raises and the lead unit's waiver ("không áp dụng").
        // SQLite cannot change a CHECK constraint: the table is rebuilt with the same rows, ids
        // and AUTOINCREMENT sequence, its indexes and its append-only and version triggers.
        m.registerMigration("v8-obstacle-waive") { db in
            try db.execute(sql: """
                CREATE TABLE record_v8 (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  plan TEXT NOT NULL,
                  action TEXT NOT NULL CHECK (action IN ('done','undo','news','meeting','training','obstacle','waive')),
                  occurrenceID TEXT,
                  unit TEXT NOT NULL,
                  doneOn TEXT,
                  recordedBy TEXT NOT NULL,
                  recordedAt INTEGER NOT NULL,
                  evidenceURL TEXT,
                  note TEXT,
                  reached INTEGER,
                  participants INTEGER,
                  organisations TEXT NOT NULL DEFAULT '',
                  reason TEXT,
                  withdraws INTEGER);
                INSERT INTO record_v8 (id, plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, evidenceURL, note,
                                       reached, participants, organisations, reason, withdraws)
                  SELECT id, plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, evidenceURL, note,
                         reached, participants, organisations, reason, withdraws FROM record ORDER BY id;
                DROP TABLE record;
                ALTER TABLE record_v8 RENAME TO record;
                CREATE INDEX record_plan_occurrence ON record (plan, occurrenceID);
                CREATE INDEX record_plan_occurrence_unit_day ON record (plan, occurrenceID, unit, doneOn);
                CREATE TRIGGER record_no_update BEFORE UPDATE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                CREATE TRIGGER record_no_delete BEFORE DELETE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                CREATE TRIGGER record_version AFTER INSERT ON record BEGIN
                  INSERT INTO planVersion (plan, version) VALUES (NEW.plan, NEW.id)
                  ON CONFLICT(plan) DO UPDATE SET version = NEW.id;
                END;
                """)
        }
        // Yearly figures the supplying units record for the targets (issue 7); append-only.
        m.registerMigration("v9-figures") { db in
            try db.create(table: "figure") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("plan", .text).notNull()
                t.column("target", .text).notNull()
                t.column("year", .integer).notNull()
                t.column("unit", .text).notNull()
                t.column("valuesJSON", .text).notNull()
                t.column("evidenceURL", .text)
                t.column("note", .text)
                t.column("recordedBy", .text).notNull()
                t.column("recordedAt", .integer).notNull()
            }
            try db.create(index: "figure_plan_id", on: "figure", columns: ["plan", "id"])
            try db.execute(sql: """
                CREATE TRIGGER figure_no_update BEFORE UPDATE ON figure BEGIN SELECT RAISE(ABORT, 'figures are append-only'); END;
                CREATE TRIGGER figure_no_delete BEFORE DELETE ON figure BEGIN SELECT RAISE(ABORT, 'figures are append-only'); END;
                """)
        }
        // The server folds only the records after the last one it saw (records(plan:after:)).
        m.registerMigration("v10-record-plan-id") { db in
            try db.create(index: "record_plan_id", on: "record", columns: ["plan", "id"])
        }
        // Each unit's latest record of each occurrence, kept by a trigger: what an append's
        // check reads (a few rows by key) instead of scanning the occurrence's whole history.
        // Two lanes, so neither hides the other: a unit's completions (done, undo) and the
        // lead's waiver (waive, and the undo that withdraws it by id).
        m.registerMigration("v11-record-latest") { db in
            try db.execute(sql: """
                CREATE TABLE recordLatest (
                  plan TEXT NOT NULL, occurrenceID TEXT NOT NULL, unit TEXT NOT NULL, lane INTEGER NOT NULL,
                  id INTEGER NOT NULL,
                  PRIMARY KEY (plan, occurrenceID, unit, lane)) WITHOUT ROWID;
                INSERT INTO recordLatest (plan, occurrenceID, unit, lane, id)
                  SELECT plan, occurrenceID, unit,
                         CASE WHEN action = 'waive' OR withdraws IS NOT NULL THEN 1 ELSE 0 END AS lane, MAX(id)
                  FROM record WHERE occurrenceID IS NOT NULL
                  GROUP BY plan, occurrenceID, unit, lane;
                CREATE TRIGGER record_latest AFTER INSERT ON record WHEN NEW.occurrenceID IS NOT NULL BEGIN
                  INSERT INTO recordLatest (plan, occurrenceID, unit, lane, id)
                  VALUES (NEW.plan, NEW.occurrenceID, NEW.unit,
                          CASE WHEN NEW.action = 'waive' OR NEW.withdraws IS NOT NULL THEN 1 ELSE 0 END, NEW.id)
                  ON CONFLICT(plan, occurrenceID, unit, lane) DO UPDATE SET id = NEW.id;
                END;
                """)
        }
        // Indicators' baselines the lead unit records (issue 17); append-only, the latest by id wins.
        m.registerMigration("v12-baselines") { db in
            try db.create(table: "baseline") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("plan", .text).notNull()
                t.column("target", .text).notNull()
                t.column("indicator", .text).notNull()
                t.column("year", .integer).notNull()
                t.column("value", .double).notNull()
                t.column("evidenceURL", .text)
                t.column("note", .text)
                t.column("recordedBy", .text).notNull()
                t.column("recordedAt", .integer).notNull()
            }
            try db.create(index: "baseline_plan_id", on: "baseline", columns: ["plan", "id"])
            try db.execute(sql: """
                CREATE TRIGGER baseline_no_update BEFORE UPDATE ON baseline BEGIN SELECT RAISE(ABORT, 'baselines are append-only'); END;
                CREATE TRIGGER baseline_no_delete BEFORE DELETE ON baseline BEGIN SELECT RAISE(ABORT, 'baselines are append-only'); END;
                """)
        }
        // One more action: the lead unit resolves an obstacle ("đã giải quyết", issue 17). The
        // table is rebuilt as in v8 (SQLite cannot change a CHECK), with every index and trigger
        // the later migrations added (the plan/id index, the latest-record trigger).
        m.registerMigration("v13-obstacle-resolve") { db in
            try db.execute(sql: """
                CREATE TABLE record_v13 (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  plan TEXT NOT NULL,
                  action TEXT NOT NULL CHECK (action IN ('done','undo','news','meeting','training','obstacle','waive','resolve')),
                  occurrenceID TEXT,
                  unit TEXT NOT NULL,
                  doneOn TEXT,
                  recordedBy TEXT NOT NULL,
                  recordedAt INTEGER NOT NULL,
                  evidenceURL TEXT,
                  note TEXT,
                  reached INTEGER,
                  participants INTEGER,
                  organisations TEXT NOT NULL DEFAULT '',
                  reason TEXT,
                  withdraws INTEGER);
                INSERT INTO record_v13 (id, plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, evidenceURL, note,
                                        reached, participants, organisations, reason, withdraws)
                  SELECT id, plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, evidenceURL, note,
                         reached, participants, organisations, reason, withdraws FROM record ORDER BY id;
                DROP TABLE record;
                ALTER TABLE record_v13 RENAME TO record;
                CREATE INDEX record_plan_occurrence ON record (plan, occurrenceID);
                CREATE INDEX record_plan_occurrence_unit_day ON record (plan, occurrenceID, unit, doneOn);
                CREATE INDEX record_plan_id ON record (plan, id);
                CREATE TRIGGER record_no_update BEFORE UPDATE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                CREATE TRIGGER record_no_delete BEFORE DELETE ON record
                BEGIN SELECT RAISE(ABORT, 'completion history is append-only'); END;
                CREATE TRIGGER record_version AFTER INSERT ON record BEGIN
                  INSERT INTO planVersion (plan, version) VALUES (NEW.plan, NEW.id)
                  ON CONFLICT(plan) DO UPDATE SET version = NEW.id;
                END;
                CREATE TRIGGER record_latest AFTER INSERT ON record WHEN NEW.occurrenceID IS NOT NULL BEGIN
                  INSERT INTO recordLatest (plan, occurrenceID, unit, lane, id)
                  VALUES (NEW.plan, NEW.occurrenceID, NEW.unit,
                          CASE WHEN NEW.action = 'waive' OR NEW.withdraws IS NOT NULL THEN 1 ELSE 0 END, NEW.id)
                  ON CONFLICT(plan, occurrenceID, unit, lane) DO UPDATE SET id = NEW.id;
                END;
                """)
        }
        // The app a record came from (a task app over CalDAV, by its User-Agent; issue 18).
        m.registerMigration("v14-record-client") { db in
            try db.execute(sql: "ALTER TABLE record ADD COLUMN client TEXT")
        }
        return m
    }
}
