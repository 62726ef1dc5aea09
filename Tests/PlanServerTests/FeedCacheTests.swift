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
        let store = FeedStore(maxBytes: 4000)
        for p in 0..<10 {
            store.publish("p\(p)", .init(path: "/nonexistent", file: nil, hint: ChangeHint(0), generation: 1))
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
        let before = try #require(repositories.completions.changeHint())
        #expect(registry.cachedFeed(plan: "ward-b", file: "all.ics") != nil)
        // The fetch log writes: the hint moves, no plan's records changed.
        try await repositories.fetches.record([FeedFetch(plan: "ward-a", feed: "all.ics", userAgent: "test",
                                                          lastAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000), count: 1)])
        // ward-c's records change too: it must not be confirmed by another plan's refresh.
        let service = try CompletionService(plan: try PlanLoader.load(path: paths[2]), store: repositories.completions)
        _ = try await service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: CivilDate(year: 2026, month: 3, day: 2)!,
                                                                                 evidenceURL: "https://x.example/tin", reached: 10),
                                          recordedBy: "t", now: UTCDateTime(secondsSinceEpoch: 1_800_000_001),
                                          today: CivilDate(year: 2026, month: 12, day: 1)!)
        let after = try #require(repositories.completions.changeHint())
        #expect(after != before)
        #expect(registry.cachedFeed(plan: "ward-b", file: "all.ics") == nil, "unconfirmed after the hint moved")
        _ = try await registry.current("ward-a")
        #expect(registry.cachedFeed(plan: "ward-b", file: "all.ics") != nil, "confirmed by ward-a's refresh")
        #expect(registry.cachedFeed(plan: "ward-c", file: "all.ics") == nil, "its records changed: left to its own refresh")
        _ = try await registry.feed(plan: "ward-c", file: "all.ics")
        #expect(registry.cachedFeed(plan: "ward-c", file: "all.ics") != nil, "confirmed by its own refresh")
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
