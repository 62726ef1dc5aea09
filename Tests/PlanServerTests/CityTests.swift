import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ICal
import Logging
import PlanCore
import PlanStore
import Testing

@testable import PlanServer

let secondPlanPath = packageRoot.appendingPathComponent("Tests/PlanServerTests/Plans/hai-phong-pcbl.yaml").path

/// A folder holding Bạch Đằng's plan and the second, different plan.
func cityFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-city-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("bach-dang"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("xa-thu-nghiem"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: planPath, toPath: dir.appendingPathComponent("bach-dang/plan.yaml").path)
    try FileManager.default.copyItem(atPath: secondPlanPath, toPath: dir.appendingPathComponent("xa-thu-nghiem/plan.yaml").path)
    return dir
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

func jsonObject(_ body: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
}

@Suite("City and plans of any kind")
struct CityTests {
    @Test("a second kind of plan loads, names its own subject and targets, and reports by its own roles")
    func secondPlanReportsByItsRoles() async throws {
        let plan = try PlanLoader.load(path: secondPlanPath)
        #expect(plan.tracking.subject == "Phòng, chống bạo lực gia đình")
        let repositories = try await TestEngine.repositories()
        let service = try CompletionService(plan: plan, store: repositories.completions)
        _ = try await service.markDone("tin-quy/2026-Q2", unit: "van-hoa",
                                       details: .init(doneOn: CivilDate(year: 2026, month: 5, day: 4)!, note: "Loa xã sáng 04/05"),
                                       recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        // Its news target needs evidence too: the role, not the id G6.T3, decides.
        await #expect(throws: CompletionError.missingEvidence(occurrence: "Phát 01 tin, bài trên loa truyền thanh — quý III/2026")) {
            _ = try await service.markDone("tin-quy/2026-Q3", unit: "van-hoa", details: .init(doneOn: CivilDate(year: 2026, month: 8, day: 1)!),
                                           recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        }
        _ = try await service.markDone("bao-cao-nam/2026/cong-an-xa", unit: "cong-an-xa",
                                       details: .init(doneOn: CivilDate(year: 2026, month: 11, day: 20)!),
                                       recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        let report = ComplianceReport(plan: plan, occurrences: service.occurrences,
                                      ledger: CompletionLedger(records: try await repositories.completions.records(plan: plan.id)),
                                      today: today)
        #expect(report.quarters.map(\.key) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        #expect(report.quarters.map(\.state) == [.missed, .met, .missed, .open])
        // Its monthly news target is tracked by month, apart from the quarterly one.
        _ = try await service.markDone("tin-thang/2026-10", unit: "van-hoa",
                                       details: .init(doneOn: CivilDate(year: 2026, month: 10, day: 9)!, evidenceURL: "https://xa.example/tin/10"),
                                       recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        let withMonth = ComplianceReport(plan: plan, occurrences: service.occurrences,
                                         ledger: CompletionLedger(records: try await repositories.completions.records(plan: plan.id)),
                                         today: today)
        #expect(withMonth.news.map(\.target) == ["G1.T1", "G1.T3"])
        #expect(withMonth.news[1].periods.count == 11, "January to November 2026")
        #expect(withMonth.news[1].periods.filter { $0.state == .met }.map(\.key) == ["2026-10"])
        #expect(withMonth.quarters.map(\.state) == [.missed, .met, .missed, .open], "the web item is no loudspeaker bulletin")
        #expect(report.dissemination?.total == 3)
        #expect(report.reach == nil, "the plan tracks no reach target")
        #expect(report.units.first { $0.id == "cong-an-xa" }?.annualReport == .doneOnTime)
        let table = report.table(plan: plan)
        #expect(table.contains("Chỉ tiêu 1 (G1.T1): mỗi quý có 01 tin, bài về phòng, chống bạo lực gia đình"))
        #expect(table.contains("PHÒNG, CHỐNG BẠO LỰC GIA ĐÌNH"))
        #expect(!table.contains("G6") && !table.contains("bình đẳng giới"))
        let csv = report.csv(plan: plan)
        #expect(csv.contains("G1.T1,quý II/2026"))
        #expect(csv.contains("bao-cao-nam,năm 2026,Công an xã,Hoàn thành đúng hạn"))
        #expect(!csv.contains("G6"))
    }

    @Test("serve --plans-dir: / is the city page with a row per plan, sortable, with CSV and JSON equal to each plan's compliance")
    func cityPage() async throws {
        let dir = try cityFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let repositories = try await TestEngine.repositories()
        let app = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [], plansDir: dir.path, today: today),
            repositories: repositories, logger: quietLogger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("Tổng hợp 2 phường, xã"))
                #expect(html.contains("/plans/bach-dang") && html.contains("/plans/hai-phong-pcbl"))
                #expect(html.contains("Ủy ban nhân dân xã Thử Nghiệm"))
            }
            try await client.execute(uri: "/", method: .head) { r in
                #expect(r.status == .ok, "HEAD / answers like GET /")
                #expect(r.body.readableBytes == 0)
                #expect(Int(r.headers[.contentLength] ?? "") ?? 0 > 1000)
            }
            try await client.execute(uri: "/?sort=nonsense", method: .get) { r in #expect(r.status == .badRequest) }
            // Each row equals the plan's own compliance JSON for the same year.
            let city = try await client.execute(uri: "/api/city.json", method: .get) { r in jsonObject(r.body) }
            let rows = try #require(city["rows"] as? [[String: Any]])
            #expect(rows.count == 2)
            for row in rows {
                let id = try #require(row["plan"] as? String)
                let ward = try await client.execute(uri: "/api/\(id)/compliance", method: .get) { r in jsonObject(r.body) }
                // Every news target's periods: the first one's `quarters`, the others' in `moreTargets`.
                let more = (ward["moreTargets"] as? [[String: Any]] ?? []).compactMap { $0["periods"] as? [[String: Any]] }
                let quarters = try #require(ward["quarters"] as? [[String: Any]]) + more.flatMap { $0 }
                // The quarters judged so far: begun, and not ended before tracking started.
                let thisYear = quarters.filter {
                    ($0["key"] as? String)?.hasPrefix("2026") == true && !["future", "before-tracking"].contains($0["state"] as? String ?? "")
                }
                #expect(row["quarters"] as? Int == thisYear.count, "\(id)")
                #expect(row["quartersMet"] as? Int == thisYear.filter { $0["state"] as? String == "met" }.count, "\(id)")
                let d = try #require(ward["dissemination"] as? [String: Any])
                #expect(row["informed"] as? Int == d["informed"] as? Int && row["organisations"] as? Int == d["total"] as? Int, "\(id)")
                let units = try #require(ward["units"] as? [[String: Any]])
                #expect(row["overdue"] as? Int == units.map { $0["overdue"] as? Int ?? 0 }.reduce(0, +), "\(id)")
                // The reports owed by the units the plan directs: a requested unit's (V.6) is not owed.
                #expect(row["reportsOwed"] as? Int == units.filter { $0["annualReport"] is String && $0["requested"] as? Bool == false }.count, "\(id)")
            }
            try await client.execute(uri: "/api/city.csv", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(text.split(separator: "\r\n").count == 3, "header and two rows")
            }
            try await client.execute(uri: "/plans/hai-phong-pcbl", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("Phòng, chống bạo lực gia đình 2026-2027"))
                #expect(html.contains("Chỉ tiêu 1 (G1.T1)") && !html.contains("G6.T3"))
                #expect(!html.contains("id=\"reach\""), "no reach target, no reach section")
                // Both news targets, each in its own periods.
                #expect(html.contains("id=\"news\"") && html.contains("id=\"news-G1.T3\""))
                #expect(html.contains("Chỉ tiêu 3 (G1.T3): mỗi tháng có 01 tin trên trang thông tin điện tử"))
                #expect(html.contains("<th scope=\"col\">Th. 12</th>") && html.contains("id=\"q-2026-11\""))
                #expect(html.contains("Đang trong tháng: chưa hết tháng"))
            }
        }
    }

    @Test("a plan file added below the plans folder is served without a restart; a broken one is reported, not served")
    func newPlanPickedUp() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-city-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: planPath, toPath: dir.appendingPathComponent("bach-dang.yaml").path)
        let app = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [], plansDir: dir.path, today: today),
            repositories: try await TestEngine.repositories(), logger: quietLogger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/hai-phong-pcbl/compliance", method: .get) { r in #expect(r.status == .notFound) }
            try FileManager.default.copyItem(atPath: secondPlanPath, toPath: dir.appendingPathComponent("xa.yaml").path)
            try "plan: [".write(to: dir.appendingPathComponent("hong.yaml"), atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(Int(PlanRegistry.rescanSeconds * 1000) + 100))
            try await client.execute(uri: "/api/hai-phong-pcbl/compliance", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("Tổng hợp 2 phường, xã"))
                #expect(html.contains("hong.yaml"), "the broken file is named on the city page")
            }
            try await client.execute(uri: "/ready", method: .get) { r in
                #expect(r.status == .ok, "a broken plan file does not keep the server out of rotation")
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(String(buffer: r.body) == #"{"loading":0,"plans":2,"ready":true,"unreadable":0}"#)
            }
        }
    }
}


