import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ICal
import Logging
import PlanCore
import PlanStore
import Testing

@testable import PlanFeedCache
@testable import PlanServer

@Suite("Feed cache and gzip")
struct FeedCacheTests {
    static func app(cacheBytes: Int = 64 << 20) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today, feedCacheBytes: cacheBytes),
            repositories: try AppDatabase().repositories, logger: logger)
    }

    static func committed(_ file: String) throws -> Data {
        try Data(contentsOf: packageRoot.appendingPathComponent("calendars/bach-dang/\(file)"))
    }

    @Test("gzip: the body decompresses to the identical bytes, has its own ETag, says Vary, and is compressed once")
    func gzipBody() async throws {
        let plain = try Self.committed("vhxh.ics")
        try await Self.app().test(.router) { client in
            let identityTag = try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get) { r in
                #expect(r.headers[.contentEncoding] == nil)
                #expect(r.headers[.vary] == "Accept-Encoding")
                return try #require(r.headers[.eTag])
            }
            var first: ByteBuffer?
            let gzipTag = try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                                   headers: [.acceptEncoding: "gzip, deflate, br"]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentEncoding] == "gzip")
                #expect(r.headers[.vary] == "Accept-Encoding")
                #expect(r.headers[.contentLength] == String(r.body.readableBytes))
                #expect(r.body.readableBytes < plain.count / 4)
                var body = r.body
                let inflated = try body.decompress(with: .gzip())
                #expect(Data(inflated.readableBytesView) == plain)
                first = r.body
                return try #require(r.headers[.eTag])
            }
            #expect(gzipTag != identityTag)
            // Compressed once per change: the same bytes again.
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get, headers: [.acceptEncoding: "gzip"]) { r in
                #expect(r.body == first)
                #expect(r.headers[.eTag] == gzipTag)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                     headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag]) { r in
                #expect(r.status == .notModified)
                #expect(r.headers[.eTag] == gzipTag)
                #expect(r.headers[.contentEncoding] == "gzip")
            }
            // Each representation is validated against its own tag.
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                     headers: [.acceptEncoding: "gzip", .ifNoneMatch: identityTag]) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get, headers: [.ifNoneMatch: gzipTag]) { r in
                #expect(r.status == .ok)
                #expect(Data(r.body.readableBytesView) == plain)
            }
            // q=0 refuses gzip.
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                     headers: [.acceptEncoding: "gzip;q=0, identity"]) { r in
                #expect(r.headers[.contentEncoding] == nil)
                #expect(Data(r.body.readableBytesView) == plain)
            }
        }
    }

    @Test("Accept-Encoding is read as RFC 9110 says", arguments: [
        ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip;q=0.5", true), ("*", true),
        ("gzip;q=0", false), ("*;q=0", false), ("identity", false), ("br", false), ("*, gzip;q=0", false), ("", false),
    ])
    func acceptEncoding(value: String, gzip: Bool) {
        #expect(FeedController.acceptsGzip([.acceptEncoding: value]) == gzip)
    }

    /// A cache far smaller than the plan's feeds evicts on every build: every fetch still gets
    /// the committed bytes, and the validators stay the same across rebuilds.
    @Test("a feed evicted from the bounded cache is served again with identical bytes and validators")
    func evictionKeepsBytes() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("calendars/bach-dang").path)
            .filter { $0.hasSuffix(".ics") }.sorted()
        #expect(files.count == 18)
        try await Self.app(cacheBytes: 400_000).test(.router) { client in
            var seen: [String: (String?, String?)] = [:]
            for round in 0..<3 {
                for file in files {
                    let plain = try Self.committed(file)
                    try await client.execute(uri: "/calendars/bach-dang/\(file)", method: .get,
                                             headers: round == 2 ? [.acceptEncoding: "gzip"] : [:]) { r in
                        #expect(r.status == .ok)
                        if round == 2 {
                            var body = r.body
                            let inflated = try body.decompress(with: .gzip())
                            #expect(Data(inflated.readableBytesView) == plain, "\(file)")
                        } else {
                            #expect(Data(r.body.readableBytesView) == plain, "\(file) round \(round)")
                            let v = (r.headers[.eTag], r.headers[.lastModified])
                            if let before = seen[file] { #expect(before == v, "\(file)") }
                            seen[file] = v
                        }
                    }
                }
            }
        }
    }

    @Test("the store keeps what fits: least recently used go first")
    func lruBound() {
        // 4,000 bytes: 1,000 for whole bodies, 3,000 for pieces.
        let store = FeedCache(maxBytes: 4000, signal: nil)
        for p in 0..<10 {
            store.confirm("p\(p)", .init(path: "/nonexistent", file: nil, change: .ownWrites(0), generation: 1))
            let part = ByteBuffer(repeating: UInt8(p), count: 300)
            let meta = FeedMeta(etag: "\"e\(p)\"", lastModified: UTCDateTime(secondsSinceEpoch: 0), length: 300, file: "f.ics")
            store.keep(PlanRender(generation: 1, feeds: ["f.ics": .init(meta: meta, head: part, items: [])], items: PieceArena().finish(),
                                  end: ByteBuffer(), bytes: 700), plan: "p\(p)")
            #expect(store.bytesHeld <= 4000)
            let feed = store.feed("p\(p)", "f.ics", generation: 1)
            #expect(feed??.body == part, "a body is its pieces put together")
            #expect(store.bytesHeld <= 4000)
        }
        #expect(store.feed("p9", "f.ics", generation: 1) != nil)
        #expect(store.feed("p0", "f.ics", generation: 1) == nil, "the least recently used plan's pieces went first")
        // A plan's feeds of an older generation are not served.
        #expect(store.feed("p9", "f.ics", generation: 2) == nil)
        #expect(store.feed("p9", "other.ics", generation: 1).map { $0 == nil } == true, "no such feed")
        // Stats say what is held; a plan invalidated is held no more and served no more.
        let before = store.stats
        #expect(before.bytes == store.bytesHeld && before.renders >= 1 && before.bodies >= 1)
        store.invalidate("p9")
        #expect(store.feed("p9", "f.ics", generation: 1) == nil && store.state("p9") == nil)
        #expect(store.stats.renders == before.renders - 1 && store.stats.bytes < before.bytes)
    }

    /// A write that changes no plan's records (the server's own fetch log) moves the store's
    /// change hint; the first plan to refresh confirms every other unchanged plan with one read,
    /// so their cached feeds stay on the fast path; a plan whose records did change is left to
    /// its own refresh.
    @Test("a hint moved by the fetch log is confirmed for every unchanged plan at once")
    func hintConfirmedForAllPlans() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOf: URL(fileURLWithPath: planPath), encoding: .utf8)
        var paths: [String] = []
        for id in ["ward-a", "ward-b", "ward-c"] {
            let path = dir.appendingPathComponent("\(id).yaml").path
            try text.replacingOccurrences(of: "  id: bach-dang\n", with: "  id: \(id)\n").write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let repositories = try AppDatabase(path: dir.appendingPathComponent("db.sqlite").path).repositories
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let registry = try await PlanRegistry(paths: paths, plansDir: nil, completions: repositories.completions, logger: logger)
        for id in ["ward-a", "ward-b", "ward-c"] { _ = try await registry.feed(plan: id, file: "all.ics") }
        let before = try #require(registry.cache.changeStamp())
        #expect(registry.cache.cached(plan: "ward-b", file: "all.ics") != nil)
        // The fetch log writes: the hint moves, no plan's records changed.
        try await repositories.fetches.record([FeedFetch(plan: "ward-a", feed: "all.ics", userAgent: "test",
                                                          lastAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000), count: 1)])
        // ward-c's records change too: it must not be confirmed by another plan's refresh.
        let service = try CompletionService(plan: try PlanLoader.load(path: paths[2]), store: repositories.completions)
        _ = try await service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: CivilDate(year: 2026, month: 3, day: 2)!,
                                                                                 evidenceURL: "https://x.example/tin", reached: 10),
                                          recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1_800_000_001),
                                          today: CivilDate(year: 2026, month: 12, day: 1)!)
        let after = try #require(registry.cache.changeStamp())
        #expect(after != before)
        #expect(registry.cache.cached(plan: "ward-b", file: "all.ics") == nil, "unconfirmed after the hint moved")
        _ = try await registry.current("ward-a")
        #expect(registry.cache.cached(plan: "ward-b", file: "all.ics") != nil, "confirmed by ward-a's refresh")
        #expect(registry.cache.cached(plan: "ward-c", file: "all.ics") == nil, "its records changed: left to its own refresh")
        _ = try await registry.feed(plan: "ward-c", file: "all.ics")
        #expect(registry.cache.cached(plan: "ward-c", file: "all.ics") != nil, "confirmed by its own refresh")
    }

    /// The cached feed answers only while the plan file is as confirmed: an edit in place, a
    /// rename over it or a touch is seen by the very next request (the file watch stands in for
    /// a `stat` per request, it must not let one through stale).
    @Test("an edited plan file takes its feeds off the cache at the next request")
    func planEditSeenAtNextRequest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("plan.yaml").path
        let text = try String(contentsOf: URL(fileURLWithPath: planPath), encoding: .utf8)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let repositories = try AppDatabase().repositories
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let registry = try await PlanRegistry(paths: [path], plansDir: nil, completions: repositories.completions, logger: logger)
        let first = try #require(try await registry.feed(plan: "bach-dang", file: "vhxh.ics"))
        for _ in 0..<3 { #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics")?.etag == first.etag) }

        // Appended to in place (same inode): a comment changes no feed, but the file is not as confirmed.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("# ghi chú\n".utf8))
        try handle.close()
        #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics") == nil, "an edit in place is seen at once")
        #expect(try await registry.feed(plan: "bach-dang", file: "vhxh.ics")?.etag == first.etag, "the same feed after a reload")
        for _ in 0..<3 { #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics") != nil) }

        // Replaced by a rename with a changed title: off the cache at once, then the new feed.
        let unit = try #require(try PlanLoader.load(path: path).units.first { $0.id == "vhxh" })
        try text.replacingOccurrences(of: "name: \"\(unit.name)\"", with: "name: \"\(unit.name) (mới)\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics") == nil, "a rename over the file is seen at once")
        let second = try #require(try await registry.feed(plan: "bach-dang", file: "vhxh.ics"))
        #expect(second.etag != first.etag)
        #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics")?.etag == second.etag)

        // Only its time changed.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: path)
        #expect(registry.cache.cached(plan: "bach-dang", file: "vhxh.ics") == nil, "a touch is seen at once")
    }

    /// A plan file that is a symbolic link is not watched (its target's folder is not): it is
    /// checked with a `stat` on every request, so an edit of the target still shows at once.
    @Test("a plan file behind a symbolic link: an edit of its target shows at the next request")
    func symlinkedPlanEditSeen() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("real"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("real/plan.yaml"), link = dir.appendingPathComponent("plan.yaml")
        try String(contentsOf: URL(fileURLWithPath: planPath), encoding: .utf8).write(to: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let repositories = try AppDatabase().repositories
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let registry = try await PlanRegistry(paths: [link.path], plansDir: nil, completions: repositories.completions, logger: logger)
        _ = try #require(try await registry.feed(plan: "bach-dang", file: "chi-bo.ics"))
        for _ in 0..<3 { #expect(registry.cache.cached(plan: "bach-dang", file: "chi-bo.ics") != nil) }
        let handle = try #require(FileHandle(forWritingAtPath: target.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("# ghi chú\n".utf8))
        try handle.close()
        #expect(registry.cache.cached(plan: "bach-dang", file: "chi-bo.ics") == nil, "the target's edit is seen at once")
    }

    /// Over a real connection, repeated fetches are answered by the pipeline's fast path: the
    /// same bytes and validators as the application's answer, 304s, gzip, and a write through
    /// the API showing in the very next fetch.
    @Test("the pipeline's fast path answers like the application, and a write shows in the next fetch")
    func fastPathOverTheWire() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let repositories = try AppDatabase().repositories
        let token = try await repositories.tokens.create(plan: "bach-dang", unit: "vhxh", label: "Lan",
                                                         now: UTCDateTime(secondsSinceEpoch: 1)).secret
        let app = try await buildApplication(ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today),
                                             repositories: repositories, logger: logger)
        let plain = try Self.committed("chi-bo.ics")
        try await app.test(.live) { client in
            var tags: [String] = []
            for _ in 0..<3 {
                try await client.execute(uri: "/calendars/bach-dang/chi-bo.ics", method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(Data(r.body.readableBytesView) == plain)
                    #expect(r.headers[.date] != nil)
                    tags.append(r.headers[.eTag] ?? "")
                }
            }
            #expect(Set(tags).count == 1)
            try await client.execute(uri: "/calendars/bach-dang/chi-bo.ics", method: .get, headers: [.ifNoneMatch: tags[0]]) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            for _ in 0..<2 {
                try await client.execute(uri: "/calendars/bach-dang/chi-bo.ics", method: .get, headers: [.acceptEncoding: "gzip"]) { r in
                    #expect(r.headers[.contentEncoding] == "gzip")
                    var body = r.body
                    let inflated = try body.decompress(with: .gzip())
                    #expect(Data(inflated.readableBytesView) == plain)
                }
            }
            // A large body goes out of its shared-memory file (sendfile), byte for byte, and
            // every handle lent for it is given back.
            let large = try Self.committed("vhxh.ics")
            let lentBefore = BodyFile.lentSoFar
            for _ in 0..<4 {
                try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentLength] == String(large.count))
                    #expect(Data(r.body.readableBytesView) == large)
                }
            }
            #expect(BodyFile.lentSoFar > lentBefore, "the fast path sent the body from its file")
            // Given back when the write ends, which may be just after the client has the bytes.
            for _ in 0..<100 where BodyFile.lentNow != 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(BodyFile.lentNow == 0)
            let body = ByteBuffer(string: #"{"occurrence": "dissemination/2025/chi-bo", "unit": "chi-bo", "on": "2025-05-01"}"#)
            try await client.execute(uri: "/api/bach-dang/completions", method: .post,
                                     headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: body) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/calendars/bach-dang/chi-bo.ics", method: .get, headers: [.ifNoneMatch: tags[0]]) { r in
                #expect(r.status == .ok, "the write shows in the next fetch")
                #expect(r.headers[.eTag] != tags[0])
                #expect(String(buffer: r.body).contains("Đã hoàn thành"))
            }
        }
    }
}

