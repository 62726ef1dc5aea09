import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ICal
import Logging
import PlanCore
import PlanFeed
import PlanFeedCache
import PlanStore
import Testing

@testable import PlanServer

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let planPath = packageRoot.appendingPathComponent("calendars/bach-dang/plan.yaml").path
let today = CivilDate(year: 2026, month: 11, day: 29)!

/// A server on an in-memory SQLite database with tokens for vhxh (lead) and cong-an.
struct Fixture {
    let repositories: Repositories
    let lead: String
    let police: String

    init() async throws {
        repositories = try await TestEngine.repositories()
        let tokens = repositories.tokens
        lead = try await tokens.create(plan: "bach-dang", unit: "vhxh", label: "Chị Lan", now: UTCDateTime(secondsSinceEpoch: 1)).secret
        police = try await tokens.create(plan: "bach-dang", unit: "cong-an", label: "Anh Hùng", now: UTCDateTime(secondsSinceEpoch: 1)).secret
    }

    func app(maxBody: Int = 16 * 1024) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try await buildApplication(
            ServerArguments(host: "127.0.0.1", port: 0, planPaths: [planPath], maxBodyBytes: maxBody, today: today),
            repositories: repositories, logger: logger)
    }
}

func json(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

func errorField(_ body: ByteBuffer) -> String? {
    let obj = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
    return (obj?["error"] as? [String: Any])?["field"] as? String
}

@Suite("Routes")
struct RouteTests {
    @Test("a served feed is byte-identical to the generated file, with validators; no Accept header needed")
    func feedBytes() async throws {
        let f = try await Fixture()
        let committed = try Data(contentsOf: packageRoot.appendingPathComponent("calendars/bach-dang/vhxh.ics"))
        try await f.app().test(.router) { client in
            let etag = try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/calendar; charset=utf-8")
                #expect(Data(r.body.readableBytesView) == committed)
                // The plan's latest `revised:` among vhxh's items (the annual reports it receives, 01/12/2026).
                #expect(r.headers[.lastModified] == "Tue, 01 Dec 2026 00:00:00 GMT")
                #expect(r.headers[.cacheControl] != nil)
                return try #require(r.headers[.eTag])
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get, headers: [.ifNoneMatch: etag]) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get, headers: [.ifNoneMatch: "\"other\""]) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                     headers: [.ifModifiedSince: "Wed, 02 Dec 2026 00:00:00 GMT"]) { r in
                #expect(r.status == .notModified)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get,
                                     headers: [.ifModifiedSince: "Sat, 28 Nov 2026 00:00:00 GMT"]) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .head) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentLength] == String(committed.count))
                #expect(r.body.readableBytes == 0)
            }
            for file in ["all.ics", "all-tasks.ics", "cong-an-tasks.ics"] {
                let expected = try Data(contentsOf: packageRoot.appendingPathComponent("calendars/bach-dang/\(file)"))
                try await client.execute(uri: "/calendars/bach-dang/\(file)", method: .get) { r in
                    #expect(Data(r.body.readableBytesView) == expected, "\(file)")
                }
            }
        }
    }

    @Test("unknown plans, feeds and traversal attempts are 404",
          arguments: ["/calendars/nope/vhxh.ics", "/calendars/bach-dang/nope.ics", "/calendars/bach-dang/vhxh.txt",
                      "/calendars/bach-dang/..%2F..%2Fetc%2Fpasswd", "/calendars/..%2Fbach-dang/vhxh.ics",
                      "/calendars/bach-dang/..%2Fplan.yaml", "/plans/nope", "/plans/bach-dang/units/nope",
                      "/plans/bach-dang/occurrences/nope/2026", "/api/nope/compliance", "/calendars/",
                      "/calendars/bach-dang/", "/api/bach-dang/khong-co"])
    func notFound(uri: String) async throws {
        try await Fixture().app().test(.router) { client in
            try await client.execute(uri: uri, method: .get) { r in
                #expect(r.status == .notFound)
                // People get a Vietnamese page; programs (API, feeds) get JSON.
                if uri.hasPrefix("/plans/") {
                    #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(String(buffer: r.body).contains("Không tìm thấy"))
                } else {
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                    // Every JSON error has the same shape: status, message, and field (null when none).
                    let obj = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any]
                    let error = obj?["error"] as? [String: Any]
                    #expect(error?["status"] as? Int == 404, "\(String(buffer: r.body))")
                    #expect((error?["message"] as? String)?.hasPrefix("Không có") == true, "\(String(buffer: r.body))")
                    #expect(error?.keys.contains("field") == true, "\(String(buffer: r.body))")
                }
            }
        }
    }

    @Test("a page that does not exist is a Vietnamese 404 page naming the path, with no empty date line")
    func unknownPage() async throws {
        try await Fixture().app().test(.router) { client in
            try await client.execute(uri: "/khong-co-trang-nay", method: .get) { r in
                #expect(r.status == .notFound)
                let page = String(buffer: r.body)
                #expect(page.contains("Không có trang &quot;/khong-co-trang-nay&quot;"), "\(page)")
                #expect(!page.contains("Not Found"))
                #expect(!page.contains("Hôm nay:"))
            }
        }
    }

    @Test("a unit page asked for a year outside the plan says which year it shows")
    func unitPageYear() async throws {
        try await Fixture().app().test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang/units/mttq?year=abc", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("Năm &quot;abc&quot; không thuộc kế hoạch (2025–2030); đang hiển thị năm 2026."))
            }
            try await client.execute(uri: "/plans/bach-dang/units/mttq?year=2027", method: .get) { r in
                #expect(!String(buffer: r.body).contains("id=\"error\""))
            }
        }
    }

    @Test("?year= that is not a year, or outside the plan, is a 400 naming the year", arguments: [
        ("abc", "không phải là một số năm"), ("2031", "nằm ngoài thời gian của kế hoạch (2025–2030)"),
    ])
    func badYear(year: String, phrase: String) async throws {
        try await Fixture().app().test(.router) { client in
            try await client.execute(uri: "/api/bach-dang/compliance?year=\(year)", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "year")
                #expect(String(buffer: r.body).contains(phrase), "\(String(buffer: r.body))")
            }
        }
    }

    @Test("API undo by record: the record's unit decides who may; unit with record is refused")
    func apiUndoByRecord() async throws {
        let f = try await Fixture()
        let plan = try PlanLoader.load(path: planPath)
        let news = try await CompletionService(plan: plan, store: f.repositories.completions)
            .recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: CivilDate(year: 2026, month: 8, day: 5)!,
                                                              evidenceURL: "https://bachdang.example/tin/x"),
                         recordedBy: "x", now: UTCDateTime(secondsSinceEpoch: 1), today: today).record
        try await f.app().test(.router) { client in
            let uri = "/api/bach-dang/undo"
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["record": news.id!, "unit": "vhxh", "reason": "x"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "unit")
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.police),
                                     body: json(["record": news.id!, "reason": "x"])) { r in
                #expect(r.status == .forbidden)
                #expect(errorField(r.body) == "record")
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["record": news.id!, "reason": "ghi nhầm"])) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["record": news.id!, "reason": "lần nữa"])) { r in
                #expect(r.status == .conflict)
            }
        }
    }

    @Test("a news item recorded ad hoc completes its quarter's news item (fulfilled_by: [news]); each page links the other")
    func quarterMetByAnotherItem() async throws {
        let f = try await Fixture()
        let plan = try PlanLoader.load(path: planPath)
        _ = try await CompletionService(plan: plan, store: f.repositories.completions)
            .recordAdHoc(.news, unit: "mttq", details: .init(doneOn: CivilDate(year: 2026, month: 8, day: 5)!,
                                                              evidenceURL: "https://bachdang.example/tin/mttq-8"),
                         recordedBy: "x", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang/occurrences/quarterly-news/2026-Q3", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("id=\"fulfilled-by\""), "\(html)")
                #expect(html.contains("Đã có tin, bài trong kỳ: tin, bài số 1 của Ủy ban Mặt trận Tổ quốc Việt Nam phường (ngày 05/08/2026)"))
                #expect(html.contains("href=\"/plans/bach-dang/records/1\""))
                #expect(html.contains("Hoàn thành đúng hạn"))
                #expect(!html.contains("id=\"met-by\""), "done: nothing left to mark")
            }
            try await client.execute(uri: "/plans/bach-dang/occurrences/quarterly-news/2026-Q2", method: .get) { r in
                #expect(!String(buffer: r.body).contains("id=\"fulfilled-by\""))
            }
            try await client.execute(uri: "/plans/bach-dang/records/1", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("Cũng hoàn thành"), "\(html)")
                #expect(html.contains("/plans/bach-dang/occurrences/quarterly-news/2026-Q3"))
            }
        }
    }

    @Test("API bodies: the scheme name in any case; non-integers, arrays and unknown fields are 400s naming the field")
    func apiBodies() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let uri = "/api/bach-dang/completions"
            let good: [String: Any] = ["occurrence": "quarterly-news/2026-Q4", "unit": "vhxh", "on": "2026-11-20",
                                       "evidence": "https://bachdang.example/tin/1"]
            let cases: [(String, String?, String)] = [
                (#"{"occurrence":"quarterly-news/2026-Q4","unit":"vhxh","on":"2026-11-20","reached":5.7}"#, "reached", "số nguyên"),
                (#"{"occurrence":"quarterly-news/2026-Q4","unit":"vhxh","on":"2026-11-20","reached":1e30}"#, "reached", "số nguyên"),
                (#"[1,2]"#, nil, "đối tượng JSON"),
                (#"{"occurrence":"quarterly-news/2026-Q4","unit":"vhxh","evidance":"https://a.example/x"}"#, "evidance", "Không có trường"),
            ]
            for (body, field, phrase) in cases {
                try await client.execute(uri: uri, method: .post, headers: bearer(f.lead), body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest, "\(body)")
                    #expect(errorField(r.body) == field, "\(body): \(String(buffer: r.body))")
                    #expect(String(buffer: r.body).contains(phrase), "\(body): \(String(buffer: r.body))")
                }
            }
            let lower: HTTPFields = [.authorization: "bearer \(f.lead)", .contentType: "application/json"]
            try await client.execute(uri: uri, method: .post, headers: lower, body: json(good)) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/calendars/khong-co/vhxh.ics", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(errorField(r.body) == "plan")
            }
        }
    }

    @Test("writing: 401 without or with a forged token, 403 for another unit, 400 naming the field, 404, 413")
    func writeErrors() async throws {
        let f = try await Fixture()
        try await f.app(maxBody: 2048).test(.router) { client in
            let uri = "/api/bach-dang/completions"
            let good: [String: Any] = ["occurrence": "quarterly-news/2026-Q4", "unit": "vhxh", "on": "2026-11-20",
                                       "evidence": "https://bachdang.example/tin/1"]
            try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: json(good)) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] != nil)
            }
            var forged = Array(f.lead)
            forged[forged.count - 1] = forged.last == "a" ? "b" : "a"
            try await client.execute(uri: uri, method: .post, headers: bearer(String(forged)), body: json(good)) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.police), body: json(good)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.police), body: ByteBuffer(string: "{not json")) { r in
                #expect(r.status == .badRequest)
            }
            let cases: [([String: Any], HTTPResponse.Status, String)] = [
                (["unit": "vhxh"], .badRequest, "occurrence"),
                (["occurrence": "quarterly-news/2026-Q4"], .badRequest, "unit"),
                (good.merging(["on": "2026-02-30"]) { $1 }, .badRequest, "on"),
                (good.merging(["on": "2031-01-01"]) { $1 }, .badRequest, "on"),
                (good.merging(["on": "2026-12-25"]) { $1 }, .badRequest, "on"),
                (good.merging(["evidence": "javascript:alert(1)"]) { $1 }, .badRequest, "evidence"),
                (good.merging(["reached": -4]) { $1 }, .badRequest, "reached"),
                (good.merging(["reached": "many"]) { $1 }, .badRequest, "reached"),
                (good.merging(["occurrence": "quarterly-news/2026-Q5"]) { $1 }, .notFound, "occurrence"),
                (good.merging(["unit": "nope"]) { $1 }, .notFound, "unit"),
                (good.merging(["unit": "cong-an"]) { $1 }, .forbidden, "unit"),
            ]
            for (body, status, field) in cases {
                try await client.execute(uri: uri, method: .post, headers: bearer(f.lead), body: json(body)) { r in
                    #expect(r.status == status, "\(body)")
                    #expect(errorField(r.body) == field, "\(body)")
                }
            }
            let huge = ByteBuffer(string: "{\"note\":\"" + String(repeating: "x", count: 4096) + "\"}")
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead), body: huge) { r in
                #expect(r.status == .contentTooLarge)
            }
            // Nothing was written by any of these, and the server still answers.
            #expect(try await f.repositories.completions.records(plan: "bach-dang").isEmpty)
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test("a completion through the API shows in the next fetch of the feed and in compliance; a second is idempotent; undo works once")
    func completionFlow() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let before = try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get) { $0.headers[.eTag] }
            let body = json(["occurrence": "quarterly-news/2026-Q4", "unit": "vhxh", "on": "20/11/2026",
                             "evidence": "https://bachdang.example/tin/1", "reached": 250])
            try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(f.lead), body: body) { r in
                #expect(r.status == .created)
                #expect(String(buffer: r.body).contains("\"recordedBy\":\"Chị Lan\""))
            }
            try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(f.lead), body: body) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("\"alreadyRecorded\":true"))
            }
            try await client.execute(uri: "/calendars/bach-dang/vhxh.ics", method: .get) { r in
                #expect(r.headers[.eTag] != before)
                let text = String(buffer: r.body).replacingOccurrences(of: "\r\n ", with: "")
                #expect(text.contains("SUMMARY:✓ Hạn: Đăng 01 tin\\, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý IV/2026"))
            }
            try await client.execute(uri: "/api/bach-dang/compliance", method: .get) { r in
                let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any])
                let quarters = try #require(obj["quarters"] as? [[String: Any]])
                #expect(quarters.count == 8)
                #expect(quarters.last?["key"] as? String == "2026-Q4")
                #expect(quarters.last?["state"] as? String == "met")
                #expect((obj["reach"] as? [String: Any])?["reached"] as? Int == 250)
            }
            try await client.execute(uri: "/api/bach-dang/compliance.csv", method: .get) { r in
                #expect(Array(r.body.readableBytesView.prefix(3)) == [0xEF, 0xBB, 0xBF])
                #expect(String(buffer: r.body).contains("Phòng Văn hóa - Xã hội"))
            }
            // The lead unit may write for another unit; a unit only for itself.
            let report = json(["occurrence": "annual-report/2025/cong-an", "unit": "cong-an", "on": "2025-12-10"])
            try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(f.lead), body: report) { r in
                #expect(r.status == .created)
            }
            let undo = json(["occurrence": "annual-report/2025/cong-an", "unit": "cong-an", "reason": "ghi nhầm năm"])
            try await client.execute(uri: "/api/bach-dang/undo", method: .post, headers: bearer(f.police), body: undo) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/api/bach-dang/undo", method: .post, headers: bearer(f.police), body: undo) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/api/bach-dang/undo", method: .post, headers: bearer(f.police),
                                     body: json(["occurrence": "annual-report/2025/cong-an", "unit": "cong-an"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "reason")
            }
        }
        #expect(try await f.repositories.completions.records(plan: "bach-dang").count == 3)
    }

    @Test("the dashboard signs in with a token into an HttpOnly SameSite=Strict session, and forms need the CSRF token")
    func dashboardFlow() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("Chỉ tiêu 3 (G6.T3)"))
                #expect(html.contains("id=\"q-2026-Q4\" data-state=\"open\""))
                // The shipped plan is tracked from 01/06/2026: 2025 is history, not a miss.
                #expect(html.contains("id=\"q-2025-Q1\" data-state=\"before-tracking\""))
                #expect(html.contains("id=\"q-2026-Q3\" data-state=\"missed\""))
                #expect(html.contains("webcal://"))
                #expect(!html.contains("<script"))
            }
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"]
            try await client.execute(uri: "/plans/bach-dang/login", method: .post, headers: form,
                                     body: ByteBuffer(string: "token=pc_00000000_\(String(repeating: "0", count: 48))")) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.setCookie] == nil)
            }
            let cookie = try await client.execute(uri: "/plans/bach-dang/login", method: .post, headers: form,
                                                  body: ByteBuffer(string: "token=\(f.lead)")) { r in
                #expect(r.status == .seeOther)
                let set = try #require(r.headers[.setCookie])
                #expect(set.contains("HttpOnly"))
                #expect(set.contains("SameSite=Strict"))
                return String(set.split(separator: ";")[0])
            }
            let page = try await client.execute(uri: "/plans/bach-dang/occurrences/quarterly-news/2026-Q4", method: .get,
                                                headers: [.cookie: cookie]) { r in String(buffer: r.body) }
            let csrf = try #require(page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(32))
            let fields = "occurrence=quarterly-news%2F2026-Q4&unit=vhxh&on=20%2F11%2F2026&evidence=https%3A%2F%2Fbachdang.example%2Ftin%2F9&return=%2Fplans%2Fbach-dang"
            var headers = form
            headers[.cookie] = cookie
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: headers,
                                     body: ByteBuffer(string: fields + "&csrf=wrong")) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: form, body: ByteBuffer(string: fields + "&csrf=\(csrf)")) { r in
                #expect(r.status == .unauthorized)
            }
            // A refused form comes back as the occurrence's page: the message, and what was typed.
            let badFields = fields.replacingOccurrences(of: "https%3A%2F%2Fbachdang.example%2Ftin%2F9", with: "ftp%3A%2F%2Fx")
                + "&note=ghi+ch%C3%BA+%3Cb%3E"
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: headers,
                                     body: ByteBuffer(string: badFields + "&csrf=\(csrf)")) { r in
                #expect(r.status == .badRequest)
                let html = String(buffer: r.body)
                #expect(html.contains("id=\"error\""), "\(html)")
                #expect(html.contains("Chưa ghi nhận được: Đường dẫn minh chứng"))
                #expect(html.contains("id=\"submit-done\""))
                #expect(html.contains("value=\"ftp://x\""))
                #expect(html.contains(">ghi chú &lt;b&gt;</textarea>"))
                #expect(html.contains("value=\"20/11/2026\""))
            }
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: headers,
                                     body: ByteBuffer(string: fields + "&csrf=\(csrf)")) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location]?.hasPrefix("/plans/bach-dang?ghi-nhan=") == true)
            }
            try await client.execute(uri: "/plans/bach-dang", method: .get) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("id=\"q-2026-Q4\" data-state=\"met\""))
                #expect(html.contains("https://bachdang.example/tin/9"))
            }
            // A form posted from another site is refused, even with the session cookie.
            var foreign = headers
            foreign[.origin] = "https://evil.example"
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: foreign,
                                     body: ByteBuffer(string: fields.replacingOccurrences(of: "2026-Q4", with: "2026-Q3") + "&csrf=\(csrf)")) { r in
                #expect(r.status == .forbidden)
            }
            // A flash cannot be forged through the URL: nothing recorded, nothing claimed.
            try await client.execute(uri: "/plans/bach-dang?ghi-nhan=annual-report%2F2026%2Fmttq", method: .get) { r in
                #expect(!String(buffer: r.body).contains("id=\"flash\""))
            }
            // Revoking the token signs its browser sessions out at once.
            let id = String(f.lead.split(separator: "_")[1])
            #expect(try await f.repositories.tokens.revoke(id: id, plan: "bach-dang", now: UTCDateTime(secondsSinceEpoch: 5)))
            try await client.execute(uri: "/plans/bach-dang/done", method: .post, headers: headers,
                                     body: ByteBuffer(string: fields.replacingOccurrences(of: "2026-Q4", with: "2026-Q3") + "&csrf=\(csrf)")) { r in
                #expect(r.status == .unauthorized)
            }
        }
        #expect(try await f.repositories.completions.records(plan: "bach-dang").count == 1)
    }
}

