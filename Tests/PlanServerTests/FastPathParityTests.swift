import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    /// A connection that sent one request and then nothing is closed after the idle timeout,
    /// with the fast path (its own timer) and without (Hummingbird's); an answered request
    /// comes first either way.
    @Test("an idle connection is closed after the idle timeout, with the fast path off and on", arguments: [false, true])
    func idleTimeout(fastPath: Bool) async throws {
        let app = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today, idleTimeoutSeconds: 1,
                            pipelineFastPath: fastPath),
            repositories: try AppDatabase().repositories, logger: quietLogger())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Blocking calls, on a thread of their own: the cooperative pool must stay free to
            // answer the request.
            let (answered, end, seconds) = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Self.requestThenWait(port: port)) }.start()
            }
            #expect(answered.hasPrefix("HTTP/1.1 200"))
            // Then nothing is sent: the server closes the connection (recv sees its end).
            #expect(end == 0, "closed by the server, not by the 5 s receive timeout")
            #expect(seconds < 4.5)
        }
    }

    /// Sends `GET /health` on a new connection, reads the answer, then waits for the server to
    /// close: the answer's text, the last `recv`'s result (0: closed) and the seconds it took.
    static func requestThenWait(port: Int) -> (String, Int, Double) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return ("", -1, 0) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return ("", -1, 0) }
        var wait = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        guard "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".withCString({ send(fd, $0, strlen($0), 0) }) > 0 else { return ("", -1, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let answered = recv(fd, &buffer, buffer.count, 0)
        let text = String(decoding: buffer[..<max(0, answered)], as: UTF8.self)
        let end = recv(fd, &buffer, buffer.count, 0)
        return (text, end, Date().timeIntervalSince(started))
    }
}
