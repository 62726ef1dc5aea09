import Foundation
import ICal
import Logging
import NIOCore
import PlanCore
import PlanStore
import Testing

@testable import PlanFeedCache
@testable import PlanServer

/// The plan registry's parts, each alone: the catalog of plan files, the ledger refresher and
/// the feed renderer.
@Suite("Plan registry parts")
struct RegistryPartsTests {
    static func refresher(_ repositories: Repositories) -> LedgerRefresher {
        LedgerRefresher(completions: repositories.completions, signal: repositories.completions as? any ChangeSignal,
                        logger: quietLogger())
    }

    /// Two plan files below a folder (`a/plan.yaml`, `b/plan.yaml`), with the ids given.
    static func folder(ids: [String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-parts-\(UUID().uuidString)")
        let text = try String(contentsOf: URL(fileURLWithPath: planPath), encoding: .utf8)
        for (name, id) in zip(["a", "b"], ids) {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "  id: bach-dang\n", with: "  id: \(id)\n")
                .write(to: dir.appendingPathComponent("\(name)/plan.yaml"), atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("catalog: a scan queues new files once; two files with one id: the first path is served, the other reported")
    func catalogClash() async throws {
        let dir = try Self.folder(ids: ["same", "same"])
        defer { try? FileManager.default.removeItem(at: dir) }
        var catalog = PlanCatalog(plansDir: dir.path)
        let found = catalog.scan(serving: [])
        #expect(found.count == 2 && catalog.queued.count == 2)
        #expect(catalog.scan(serving: []).isEmpty, "queued files are not queued again")
        let refresher = Self.refresher(.inMemory())
        let a = try await refresher.load(path: found[0]), b = try await refresher.load(path: found[1])
        var served: [String: PlanSnapshot] = [:]
        // The second path loads first: it is served until the first arrives.
        guard case .serve(let first) = catalog.settle(b.path, .success(b), served: { served[$0] }) else {
            Issue.record("the first load of an id is served")
            return
        }
        served[first.plan.id] = first
        guard case .serve(let winner) = catalog.settle(a.path, .success(a), served: { served[$0] }) else {
            Issue.record("the first path in order wins the id")
            return
        }
        #expect(winner.path == a.path)
        #expect(catalog.problemList.map(\.path) == [b.path])
        #expect(catalog.queued.isEmpty)
        #expect(PlanCatalog.mayHold(dir.appendingPathComponent("same/plan.yaml").path, "same"))
        #expect(!PlanCatalog.mayHold(dir.appendingPathComponent("a/plan.yaml").path, "plan"))
    }

    @Test("catalog: an invalid file is a problem until it changes; an unreadable one is waited for")
    func catalogFailures() throws {
        let dir = try Self.folder(ids: ["x", "y"])
        defer { try? FileManager.default.removeItem(at: dir) }
        var catalog = PlanCatalog(plansDir: dir.path)
        let found = catalog.scan(serving: [])
        guard case .skipped(let invalid) = catalog.settle(found[0], .failure(PlanError(file: found[0], field: "plan", "hỏng")),
                                                          served: { _ in nil }) else {
            Issue.record("an invalid plan is skipped")
            return
        }
        #expect(invalid != nil)
        guard case .unreadable = catalog.settle(found[1], .failure(StorageError.unavailable("away")), served: { _ in nil }) else {
            Issue.record("a file the database kept from loading is unreadable")
            return
        }
        #expect(catalog.problemList.map(\.path) == [found[0]])
        #expect(catalog.unreadableError(for: "y") as? StorageError == .unavailable("away"))
        // The next scan: the invalid file (unchanged) is not tried again; the unreadable one is.
        #expect(catalog.scan(serving: []) == [found[1]])
    }

    @Test("refresher: a new record moves the version and the stamp; only the new record is read and folded")
    func refresherFolds() async throws {
        let repositories = try AppDatabase().repositories
        let refresher = Self.refresher(repositories)
        let snapshot = try await refresher.load(path: planPath).at(generation: 1)
        let stamp = refresher.changeStamp()
        #expect(stamp != nil)
        let (_, same) = try #require(try await refresher.version(of: "bach-dang"))
        #expect(same == snapshot.version)
        #expect(await refresher.unchanged([snapshot]) == ["bach-dang"])
        let service = try CompletionService(plan: snapshot.plan, store: repositories.completions)
        _ = try await service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: CivilDate(year: 2026, month: 3, day: 2)!,
                                                                                 evidenceURL: "https://x.example/tin", reached: 10),
                                          recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1_800_000_001),
                                          today: CivilDate(year: 2026, month: 12, day: 1)!)
        #expect(refresher.changeStamp() != stamp)
        let (_, version) = try #require(try await refresher.version(of: "bach-dang"))
        #expect(version != snapshot.version)
        #expect(await refresher.unchanged([snapshot]) == [])
        let new = try #require(try await refresher.records(of: "bach-dang", after: snapshot.ledger.lastID))
        #expect(new.count == 1)
        let folded = snapshot.folding(new, version: version, generation: 2)
        #expect(folded.generation == 2 && folded.ledger.count == snapshot.ledger.count + 1 && folded.version == version)
        // Nothing new to fold: the generation stays (the feeds did not change).
        #expect(folded.folding(new, version: version, generation: 3).generation == 2)
    }

    @Test("renderer: every feed put together from its pieces is the committed file; validators are stable and move forward")
    func rendererBytes() async throws {
        let snapshot = try await Self.refresher(.inMemory()).load(path: planPath)
        let render = try FeedRenderer.render(snapshot.builder, generation: 1) { _ in [:] }
        #expect(render.feeds.count == 18)
        for (file, rendered) in render.feeds {
            let committed = try Data(contentsOf: packageRoot.appendingPathComponent("calendars/bach-dang/\(file)"))
            #expect(Data(render.assemble(rendered).readableBytesView) == committed, "\(file)")
        }
        let again = try FeedRenderer.render(snapshot.builder, generation: 2) { _ in [:] }
        let vhxh = try #require(render.feeds["vhxh.ics"]?.meta)
        #expect(again.feeds["vhxh.ics"]?.meta.etag == vhxh.etag)
        // Served before with the same tag: its Last-Modified is kept; with another tag and a
        // Last-Modified not older: moved one second past it.
        let earlier = UTCDateTime(secondsSinceEpoch: vhxh.lastModified.secondsSinceEpoch - 100)
        let kept = try FeedRenderer.render(snapshot.builder, generation: 3) { _ in
            ["vhxh.ics": .init(etag: vhxh.etag, lastModified: earlier)]
        }
        #expect(kept.feeds["vhxh.ics"]?.meta.lastModified == earlier)
        let moved = try FeedRenderer.render(snapshot.builder, generation: 4) { _ in
            ["vhxh.ics": .init(etag: "\"other\"", lastModified: vhxh.lastModified)]
        }
        #expect(moved.feeds["vhxh.ics"]?.meta.lastModified.secondsSinceEpoch == vhxh.lastModified.secondsSinceEpoch + 1)
    }
}