@Suite("Fetch log bounds")
struct FetchLogBoundTests {
    /// Any client can send any User-Agent: the table stays within `keep` rows per plan plus
    /// the writes between two prunes, even when no dashboard is ever opened.
    @Test func fetchLogIsPrunedWithoutADashboardView() async throws {
        let log = try await TestEngine.repositories().fetches
        let recorder = FetchRecorder(log: log, logger: Logger(label: "test"))
        let clients = FetchRecorder.keep + 3 * FetchRecorder.pruneEvery + 7
        for i in 0..<clients {
            await recorder.note(plan: "bach-dang", feed: "vhxh.ics", userAgent: "client-\(i)",
                                at: UTCDateTime(secondsSinceEpoch: 1_800_000_000 + i))
        }
        await recorder.flush()
        let rows = try await log.entries(plan: "bach-dang", limit: 1_000_000).count
        #expect(rows <= FetchRecorder.keep + FetchRecorder.pruneEvery, "\(rows) rows")
        #expect(rows >= FetchRecorder.keep)
        // The newest clients are the ones kept.
        let newest = try await log.entries(plan: "bach-dang", limit: 1)
        #expect(newest.first?.userAgent == "client-\(clients - 1)")
    }
}

@Suite("Validators over plan edits")
struct ValidatorTests {
    /// Removing an item changes the bytes without any newer item: Last-Modified must still move
    /// forward, or a client asking If-Modified-Since would keep the deleted event.
    @Test func lastModifiedOnlyMovesForward() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-lm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("plan.yaml").path
        let text = try String(contentsOfFile: planPath, encoding: .utf8)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try await buildApplication(ServerArguments(host: "127.0.0.1", port: 0, planPaths: [path], today: today),
                                             repositories: try await TestEngine.repositories(), logger: logger)
        try await app.test(.router) { client in
            var first: (etag: String?, modified: String?)
            try await client.execute(uri: "/calendars/bach-dang/all.ics", method: .get) { r in
                first = (r.headers[.eTag], r.headers[.lastModified])
                #expect(String(buffer: r.body).contains("session/tap-huan-2027"))
            }
            // The plan without its sessions (the file's time moved on so the server reloads it).
            let cut = String(text[..<text.range(of: "\nsessions:")!.lowerBound]) + "\n"
            try cut.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: path)
            try await client.execute(uri: "/calendars/bach-dang/all.ics", method: .get) { r in
                #expect(!String(buffer: r.body).contains("session/tap-huan-2027"))
                #expect(r.headers[.eTag] != first.etag)
                let before = first.modified.flatMap(HTTPDate.parse), after = r.headers[.lastModified].flatMap(HTTPDate.parse)
                #expect(before != nil && after != nil && after! > before!, "\(String(describing: first.modified)) → \(String(describing: r.headers[.lastModified]))")
            }
            try await client.execute(uri: "/calendars/bach-dang/all.ics", method: .get,
                                     headers: [.ifModifiedSince: first.modified ?? ""]) { r in
                #expect(r.status == .ok)
            }
        }
    }
}
