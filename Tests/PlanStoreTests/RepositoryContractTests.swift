import Foundation
import ICal
import PlanCore
import PlanStore
import Testing

/// What every implementation of the repositories must do, checked on each of them: memory,
/// SQLite (in memory and on disk) and PostgreSQL (when `PLANCAL_TEST_POSTGRES_URL` is set).
@Suite("Repository contract")
struct RepositoryContractTests {
    @Test("PostgreSQL is among the engines under contract", .enabled(if: postgresConfigured, postgresSkipReason))
    func postgresIncluded() {
        #expect(StorageEngine.available == StorageEngine.allCases)
    }

    // MARK: Baselines

    @Test("baseline records are stored append-only, every field read back in record order, the latest by id, not by time",
          arguments: StorageEngine.available)
    func baselines(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let at = UTCDateTime(secondsSinceEpoch: 1_796_000_000)
            let first = BaselineRecord(plan: "bach-dang", target: "G2.T3", indicator: "women-directors", year: 2025,
                                       value: 18.5, evidenceURL: "https://example.org/so-lieu", note: nil,
                                       recordedBy: "Nguyễn Thị B", recordedAt: at)
            let stored = try await repos.baselines.append(first)
            let id = try #require(stored.id)
            var expected = first
            expected.id = id
            #expect(stored == expected)
            // A correction stamped a minute earlier (a clock gone back): still the latest, by record order.
            var fix = first
            fix.value = 20
            fix.year = 2026
            fix.evidenceURL = nil
            fix.note = "Sửa theo thống kê của phường"
            fix.recordedAt = UTCDateTime(secondsSinceEpoch: at.secondsSinceEpoch - 60)
            let corrected = try await repos.baselines.append(fix)
            #expect(try #require(corrected.id) > id)
            _ = try await repos.baselines.append(BaselineRecord(plan: "other", target: "G1.T1", indicator: "woman-leader",
                                                                year: 2025, value: 10, note: "x", recordedBy: "C", recordedAt: at))
            let read = try await another().baselines.baselines(plan: "bach-dang")
            #expect(read == [expected, corrected])
            #expect(BaselineRecord.latest(read)["G2.T3|women-directors"]?.value == 20)
            #expect(try await repos.baselines.baselines(plan: "other").map(\.value) == [10])
            #expect(try await repos.baselines.baselines(plan: "nowhere").isEmpty)
        }
    }

    // MARK: Figures

    @Test("figure records are stored append-only, every field read back, a correction kept as a new record",
          arguments: StorageEngine.available)
    func figures(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let at = UTCDateTime(secondsSinceEpoch: 1_796_000_000)
            let first = FigureRecord(plan: "bach-dang", target: "G3.T2", year: 2026, unit: "cong-an",
                                     values: ["victims-detected": 12, "perpetrators-detected": 4],
                                     evidenceURL: "https://example.org/bao-cao", note: nil, recordedBy: "Trần Văn A",
                                     recordedAt: at)
            let stored = try await repos.figures.append(first)
            let id = try #require(stored.id)
            var expected = first
            expected.id = id
            #expect(stored == expected)
            var fix = first
            fix.values = ["victims-detected": 13]
            fix.evidenceURL = nil
            fix.note = "Sửa số liệu theo báo cáo chính thức"
            fix.recordedAt = UTCDateTime(secondsSinceEpoch: at.secondsSinceEpoch + 60)
            let corrected = try await repos.figures.append(fix)
            #expect(try #require(corrected.id) > id)
            _ = try await repos.figures.append(FigureRecord(plan: "other", target: "G2.T3", year: 2026, unit: "kthtdt",
                                                            values: ["directors": 2.5], note: "x", recordedBy: "B",
                                                            recordedAt: at))
            let read = try await another().figures.figures(plan: "bach-dang")
            #expect(read == [expected, corrected])
            #expect(FigureLedger(read).value("G3.T2", year: 2026, figure: "victims-detected") == 13)
            #expect(FigureLedger(read).value("G3.T2", year: 2026, figure: "perpetrators-detected") == 4)
            #expect(try await repos.figures.figures(plan: "other").first?.values == ["directors": 2.5])
        }
    }

    @Test("a figure check sees the records of its plan, target and year only, by record order; a throwing check writes nothing",
          arguments: StorageEngine.available)
    func figureCheckSees(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let store = repos.figures
            func figure(_ target: TargetID, _ year: Int, _ values: [String: Double], plan: String = "bach-dang",
                        at seconds: Int = 1_796_000_000) -> FigureRecord {
                FigureRecord(plan: plan, target: target, year: year, unit: "cong-an", values: values, note: "x",
                             recordedBy: "A", recordedAt: UTCDateTime(secondsSinceEpoch: seconds))
            }
            // The second record is stamped a second earlier (a clock set back): record order still wins.
            let a = try await store.append(figure("G3.T2", 2026, ["victims-detected": 3]))
            let b = try await store.append(figure("G3.T2", 2026, ["victims-detected": 1], at: 1_795_999_999))
            _ = try await store.append(figure("G3.T2", 2027, ["victims-detected": 9]))
            _ = try await store.append(figure("G2.T3", 2026, ["directors": 9]))
            _ = try await store.append(figure("G3.T2", 2026, ["victims-detected": 9], plan: "other"))
            let seen = SeenFigures()
            _ = try await another().figures.append(figure("G3.T2", 2026, ["victims-detected": 2])) { existing in
                seen.set(existing)
            }
            #expect(seen.value == [a, b])
            #expect(FigureLedger(seen.value).value("G3.T2", year: 2026, figure: "victims-detected") == 1)
            await #expect(throws: Refused(why: "không")) {
                try await store.append(figure("G3.T2", 2026, ["victims-detected": 7])) { _ in throw Refused(why: "không") }
            }
            let stored = try await store.figures(plan: "bach-dang")
            #expect(stored.count == 5)
            #expect(FigureLedger(stored).value("G3.T2", year: 2026, figure: "victims-detected") == 2)
        }
    }

    /// Two units supply the parts of one share (G3.T3-like: the lead the numerator, the police
    /// the denominator) at the same moment, each valid alone, together not: the engine's lock
    /// lets exactly one through, in every round, and the stored share never exceeds 100%.
    @Test("concurrent writers of a share's two parts from two units: one stored, never numerator above denominator (100 rounds)",
          arguments: StorageEngine.available)
    func figureShareRace(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let handles = [repos.figures, try await another().figures]
            for round in 0..<100 {
                let year = 2000 + round
                let numerator = FigureRecord(plan: "bach-dang", target: "G3.T2", year: year, unit: "vhxh",
                                             values: ["victims-supported": 10], note: "x", recordedBy: "Lead", recordedAt: at(1))
                let denominator = FigureRecord(plan: "bach-dang", target: "G3.T2", year: year, unit: "cong-an",
                                               values: ["victims-detected": 5], note: "x", recordedBy: "Police", recordedAt: at(1))
                let results = await withTaskGroup(of: Bool.self) { group in
                    for (i, r) in [numerator, denominator].enumerated() {
                        let store = handles[(i + round) % 2]
                        group.addTask {
                            do {
                                _ = try await store.append(r, check: shareCheck(r))
                                return true
                            } catch { return false }
                        }
                    }
                    var out: [Bool] = []
                    for await ok in group { out.append(ok) }
                    return out
                }
                #expect(results.filter { $0 }.count == 1, "round \(round): \(results)")
            }
            let ledger = FigureLedger(try await repos.figures.figures(plan: "bach-dang"))
            for round in 0..<100 {
                if let n = ledger.value("G3.T2", year: 2000 + round, figure: "victims-supported"),
                   let d = ledger.value("G3.T2", year: 2000 + round, figure: "victims-detected") {
                    #expect(n <= d, "round \(round): \(n)/\(d) stored")
                }
            }
        }
    }

    // MARK: Completions

    @Test("append stores every field and assigns an id; a declining check writes nothing", arguments: StorageEngine.available)
    func appendAndDecline(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            let first = try await store.append(record(2, occurrence: "q4-news/2026-Q4", action: .done), check: appendOnce)
            guard case let .recorded(stored) = first else { Issue.record("not recorded: \(first)"); return }
            let id = try #require(stored.id)
            var expected = record(2, occurrence: "q4-news/2026-Q4", action: .done)
            expected.id = id
            #expect(stored == expected)
            #expect(try await store.records(plan: "bach-dang") == [expected])

            let again = try await store.append(record(3, occurrence: "q4-news/2026-Q4", action: .done), check: appendOnce)
            #expect(again == .alreadyRecorded(expected))
            #expect(again.record == expected)
            #expect(try await store.records(plan: "bach-dang").count == 1)
        }
    }

    @Test("every kind of record is stored and read back as it was", arguments: StorageEngine.available)
    func everyKind(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            var written: [CompletionRecord] = []
            for (n, action) in CompletionRecord.Action.allCases.enumerated() {
                let occurrence: OccurrenceID? = [.done, .undo, .waive].contains(action) ? OccurrenceID(wellFormed: "kind/2026/\(action.rawValue)") : nil
                let outcome = try await repos.completions.append(record(n, occurrence: occurrence, action: action),
                                                                  check: { _ in .append })
                written.append(outcome.record)
            }
            #expect(try await repos.completions.records(plan: "bach-dang") == written)
        }
    }

    @Test("a check that throws writes nothing and its error comes back as it was", arguments: StorageEngine.available)
    func checkThrows(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            await #expect(throws: Refused(why: "đã khoá")) {
                try await store.append(record(1)) { _ in throw Refused(why: "đã khoá") }
            }
            let records = try await store.records(plan: "bach-dang"), version = try await store.version(plan: "bach-dang")
            #expect(records.isEmpty && version == 0)
        }
    }

    @Test("the check sees the occurrence's records, or one unit's ad hoc records of the day and its undos",
          arguments: StorageEngine.available)
    func candidates(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            func add(_ r: CompletionRecord) async throws -> CompletionRecord {
                try await store.append(r) { _ in .append }.record
            }
            let sameDay = try await add(record(1, unit: "vhxh", day: 5))
            _ = try await add(record(2, unit: "vhxh", day: 6))
            _ = try await add(record(3, unit: "cong-an", day: 5))
            _ = try await add(record(4, unit: "vhxh", plan: "other", day: 5))
            let withdrawal = try await add(record(5, action: .undo, unit: "vhxh", withdraws: sameDay.id, reason: "nhập nhầm"))
            let done = try await add(record(6, occurrence: "meeting/2026-11", action: .done, unit: "vhxh", day: 5))
            let doneElsewhere = try await add(record(7, occurrence: "meeting/2026-11", action: .done, unit: "mttq"))
            _ = try await add(record(8, occurrence: "meeting/2026-12", action: .done, unit: "vhxh"))
            _ = try await add(record(9, occurrence: "meeting/2026-11", action: .done, plan: "other"))

            let seen = Seen()
            _ = try await store.append(record(10, unit: "vhxh", day: 5)) { existing in
                seen.set(existing)
                return .alreadyRecorded(existing[0])
            }
            #expect(seen.value == [sameDay, withdrawal])
            _ = try await store.append(record(11, occurrence: "meeting/2026-11", action: .undo)) { existing in
                seen.set(existing)
                return .alreadyRecorded(existing[0])
            }
            #expect(seen.value == [done, doneElsewhere])
            #expect(try await store.records(plan: "bach-dang").count == 7)
        }
    }

    /// The waiver and the owner's own completion are both records of the owner's unit: the
    /// check must see each (a latest-record-per-unit read in one lane only would hide the
    /// waiver behind a later completion, and its withdrawal would be refused as done already).
    @Test("the check sees a standing waiver and the owner's later completion of the same occurrence",
          arguments: StorageEngine.available)
    func waiverAndCompletionBothSeen(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            let waive = record(1, occurrence: "dissemination/2026", action: .waive, unit: "vhxh", reason: "không áp dụng năm nay")
            let waiver = try await store.append(waive) { _ in .append }.record
            _ = try await store.append(record(2, occurrence: "dissemination/2026", action: .done, unit: "vhxh")) { _ in .append }
            let last = try await store.append(record(3, occurrence: "dissemination/2026", action: .done, unit: "vhxh")) { _ in .append }.record
            let seen = Seen()
            _ = try await store.append(record(4, occurrence: "dissemination/2026", action: .undo, unit: "vhxh")) { existing in
                seen.set(existing)
                return .alreadyRecorded(existing[0])
            }
            let ledger = CompletionLedger(records: seen.value)
            #expect(ledger.waiver(of: "dissemination/2026")?.id == waiver.id)
            #expect(ledger.completion(of: "dissemination/2026", by: "vhxh")?.record.id == last.id)
            // Withdrawn, the waiver is gone from what the next check sees.
            let undo = record(5, occurrence: "dissemination/2026", action: .undo, unit: "vhxh", withdraws: waiver.id, reason: "nhầm")
            _ = try await store.append(undo) { _ in .append }
            _ = try await store.append(record(6, occurrence: "dissemination/2026", action: .undo, unit: "vhxh")) { existing in
                seen.set(existing)
                return .alreadyRecorded(existing[0])
            }
            let after = CompletionLedger(records: seen.value)
            #expect(after.waiver(of: "dissemination/2026") == nil)
            #expect(after.completion(of: "dissemination/2026", by: "vhxh")?.record.id == last.id)
        }
    }

    @Test("records(plan:after:) gives the plan's records above an id, oldest first", arguments: StorageEngine.available)
    func recordsAfter(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            var ids: [Int64] = []
            for n in 1...4 { ids.append(try await store.append(record(n)) { _ in .append }.record.id!) }
            _ = try await store.append(record(9, plan: "other")) { _ in .append }
            #expect(try await store.records(plan: "bach-dang", after: 0).map(\.id) == ids.map(Optional.some))
            #expect(try await store.records(plan: "bach-dang", after: ids[1]).map(\.id) == ids[2...].map(Optional.some))
            #expect(try await store.records(plan: "bach-dang", after: ids[3]).isEmpty)
        }
    }

    @Test("the version changes on every append, for that plan only, and not when nothing is written",
          arguments: StorageEngine.available)
    func version(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let store = repos.completions
            let v0 = try await store.version(plan: "bach-dang")
            _ = try await store.append(record(1), check: appendOnce)
            let v1 = try await store.version(plan: "bach-dang")
            #expect(v1 != v0)
            let other = try await store.version(plan: "other")
            _ = try await store.append(record(2, plan: "other"), check: appendOnce)
            #expect(try await store.version(plan: "bach-dang") == v1)
            #expect(try await store.version(plan: "other") != other)
            // Declined: nothing written, no change.
            _ = try await store.append(record(3, day: 2), check: appendOnce)
            #expect(try await store.version(plan: "bach-dang") == v1)
            // Another process's append is seen too.
            _ = try await another().completions.append(record(4, occurrence: "x/2026", action: .done), check: appendOnce)
            #expect(try await store.version(plan: "bach-dang") != v1)
        }
    }

    @Test("record(id:plan:) finds a record of its own plan only", arguments: StorageEngine.available)
    func recordByID(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let store = repos.completions
            let a = try await store.append(record(1), check: appendOnce).record
            let b = try await store.append(record(2, plan: "other"), check: appendOnce).record
            let aID = try #require(a.id), bID = try #require(b.id)
            #expect(try await store.record(aID, plan: "bach-dang") == a)
            #expect(try await store.record(bID, plan: "other") == b)
            #expect(try await store.record(bID, plan: "bach-dang") == nil)
            #expect(try await store.record(max(aID, bID) + 100, plan: "bach-dang") == nil)
            #expect(try await store.records(plan: "other") == [b])
        }
    }

    @Test("20 concurrent appends of one occurrence, over several handles, store exactly one", arguments: StorageEngine.available)
    func concurrentAppends(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            var handles = [repos.completions]
            for _ in 0..<3 { handles.append(try await another().completions) }
            let outcomes = try await withThrowingTaskGroup(of: RecordOutcome.self) { group in
                for i in 0..<20 {
                    let store = handles[i % handles.count]
                    group.addTask {
                        try await store.append(record(i, occurrence: "quarterly-news/2026-Q4", action: .done, unit: UnitID(wellFormed: "u\(i)")),
                                               check: appendOnce)
                    }
                }
                var all: [RecordOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            let stored = try await repos.completions.records(plan: "bach-dang")
            #expect(stored.count == 1)
            let winners = outcomes.filter { if case .recorded = $0 { true } else { false } }
            #expect(winners.count == 1)
            #expect(outcomes.allSatisfy { $0.record == stored.first })
        }
    }

    // MARK: Tokens

    @Test("a token verifies; a wrong secret, a malformed text, another plan and a revoked token do not",
          arguments: StorageEngine.available)
    func tokens(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let tokens = repos.tokens
            let (secret, token) = try await tokens.create(plan: "bach-dang", unit: "cong-an", label: "Anh Hùng", now: at(100))
            #expect(secret.hasPrefix("pc_\(token.id)_"))
            #expect(token == UnitToken(id: token.id, plan: "bach-dang", unit: "cong-an", label: "Anh Hùng", createdAt: at(100)))
            #expect(try await tokens.verify(secret, plan: "bach-dang") == token)
            #expect(try await another().tokens.verify(secret, plan: "bach-dang") == token)
            #expect(try await tokens.verify(secret, plan: "other") == nil)
            var forged = Array(secret)
            forged[forged.count - 1] = forged.last == "0" ? "1" : "0"
            #expect(try await tokens.verify(String(forged), plan: "bach-dang") == nil)
            for bad in ["", "pc_", "Bearer x", "pc_\(token.id)_", secret + "0",
                        "pc_zzzzzzzz_" + String(repeating: "a", count: 48)] {
                #expect(try await tokens.verify(bad, plan: "bach-dang") == nil)
            }
            let (_, second) = try await tokens.create(plan: "bach-dang", unit: "mttq", label: "Chị Mai", now: at(200))
            _ = try await tokens.create(plan: "other", unit: "mttq", label: "x", now: at(150))
            #expect(try await tokens.list(plan: "bach-dang").map(\.id) == [token.id, second.id])

            #expect(try await tokens.revoke(id: token.id, plan: "other", now: at(300)) == false)
            #expect(try await tokens.revoke(id: token.id, plan: "bach-dang", now: at(300)))
            #expect(try await tokens.revoke(id: token.id, plan: "bach-dang", now: at(400)) == false)
            #expect(try await tokens.verify(secret, plan: "bach-dang") == nil)
            #expect(try await tokens.list(plan: "bach-dang").first?.revokedAt == at(300))
        }
    }

    // MARK: Sessions

    @Test("a session is found until it expires or is removed, and only while its token is live",
          arguments: StorageEngine.available)
    func sessions(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let (_, token) = try await repos.tokens.create(plan: "bach-dang", unit: "vhxh", label: "Chị Lan", now: at(0))
            let sessions = repos.sessions
            let s = try await sessions.create(for: token, now: at(1000), lifetime: 3600)
            #expect(s.id.count == 64 && s.csrf.count == 32 && s.expires == at(4600) && s.token == token)
            #expect(try await sessions.session(s.id, now: at(1001)) == s)
            #expect(try await another().sessions.session(s.id, now: at(4599)) == s)
            #expect(try await sessions.session(s.id, now: at(4600)) == nil)
            #expect(try await sessions.session(String(repeating: "a", count: 64), now: at(1001)) == nil)
            #expect(try await sessions.session("not-a-session", now: at(1001)) == nil)

            let t = try await sessions.create(for: token, now: at(2000), lifetime: 3600)
            try await sessions.remove(t.id)
            #expect(try await sessions.session(t.id, now: at(2001)) == nil)
            #expect(try await sessions.session(s.id, now: at(2001)) == s)

            // Revoking the token signs its sessions out.
            #expect(try await repos.tokens.revoke(id: token.id, plan: "bach-dang", now: at(2002)))
            #expect(try await sessions.session(s.id, now: at(2003)) == nil)
        }
    }

    @Test("a token keeps its newest sessions only", arguments: StorageEngine.available)
    func sessionLimit(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let (_, token) = try await repos.tokens.create(plan: "bach-dang", unit: "vhxh", label: "Chị Lan", now: at(0))
            let (_, other) = try await repos.tokens.create(plan: "bach-dang", unit: "mttq", label: "Chị Mai", now: at(0))
            let sessions = repos.sessions
            let max = type(of: sessions).maxPerToken
            let kept = try await sessions.create(for: other, now: at(10), lifetime: 10_000)
            var opened: [WebSession] = []
            for i in 0...max {
                opened.append(try await sessions.create(for: token, now: at(100 + i), lifetime: 10_000))
            }
            #expect(try await sessions.session(opened[0].id, now: at(500)) == nil)
            for s in opened.dropFirst() {
                #expect(try await sessions.session(s.id, now: at(500)) == s)
            }
            #expect(try await sessions.session(kept.id, now: at(500)) == kept)
        }
    }

    // MARK: Fetch log

    @Test("fetches add up per plan, feed and client, and time only moves forward", arguments: StorageEngine.available)
    func fetchLog(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let log = repos.fetches
            try await log.record([
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "Google-Calendar-Importer", lastAt: at(10), count: 1),
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "ICSx5/2.2", lastAt: at(15), count: 1),
                FeedFetch(plan: "q", feed: "all.ics", userAgent: "curl/8", lastAt: at(5), count: 1),
            ])
            try await log.record([
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "Google-Calendar-Importer", lastAt: at(20), count: 2),
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "ICSx5/2.2", lastAt: at(12), count: 1),
            ])
            try await another().fetches.record([])
            #expect(try await log.entries(plan: "p", limit: 10) == [
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "Google-Calendar-Importer", lastAt: at(20), count: 3),
                FeedFetch(plan: "p", feed: "vhxh.ics", userAgent: "ICSx5/2.2", lastAt: at(15), count: 2),
            ])
            #expect(try await log.entries(plan: "p", limit: 1).map(\.userAgent) == ["Google-Calendar-Importer"])
            #expect(try await log.lastFetches() == ["p": at(20), "q": at(5)])

            let long = String(repeating: "é", count: 300)
            try await log.record([FeedFetch(plan: "q", feed: "all.ics", userAgent: long, lastAt: at(6), count: 1)])
            #expect(try await log.entries(plan: "q", limit: 1).first?.userAgent == String(repeating: "é", count: 200))
        }
    }

    @Test("prune keeps a plan's most recent rows, latest first, and leaves other plans alone", arguments: StorageEngine.available)
    func prune(engine: StorageEngine) async throws {
        try await engine.with { repos, _ in
            let log = repos.fetches
            try await log.record((0..<6).map {
                FeedFetch(plan: "p", feed: "f\($0).ics", userAgent: "client", lastAt: at(100 + $0), count: 1)
            } + [FeedFetch(plan: "q", feed: "a.ics", userAgent: "client", lastAt: at(1), count: 1)])
            try await log.prune(plan: "p", keep: 3)
            #expect(try await log.entries(plan: "p", limit: 10).map(\.lastAt) == [at(105), at(104), at(103)])
            #expect(try await log.entries(plan: "q", limit: 10).count == 1)
            try await log.prune(plan: "p", keep: 0)
            #expect(try await log.entries(plan: "p", limit: 10).isEmpty)
            #expect(try await log.lastFetches() == ["q": at(1)])
        }
    }
}