@Suite("Plans folder loaded in the background")
struct BackgroundLoadTests {
    /// `count` copies of Bạch Đằng's plan, `<prefix>-<n>/plan.yaml` with the id `<prefix>-<n>`.
    func folder(_ count: Int, prefix: String = "xa") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-lazy-\(UUID().uuidString)")
        let text = try String(contentsOf: URL(fileURLWithPath: planPath), encoding: .utf8)
        for n in 1...count {
            let ward = dir.appendingPathComponent("\(prefix)-\(n)")
            try FileManager.default.createDirectory(at: ward, withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "  id: bach-dang\n", with: "  id: \(prefix)-\(n)\n")
                .write(to: ward.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("a plan is served before the rest of the folder has loaded; every plan is there once it has")
    func servedOnDemand() async throws {
        let dir = try folder(12)
        defer { try? FileManager.default.removeItem(at: dir) }
        let repositories = try await TestEngine.repositories()
        let registry = try await PlanRegistry(paths: [], plansDir: dir.path, completions: repositories.completions,
                                              logger: quietLogger())
        // Asked for at once: loaded from the file named after it, ahead of the background load.
        let last = try #require(try await registry.current("xa-12"))
        #expect(last.plan.id == "xa-12")
        #expect(last.path.hasSuffix("xa-12/plan.yaml"))
        let feed = try #require(try await registry.feed(plan: "xa-12", file: "all.ics"))
        #expect(feed.body.readableBytes > 100_000)
        #expect(try await registry.current("nowhere") == nil, "an unknown id waits for the folder, then is not found")
        #expect(try await registry.planIDs() == (1...12).map { "xa-\($0)" }.sorted())
        #expect(await registry.loadProblems().isEmpty)
        let readiness = await registry.readiness()
        #expect(readiness.ready && readiness.plans == 12 && readiness.loading == 0)
    }

    @Test("with the database away, a request for a plan below the folder fails (not a 404) and the file is not called broken")
    func databaseAwayIsNotAMissingPlan() async throws {
        let dir = try folder(2)
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try await PlanRegistry(paths: [], plansDir: dir.path, completions: AwayCompletions(), logger: quietLogger())
        // Whether the request or the background load reads the file first.
        await #expect(throws: StorageError.unavailable("test")) { try await registry.current("xa-2") }
        await registry.loaded()
        await #expect(throws: StorageError.unavailable("test")) { try await registry.current("xa-1") }
        #expect(await registry.loadProblems().isEmpty, "the files are fine: they are tried again at the next scan")
        let readiness = await registry.readiness()
        #expect(!readiness.ready, "plans that could not be read keep the server out of a load balancer's rotation")
        // On a loaded machine the rescan may already be due here (over `rescanSeconds` since the
        // last): then the two files are queued again as well as unreadable; either way neither
        // is served and both are accounted for.
        #expect(readiness.plans == 0 && max(readiness.unreadable, readiness.loading) == 2, "\(readiness)")
        // Asking for readiness rescans (the files are tried again); a file gone since is no
        // longer waited for.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("xa-1"))
        try await Task.sleep(for: .milliseconds(Int(PlanRegistry.rescanSeconds * 1000) + 100))
        let rescanned = await registry.readiness()
        #expect(rescanned.loading == 1, "the remaining file is read again")
        await registry.loaded()
        let after = await registry.readiness()
        #expect(!after.ready && after.plans == 0 && max(after.unreadable, after.loading) == 1, "\(after)")
    }

    @Test("two files with one plan id: the first in path order is served, whichever loaded first")
    func clashKeepsTheFirstPath() async throws {
        let dir = try folder(2)
        defer { try? FileManager.default.removeItem(at: dir) }
        // xa-1's file now says xa-2: a request for xa-2 loads xa-2's own file first.
        let first = dir.appendingPathComponent("xa-1/plan.yaml")
        let text = try String(contentsOf: first, encoding: .utf8).replacingOccurrences(of: "  id: xa-1\n", with: "  id: xa-2\n")
        try text.write(to: first, atomically: true, encoding: .utf8)
        let repositories = try await TestEngine.repositories()
        let registry = try await PlanRegistry(paths: [], plansDir: dir.path, completions: repositories.completions,
                                              logger: quietLogger())
        _ = try await registry.current("xa-2")
        await registry.loaded()
        let served = try #require(try await registry.current("xa-2"))
        #expect(served.path == first.path)
        let problems = await registry.loadProblems()
        #expect(problems.map(\.path) == [dir.appendingPathComponent("xa-2/plan.yaml").path])
        #expect(problems.first?.message.contains("trùng với") == true)
        #expect(try await registry.planIDs() == ["xa-2"])
    }
}

/// A completion repository whose database cannot be reached.
struct AwayCompletions: CompletionRepository {
    func append(_ record: CompletionRecord, check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome {
        throw StorageError.unavailable("test")
    }
    func records(plan: String) async throws -> [CompletionRecord] { throw StorageError.unavailable("test") }
    func record(_ id: Int64, plan: String) async throws -> CompletionRecord? { throw StorageError.unavailable("test") }
    func version(plan: String) async throws -> Int64 { throw StorageError.unavailable("test") }
}

/// A completion repository whose writes fail as a full or read-only disk would.
struct FailingCompletions: CompletionRepository {
    let error: StorageError
    func append(_ record: CompletionRecord, check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) async throws -> RecordOutcome {
        throw error
    }
    func records(plan: String) async throws -> [CompletionRecord] { [] }
    func record(_ id: Int64, plan: String) async throws -> CompletionRecord? { nil }
    func version(plan: String) async throws -> Int64 { 0 }
}

@Suite("Hardening")
struct HardeningRouteTests {
    @Test("a full disk is a JSON 507 with a Vietnamese message, read-only a 503", arguments: [
        (StorageError.full("SQLite: database or disk is full"), 507),
        (StorageError.readOnly("SQLite: attempt to write a readonly database"), 503),
    ])
    func storageFailures(error: StorageError, status: Int) async throws {
        var repositories = try await TestEngine.repositories()
        let token = try await repositories.tokens.create(plan: "bach-dang", unit: "vhxh", label: "t", now: UTCDateTime(secondsSinceEpoch: 1)).secret
        repositories.completions = FailingCompletions(error: error)
        let app = try await buildApplication(ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today),
                                             repositories: repositories, logger: quietLogger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(token),
                                     body: json(["occurrence": "quarterly-news/2026-Q4", "unit": "vhxh",
                                                 "on": "20/11/2026", "evidence": "https://x.example/a"])) { r in
                #expect(Int(r.status.code) == status)
                let e = try #require(jsonObject(r.body)["error"] as? [String: Any])
                #expect(e["status"] as? Int == status)
                #expect(e["message"] as? String == error.description, "\(e)")
            }
        }
    }

    @Test("subscribe links come from --base-url or else the plan's public_base_url")
    func subscribeLinks() async throws {
        let app = try await buildApplication(ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today),
                                             repositories: try await TestEngine.repositories(), logger: quietLogger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang", method: .get) { r in
                #expect(String(buffer: r.body).contains("webcal://lich.bachdang.example/calendars/bach-dang/vhxh.ics"))
            }
        }
        let other = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], baseURL: "https://lich.bachdang.gov.vn", today: today),
            repositories: try await TestEngine.repositories(), logger: quietLogger())
        try await other.test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang/units/vhxh", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("webcal://lich.bachdang.gov.vn/calendars/bach-dang/vhxh.ics"))
                #expect(html.contains("webcal://lich.bachdang.gov.vn/calendars/bach-dang/vhxh-tasks.ics"), "the task feed too")
            }
        }
    }

    @Test("the Origin check compares scheme, host and port; behind a proxy the base URL's origin is ours")
    func originScheme() async throws {
        let repositories = try await TestEngine.repositories()
        let token = try await repositories.tokens.create(plan: "bach-dang", unit: "vhxh", label: "t", now: UTCDateTime(secondsSinceEpoch: 1)).secret
        for (base, origin, allowed) in [
            ("https://lich.bachdang.gov.vn", "https://lich.bachdang.gov.vn", true),
            ("https://lich.bachdang.gov.vn", "http://lich.bachdang.gov.vn", false),
            ("https://lich.bachdang.gov.vn", "https://lich.bachdang.gov.vn:8443", false),
            ("https://lich.bachdang.gov.vn", "https://evil.example", false),
        ] {
            let app = try await buildApplication(
                ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], baseURL: base, today: today),
                repositories: repositories, logger: quietLogger())
            try await app.test(.router) { client in
                try await client.execute(uri: "/plans/bach-dang/login", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded", .origin: origin],
                                         body: ByteBuffer(string: "token=\(token)")) { r in
                    #expect((r.status == .seeOther) == allowed, "\(origin) with base \(base): \(r.status)")
                }
            }
        }
    }
}
