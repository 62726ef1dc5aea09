import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlanStore
import Testing

@testable import PlanFeedCache
@testable import PlanServer

/// The pipeline's fast path is an optimisation only: over a real connection, the feed routes
/// answer the same with it off (every request through the router, Hummingbird's idle timeout)
/// and on (cached feeds answered inside the pipeline).
@Suite("Fast path parity")
struct FastPathParityTests {
    /// One answer as a client sees it: status, headers (sorted, without Date) and body bytes.
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var headers: [String]
        var body: [UInt8]

        var description: String { "\(status) \(headers) \(body.count) bytes" }
    }

    /// The same requests, in the same order, against a fresh server; every feed is fetched
    /// several times so that, with the fast path on, the later fetches are answered by it.
    static func answers(fastPath: Bool) async throws -> (answers: [Answer], lent: Int) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today, pipelineFastPath: fastPath),
            repositories: try AppDatabase().repositories, logger: logger)
        let lentBefore = BodyFile.lentSoFar
        let answers = try await app.test(.live) { client in
            var out: [Answer] = []
            func fetch(_ uri: String, _ method: HTTPRequest.Method = .get, _ headers: HTTPFields = [:]) async throws -> Answer {
                try await client.execute(uri: uri, method: method, headers: headers) { r in
                    let fields = r.headers.filter { $0.name != .date }.map { "\($0.name.canonicalName): \($0.value)" }.sorted()
                    return Answer(status: Int(r.status.code), headers: fields, body: Array(r.body.readableBytesView))
                }
            }
            for file in ["chi-bo.ics", "vhxh.ics", "all-tasks.ics"] {
                let uri = "/calendars/bach-dang/\(file)"
                for _ in 0..<3 { out.append(try await fetch(uri)) }
                let etag = out.last?.headers.first { $0.hasPrefix("etag: ") }.map { String($0.dropFirst(6)) } ?? ""
                for _ in 0..<2 { out.append(try await fetch(uri, .get, [.ifNoneMatch: etag])) }
                for _ in 0..<3 { out.append(try await fetch(uri, .get, [.acceptEncoding: "gzip"])) }
                let gzipTag = out.last?.headers.first { $0.hasPrefix("etag: ") }.map { String($0.dropFirst(6)) } ?? ""
                out.append(try await fetch(uri, .get, [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag]))
                out.append(try await fetch(uri, .get, [.ifModifiedSince: "Sun, 01 Jan 2045 00:00:00 GMT"]))
                out.append(try await fetch(uri + "?v=1"))
            }
            out.append(try await fetch("/calendars/bach-dang/no-such-unit.ics"))
            out.append(try await fetch("/calendars/no-such-plan/all.ics"))
            out.append(try await fetch("/calendars/bach-dang/all.ics", .post))
            return out
        }
        return (answers, BodyFile.lentSoFar - lentBefore)
    }

    @Test("the feed routes give the same bytes with the pipeline's fast path off and on")
    func sameBytes() async throws {
        let off = try await Self.answers(fastPath: false)
        let on = try await Self.answers(fastPath: true)
        #expect(off.answers.count == on.answers.count)
        for (i, (a, b)) in zip(off.answers, on.answers).enumerated() {
            #expect(a == b, "request \(i): off \(a), on \(b)")
        }
        #expect(off.answers.contains { $0.status == 200 } && off.answers.contains { $0.status == 304 })
        // The large body went out of its file only through the fast path: it did answer.
        #expect(on.lent > 0, "the fast path answered the repeated fetches")
    }
}