/// A check's own error.
struct Refused: Error, Equatable { var why: String }

/// The share rule of `FigureValidator` (G3.T2's victims supported not above victims detected,
/// each part's latest value by record order), as a figure check. It pauses before deciding: an
/// engine whose check and insert are not one step then lets both racing writers through.
func shareCheck(_ record: FigureRecord) -> @Sendable ([FigureRecord]) throws -> Void {
    { existing in
        usleep(2000)
        let ledger = FigureLedger(existing + [record])
        if let n = ledger.value(record.target, year: record.year, figure: "victims-supported"),
           let d = ledger.value(record.target, year: record.year, figure: "victims-detected"), n > d {
            throw Refused(why: "\(n) > \(d)")
        }
    }
}

/// What a figure check saw.
final class SeenFigures: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [FigureRecord] = []
    func set(_ r: [FigureRecord]) { lock.withLock { records = r } }
    var value: [FigureRecord] { lock.withLock { records } }
}

/// What a check saw, carried out of its `@Sendable` closure.
final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [CompletionRecord] = []
    func set(_ r: [CompletionRecord]) { lock.withLock { records = r } }
    var value: [CompletionRecord] { lock.withLock { records } }
}

/// The shipped plan, found from this file.
let contractPlanPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("calendars/bach-dang/plan.yaml").path

