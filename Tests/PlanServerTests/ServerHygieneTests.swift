import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PlanCore
import Testing

@testable import PlanServer

/// Issue 20: no secret in a log, forms need their origin, every 500 has a body and a log line,
/// feeds say which methods they take.
@Suite("Server hygiene")
struct ServerHygieneTests {
    @Test("at trace level the log holds no access code and no Authorization header")
    func noSecretsInLog() async throws {
        let f = try await Fixture()
        let capture = LogCapture()
        let app = try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], today: today),
            repositories: f.repositories, logger: capture.logger(.trace))
        try await app.test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang/login?ma=\(f.lead)", method: .get) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.police),
                                     body: ByteBuffer(string: "{}")) { _ in }
            try await client.execute(uri: "/plans/bach-dang/login", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"],
                                     body: ByteBuffer(string: "token=\(f.police)")) { r in
                #expect(r.status == .seeOther)
            }
        }
        let log = capture.lines.joined(separator: "\n")
        #expect(log.contains("/plans/bach-dang/login?ma=pc_…[ẩn]"), "\(log.prefix(2000))")
        #expect(log.contains("authorization: Bearer [ẩn]"), "\(log.prefix(2000))")
        for secret in [f.lead, f.police] {
            let tail = String(secret.split(separator: "_").last ?? "")
            #expect(!log.contains(tail), "a secret in the log")
        }
        #expect(RequestLogMiddleware.redacted(uri: "/x?year=2026&ma=pc_ab12cd34_zz&y=1") == "/x?year=2026&ma=pc_…[ẩn]&y=1")
        #expect(RequestLogMiddleware.redacted(uri: "/x?code=pc_ab12cd34_zz") == "/x?code=pc_…[ẩn]")
        #expect(RequestLogMiddleware.redacted(uri: "/x?year=2026") == "/x?year=2026")
    }

    static func login<C: TestClientProtocol>(_ client: C, _ token: String, _ extra: HTTPFields) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: "/plans/bach-dang/login", method: .post, headers: headers,
                                        body: ByteBuffer(string: "token=\(token)")) { $0.status }
    }

    @Test("a form POST with neither Origin nor a same-origin Referer is refused (403)")
    func formOrigin() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client async throws in
            #expect(try await Self.login(client, f.police, [:]) == .forbidden)
            #expect(try await Self.login(client, f.police, [.referer: "http://evil.example/x"]) == .forbidden)
            #expect(try await Self.login(client, f.police, [.referer: "http://localhost.evil.example/plans/bach-dang/login"]) == .forbidden)
            #expect(try await Self.login(client, f.police, [.referer: "not a url"]) == .forbidden)
            #expect(try await Self.login(client, f.police, [.referer: "http://localhost/plans/bach-dang/login"]) == .seeOther)
            #expect(try await Self.login(client, f.police, [.origin: "http://localhost"]) == .seeOther)
            // An Origin, when sent, decides: a same-origin Referer does not make up for a foreign one.
            #expect(try await Self.login(client, f.police, [.origin: "http://evil.example", .referer: "http://localhost/"]) == .forbidden)
        }
        #expect(Auth.origin(of: "HTTP://Example.org:8080/a?b") == "http://example.org:8080")
        #expect(Auth.origin(of: "http://[::1]:8080/") == "http://[::1]:8080")
        #expect(Auth.origin(of: "ftp://example.org/") == nil)
    }

    @Test("an error no route expected is a 500 with a body and a log line; a 5xx HTTPError is logged too")
    func internalError() async throws {
        let capture = LogCapture()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ErrorMiddleware(views: try await Views(), logger: capture.logger(.warning)))
        router.get("/api/boom") { _, _ -> Response in throw CocoaError(.featureUnsupported) }
        router.get("/boom") { _, _ -> Response in throw CocoaError(.featureUnsupported) }
        router.get("/api/unavailable") { _, _ -> Response in throw HTTPError(.serviceUnavailable) }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/boom", method: .get) { r in
                #expect(r.status == .internalServerError)
                #expect(String(buffer: r.body).contains("Lỗi máy chủ"))
            }
            try await client.execute(uri: "/boom", method: .get) { r in
                #expect(r.status == .internalServerError)
                #expect(String(buffer: r.body).contains("Lỗi máy chủ"))
            }
            try await client.execute(uri: "/api/unavailable", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.body.readableBytes > 0)
            }
        }
        #expect(capture.lines.filter { $0.contains("internal error") && $0.contains("/api/boom") }.count == 1)
        #expect(capture.lines.filter { $0.contains("server error") && $0.contains("/api/unavailable") }.count == 1)
    }

    @Test("a feed answers other methods with 405 and Allow: GET, HEAD; a Range request gets the whole feed (200)")
    func feedMethods() async throws {
        let f = try await Fixture()
        let committed = try Data(contentsOf: packageRoot.appendingPathComponent("calendars/bach-dang/vhxh.ics"))
        try await f.app().test(.router) { client in
            for method in [HTTPRequest.Method.options, .post, .put, .delete, .patch] {
                try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: method) { r in
                    #expect(r.status == .methodNotAllowed, "\(method)")
                    #expect(r.headers[.allow] == "GET, HEAD")
                    #expect(String(buffer: r.body).contains("GET"))
                }
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get, headers: [.range: "bytes=0-9"]) { r in
                #expect(r.status == .ok)
                #expect(Data(r.body.readableBytesView) == committed)
            }
        }
    }
}

/// Log lines kept in memory, for a test to read.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []

    var lines: [String] { lock.withLock { kept } }

    func append(_ line: String) { lock.withLock { kept.append(line) } }

    func logger(_ level: Logger.Level) -> Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