#if os(Linux)
@Suite("file watch")
struct FileWatchTests {
    private func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("every way of changing a file ends its ticket; other files in the folder do not")
    func changes() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let watch = FileWatch()
        let plan = dir.appendingPathComponent("plan.yaml"), other = dir.appendingPathComponent("other.yaml")
        try Data("a: 1\n".utf8).write(to: plan)
        try Data("b: 1\n".utf8).write(to: other)

        // A neighbour written: still unchanged.
        var ticket = try #require(watch.ticket(plan.path), "a regular file in a folder can be watched")
        #expect(watch.unchanged(ticket))
        try Data("b: 2\n".utf8).write(to: other)
        #expect(watch.unchanged(ticket), "another file of the folder changed, not this one")

        // Written in place.
        let handle = try FileHandle(forWritingTo: plan)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("c: 2\n".utf8))
        try handle.close()
        #expect(!watch.unchanged(ticket), "an append is seen at once")

        // Replaced by a rename (an atomic write).
        ticket = try #require(watch.ticket(plan.path))
        try Data("a: 3\n".utf8).write(to: plan, options: .atomic)
        #expect(!watch.unchanged(ticket), "a rename over the file is seen at once")

        // Only its time changed.
        ticket = try #require(watch.ticket(plan.path))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: plan.path)
        #expect(!watch.unchanged(ticket), "a touch is seen at once")

        // Removed.
        ticket = try #require(watch.ticket(plan.path))
        try FileManager.default.removeItem(at: plan)
        #expect(!watch.unchanged(ticket), "a removal is seen at once")
        #expect(watch.ticket(plan.path) == nil, "a missing file gets no ticket")

        // The folder itself moved away: the watch is given up and taken again on the new folder.
        try Data("a: 4\n".utf8).write(to: plan)
        ticket = try #require(watch.ticket(plan.path))
        let moved = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + "-moved")
        try FileManager.default.moveItem(at: dir, to: moved)
        defer { try? FileManager.default.removeItem(at: moved) }
        #expect(!watch.unchanged(ticket), "the folder moving is seen at once")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("a: 5\n".utf8).write(to: plan)
        ticket = try #require(watch.ticket(plan.path), "a new folder at the same path is watched")
        #expect(watch.unchanged(ticket))
        try Data("a: 6\n".utf8).write(to: plan)
        #expect(!watch.unchanged(ticket), "and a change in it is seen")
    }

    @Test("a folder above switched (a deploy's symbolic link): the next ticket watches the folder the path leads to now")
    func switchedFolderAbove() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let watch = FileWatch()
        for release in ["a", "b"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(release), withIntermediateDirectories: true)
            try Data("a: 1\n".utf8).write(to: dir.appendingPathComponent("\(release)/plan.yaml"))
        }
        let current = dir.appendingPathComponent("current")
        try FileManager.default.createSymbolicLink(atPath: current.path, withDestinationPath: "a")
        let path = current.appendingPathComponent("plan.yaml").path
        _ = try #require(watch.ticket(path))
        // Switched as deploys do: a new link renamed over the old one.
        let next = dir.appendingPathComponent("current.new")
        try FileManager.default.createSymbolicLink(atPath: next.path, withDestinationPath: "b")
        #expect(rename(next.path, current.path) == 0)
        let ticket = try #require(watch.ticket(path))
        try Data("a: 2\n".utf8).write(to: dir.appendingPathComponent("b/plan.yaml"))
        #expect(!watch.unchanged(ticket), "an edit in the folder the path now leads to is seen")
    }

    @Test("a plan file that is a symbolic link gets no ticket (its target's folder is not watched)")
    func symbolicLink() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("real.yaml"), link = dir.appendingPathComponent("plan.yaml")
        try Data("a: 1\n".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(FileWatch().ticket(link.path) == nil)
    }
}
#endif