/// The lead unit's resolution of an obstacle (issue 17): a record every engine stores and reads
/// back, the obstacle standing and resolved, and a withdrawal opening it again.
@Suite("Repository contract: obstacles resolved")
struct ObstacleResolutionContractTests {
    @Test("an obstacle is resolved once, on every engine; withdrawing the resolution opens it again",
          arguments: StorageEngine.available)
    func resolve(engine: StorageEngine) async throws {
        try await engine.with { repos, another in
            let plan = try PlanLoader.load(path: contractPlanPath)
            let service = try CompletionService(plan: plan, store: repos.completions)
            let day = CivilDate(year: 2026, month: 11, day: 6)!, later = CivilDate(year: 2026, month: 12, day: 12)!
            let obstacle = try await service.recordAdHoc(.obstacle, unit: "mttq", details: .init(doneOn: day, note: "Thiếu tài liệu"),
                                                         recordedBy: "A", now: UTCDateTime(secondsSinceEpoch: 1_796_000_000),
                                                         today: day).record
            let id = try #require(obstacle.id)
            let resolution = try await service.resolveObstacle(record: id, note: "Đã in tờ rơi", recordedBy: "Chị Lan",
                                                               now: UTCDateTime(secondsSinceEpoch: 1_796_100_000), today: later)
            await #expect(throws: CompletionError.alreadyResolved(id, by: try #require(resolution.id))) {
                _ = try await service.resolveObstacle(record: id, note: "x", recordedBy: "B",
                                                      now: UTCDateTime(secondsSinceEpoch: 1_796_100_001), today: later)
            }
            await #expect(throws: CompletionError.notObstacle(try #require(resolution.id))) {
                _ = try await service.resolveObstacle(record: resolution.id!, note: "x", recordedBy: "B",
                                                      now: UTCDateTime(secondsSinceEpoch: 1_796_100_002), today: later)
            }
            let ledger = CompletionLedger(records: try await another().completions.records(plan: plan.id))
            #expect(ledger.resolution(of: id)?.note == "Đã in tờ rơi" && ledger.resolution(of: id)?.unit == "vhxh")
            #expect(ledger.adHoc.map(\.id) == [id], "the obstacle stands; the resolution is no activity")
            _ = try await service.withdraw(record: try #require(resolution.id), reason: "nhầm", recordedBy: "Chị Lan",
                                           now: UTCDateTime(secondsSinceEpoch: 1_796_200_000))
            let after = CompletionLedger(records: try await another().completions.records(plan: plan.id))
            #expect(after.resolution(of: id) == nil && after.adHoc.map(\.id) == [id])
        }
    }
}
