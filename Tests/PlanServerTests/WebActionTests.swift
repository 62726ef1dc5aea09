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

/// A signed-in browser: its session cookie and the CSRF token its forms carry.
struct Browser {
    var cookie: String
    var csrf: String
}

/// A form as a browser posts it from one of the server's pages (the test client's authority is
/// `localhost`): with its Origin, without which a form is refused.
let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"]

func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return ByteBuffer(string: fields.map {
        "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }.joined(separator: "&"))
}

func signIn<Client: TestClientProtocol>(_ client: Client, token: String) async throws -> Browser {
    let cookie = try await client.execute(uri: "/plans/bach-dang/login", method: .post, headers: formHeaders,
                                          body: formBody([("token", token)])) { r in
        String(try #require(r.headers[.setCookie]).split(separator: ";")[0])
    }
    let page = try await client.execute(uri: "/plans/bach-dang", method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
    let csrf = try #require(page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(32))
    return Browser(cookie: cookie, csrf: String(csrf))
}

/// Posts a form as a browser; `csrf: nil` sends the browser's own, `origin` replaces the Origin header.
func post<Client: TestClientProtocol>(_ client: Client, _ uri: String, _ fields: [(String, String)], as browser: Browser?,
                                      csrf: String? = nil, origin: String? = nil) async throws -> (status: HTTPResponse.Status, location: String?, html: String) {
    var headers = formHeaders
    if let browser { headers[.cookie] = browser.cookie }
    if let origin { headers[.origin] = origin }
    let token = csrf ?? browser?.csrf ?? ""
    return try await client.execute(uri: uri, method: .post, headers: headers, body: formBody(fields + [("csrf", token)])) { r in
        (r.status, r.headers[.location], String(buffer: r.body))
    }
}

func get<Client: TestClientProtocol>(_ client: Client, _ uri: String, as browser: Browser? = nil) async throws -> (status: HTTPResponse.Status, html: String) {
    try await client.execute(uri: uri, method: .get, headers: browser.map { [.cookie: $0.cookie] } ?? [:]) { r in
        (r.status, String(buffer: r.body))
    }
}

/// The informed count of G6.T2 on the dashboard, e.g. "2/7".
func informed<Client: TestClientProtocol>(_ client: Client) async throws -> String {
    let html = try await get(client, "/plans/bach-dang").html
    let tail = try #require(html.components(separatedBy: "id=\"informed-count\">").dropFirst().first)
    return String(tail.prefix { $0 != "<" })
}

@Suite("Web actions")
struct WebActionTests {
    struct Setup {
        let fixture: Fixture
        let mttq: String
        init() async throws {
            fixture = try await Fixture()
            mttq = try await fixture.repositories.tokens.create(plan: "bach-dang", unit: "mttq", label: "Anh Tú",
                                                                now: UTCDateTime(secondsSinceEpoch: 1)).secret
        }
    }

    @Test("the action month's own form takes the organisations its meetings informed: their dissemination is done, each saying by what")
    func actionMonthInformsOrganisations() async throws {
        let s = try await Setup()
        let lead = try await s.fixture.repositories.tokens.create(plan: "bach-dang", unit: "vhxh", label: "Chị Lan",
                                                                  now: UTCDateTime(secondsSinceEpoch: 1)).secret
        try await s.fixture.app().test(.router) { client in
            let browser = try await signIn(client, token: lead)
            let page = try await get(client, "/plans/bach-dang/occurrences/action-month/2026", as: browser).html
            #expect(page.contains("id=\"organisations\"") && page.contains("id=\"org-kthtdt\""), "\(page)")
            // An item whose counts do not name organisations has no such field.
            #expect(!(try await get(client, "/plans/bach-dang/occurrences/quarterly-news/2026-Q4", as: browser).html)
                .contains("id=\"organisations\""))
            let done = try await post(client, "/plans/bach-dang/done", [
                ("occurrence", "action-month/2026"), ("unit", "vhxh"), ("on", "29/11/2026"), ("reached", "1250"),
                ("organisations[]", "kthtdt"), ("organisations[]", "cong-an"), ("return", "/plans/bach-dang"),
            ], as: browser)
            #expect(done.status == .seeOther, "\(done.html)")
            let informed = try await get(client, "/plans/bach-dang/occurrences/dissemination/2026/kthtdt").html
            #expect(informed.contains("id=\"fulfilled-by\""), "\(informed)")
            #expect(informed.contains("Đã được phổ biến qua bản ghi số"))
            #expect(!(try await get(client, "/plans/bach-dang/occurrences/dissemination/2026/mttq").html).contains("id=\"fulfilled-by\""))
        }
    }

    @Test("the lead unit marks an obstacle resolved from its record page; another unit cannot; the ward report says so")
    func resolveObstacle() async throws {
        let s = try await Setup()
        let lead = try await s.fixture.repositories.tokens.create(plan: "bach-dang", unit: "vhxh", label: "Chị Lan",
                                                                  now: UTCDateTime(secondsSinceEpoch: 1)).secret
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let raised = try await post(client, "/plans/bach-dang/record", [("unit", "mttq"), ("kind", "obstacle"), ("on", "06/11/2026"),
                                                                             ("note", "Thiếu tài liệu tiếng dân tộc")], as: unit)
            #expect(raised.status == .seeOther, "\(raised.html)")
            #expect(!(try await get(client, "/plans/bach-dang/records/1", as: unit).html).contains("id=\"submit-resolve\""))
            #expect(try await post(client, "/plans/bach-dang/records/1/resolve", [("note", "x")], as: unit).status == .forbidden)
            let browser = try await signIn(client, token: lead)
            #expect(try await get(client, "/plans/bach-dang/records/1", as: browser).html.contains("id=\"submit-resolve\""))
            #expect(try await post(client, "/plans/bach-dang/records/1/resolve", [("note", " ")], as: browser).status == .badRequest)
            let done = try await post(client, "/plans/bach-dang/records/1/resolve", [("note", "Đã in 500 tờ rơi")], as: browser)
            #expect(done.status == .seeOther, "\(done.html)")
            let page = try await get(client, try #require(done.location), as: browser).html
            #expect(page.contains("Đã đánh dấu vướng mắc đã giải quyết (bản ghi số 2)."))
            #expect(page.contains("Đã giải quyết ngày 29/11/2026: Đã in 500 tờ rơi") && !page.contains("id=\"submit-resolve\""))
            let report = try await get(client, "/plans/bach-dang/annual-report?year=2026", as: browser).html
            #expect(report.contains("Thiếu tài liệu tiếng dân tộc — Đã giải quyết ngày 29/11/2026: Đã in 500 tờ rơi"), "\(report)")
        }
    }

    @Test("a second record of the unit's day with residents asks whether it is the same event; the answer decides what is counted")
    func sameDayReachAsks() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let meeting = [("unit", "mttq"), ("kind", "meeting"), ("on", "20/11/2026"), ("reached", "1.200"),
                           ("organisations[]", "hoi-lhpn")]
            #expect(try await post(client, "/plans/bach-dang/record", meeting, as: unit).status == .seeOther)
            let training = [("unit", "mttq"), ("kind", "meeting"), ("on", "20/11/2026"), ("reached", "1.200"), ("note", "Buổi tối")]
            let asked = try await post(client, "/plans/bach-dang/record", training, as: unit)
            #expect(asked.status == .conflict, "\(asked.html)")
            #expect(asked.html.contains("id=\"same-day\"") && asked.html.contains("value=\"same-event\""))
            #expect(asked.html.contains("đã có bản ghi số 1 ghi 1.200 người dân được tiếp cận"))
            #expect(try await s.fixture.repositories.completions.records(plan: "bach-dang").count == 1, "nothing written")
            let same = try await post(client, "/plans/bach-dang/record", training + [("sameDay", "same-event")], as: unit)
            #expect(same.status == .seeOther, "\(same.html)")
            let records = try await s.fixture.repositories.completions.records(plan: "bach-dang")
            #expect(records.count == 2 && records.last?.reached == nil)
            #expect(records.last?.note?.contains("Cùng sự kiện với bản ghi số 1") == true)
            // The API asks the same way: 409 naming the field, then the choice.
            let body = #"{"occurrence":"action-month/2026","unit":"mttq","on":"2026-11-20","reached":1200}"#
            let api = try await client.execute(uri: "/api/bach-dang/completions", method: .post,
                                               headers: [.authorization: "Bearer \(s.mttq)", .contentType: "application/json"],
                                               body: ByteBuffer(string: body)) { r in (r.status, String(buffer: r.body)) }
            #expect(api.0 == .conflict && api.1.contains("\"field\":\"sameDayReach\""), "\(api.1)")
        }
    }

    @Test("a unit records a meeting with organisations from its own form; the dissemination target changes; withdrawing it changes it back")
    func meetingAndWithdrawal() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let form = try await get(client, "/plans/bach-dang/units/mttq/record/meeting", as: unit)
            #expect(form.status == .ok)
            #expect(form.html.contains("name=\"organisations[]\" value=\"hoi-lhpn\""))
            #expect(form.html.contains("inputmode=\"numeric\"") && form.html.contains("placeholder=\"dd/mm/yyyy\""))
            #expect(!form.html.contains("type=\"date\""))
            #expect(try await informed(client) == "0/7")
            let fields = [("unit", "mttq"), ("kind", "meeting"), ("on", "03/11/2026"), ("reached", "1.200"),
                          ("organisations[]", "hoi-lhpn"), ("organisations[]", "hoi-nong-dan"), ("note", "Họp tổ dân phố số 3")]
            let made = try await post(client, "/plans/bach-dang/record", fields, as: unit)
            #expect(made.status == .seeOther, "\(made.html)")
            let location = try #require(made.location)
            #expect(location.hasPrefix("/plans/bach-dang/units/mttq?ban-ghi="))
            #expect(try await get(client, location, as: unit).html.contains("Đã ghi nhận buổi tuyên truyền, phổ biến ngày 03/11/2026"))
            #expect(try await informed(client) == "2/7")
            let records = try await s.fixture.repositories.completions.records(plan: "bach-dang")
            #expect(records.last?.reached == 1200 && records.last?.recordedBy == "Anh Tú")
            let id = try #require(records.last?.id)

            // Another unit's code can neither see the withdraw form nor withdraw it.
            let police = try await signIn(client, token: s.fixture.police)
            #expect(!(try await get(client, "/plans/bach-dang/records/\(id)", as: police).html.contains("id=\"submit-withdraw\"")))
            #expect(try await post(client, "/plans/bach-dang/records/\(id)/withdraw", [("reason", "x")], as: police).status == .forbidden)
            // A withdrawal needs its reason; the refused form names it.
            let noReason = try await post(client, "/plans/bach-dang/records/\(id)/withdraw", [("reason", " ")], as: unit)
            #expect(noReason.status == .badRequest)
            #expect(noReason.html.contains("Chưa hủy được: Thiếu thông tin bắt buộc: Lý do"))
            let withdrawn = try await post(client, "/plans/bach-dang/records/\(id)/withdraw", [("reason", "Ghi nhầm ngày")], as: unit)
            #expect(withdrawn.status == .seeOther)
            #expect(try await informed(client) == "0/7")
            let page = try await get(client, "/plans/bach-dang/records/\(id)", as: unit).html
            #expect(page.contains("đã hủy bởi #") && !page.contains("id=\"submit-withdraw\""))
        }
    }

    @Test("forms are refused without a session (401), with a wrong CSRF token or from another origin (403), and for another unit (403)")
    func formsAreGuarded() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let fields = [("unit", "mttq"), ("kind", "news"), ("on", "03/11/2026"), ("evidence", "https://bachdang.example/tin/m")]
            #expect(try await post(client, "/plans/bach-dang/record", fields, as: nil).status == .unauthorized)
            #expect(try await post(client, "/plans/bach-dang/record", fields, as: unit, csrf: "wrong").status == .forbidden)
            #expect(try await post(client, "/plans/bach-dang/record", fields, as: unit, origin: "https://evil.example").status == .forbidden)
            let other = [("unit", "hoi-lhpn"), ("kind", "news"), ("on", "03/11/2026"), ("evidence", "https://bachdang.example/tin/m")]
            let forbidden = try await post(client, "/plans/bach-dang/record", other, as: unit)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.html.contains("chỉ ghi nhận được cho chính đơn vị mình"))
            #expect(try await get(client, "/plans/bach-dang/units/hoi-lhpn/record/news", as: unit).status == .forbidden)
            #expect(try await get(client, "/plans/bach-dang/units/mttq/record/khong-co", as: unit).status == .notFound)
            #expect(try await s.fixture.repositories.completions.records(plan: "bach-dang").isEmpty)
            // The lead unit records for any unit.
            let lead = try await signIn(client, token: s.fixture.lead)
            #expect(try await post(client, "/plans/bach-dang/record", other, as: lead).status == .seeOther)
        }
    }

    @Test("a refused form comes back with a Vietnamese message naming the field and everything typed", arguments: [
        ("12/31/2026", "Ngày: \"12/31/2026\" không đúng thứ tự ngày/tháng/năm"),
        ("31/02/2026", "tháng 2/2026 có 28 ngày"),
        ("01/12/2027", "chưa đến"),
    ])
    func refusedFormKeepsWhatWasTyped(day: String, phrase: String) async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let fields = [("unit", "mttq"), ("kind", "meeting"), ("on", day), ("reached", "45"), ("participants", "30"),
                          ("organisations[]", "hoi-lhpn"), ("note", "Buổi họp <b>chi hội</b>")]
            let r = try await post(client, "/plans/bach-dang/record", fields, as: unit)
            #expect(r.status == .badRequest)
            #expect(r.html.contains("id=\"error\""))
            #expect(r.html.contains(phrase.replacingOccurrences(of: "\"", with: "&quot;")), "\(r.html)")
            #expect(r.html.contains("value=\"\(day)\""))
            #expect(r.html.contains("value=\"45\"") && r.html.contains("value=\"30\""))
            #expect(r.html.contains("value=\"hoi-lhpn\" id=\"org-hoi-lhpn\" checked"))
            #expect(r.html.contains(">Buổi họp &lt;b&gt;chi hội&lt;/b&gt;</textarea>"))
            #expect(!r.html.contains("(evidence)") && !r.html.contains("(reached)"))
        }
    }

    @Test("only the lead unit waives an item; the waived item leaves the units' lists and shows its reason")
    func waiver() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let police = try await signIn(client, token: s.fixture.police)
            let fields = [("occurrence", "data-report-violence/2026"), ("reason", "Số liệu đã nộp cùng báo cáo của Công an quận")]
            #expect(!(try await get(client, "/plans/bach-dang/occurrences/data-report-violence/2026", as: police).html.contains("id=\"submit-waive\"")))
            #expect(try await post(client, "/plans/bach-dang/waive", fields, as: police).status == .forbidden)
            let lead = try await signIn(client, token: s.fixture.lead)
            #expect(try await get(client, "/plans/bach-dang/occurrences/data-report-violence/2026", as: lead).html.contains("id=\"submit-waive\""))
            let empty = try await post(client, "/plans/bach-dang/waive", [("occurrence", "data-report-violence/2026"), ("reason", "")], as: lead)
            #expect(empty.status == .badRequest && empty.html.contains("Lý do"))
            let r = try await post(client, "/plans/bach-dang/waive", fields, as: lead)
            #expect(r.status == .seeOther)
            let page = try await get(client, try #require(r.location), as: lead).html
            #expect(page.contains("id=\"waiver\"") && page.contains("Số liệu đã nộp cùng báo cáo của Công an quận"))
            #expect(page.contains("Không áp dụng"))
            let unitPage = try await get(client, "/plans/bach-dang/units/cong-an").html
            #expect(!unitPage.contains("id=\"todo-data-report-violence-2026\""))
            #expect(unitPage.contains("id=\"o-data-report-violence-2026\"") && unitPage.contains("st waived"))
            #expect(try await get(client, "/plans/bach-dang/report").html.contains("Số liệu đã nộp cùng báo cáo của Công an quận"))
        }
    }

    @Test("the lead unit issues a code (shown once, with a sign-in link) that signs in, and revokes it; no other unit gets in")
    func admin() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            #expect(try await get(client, "/plans/bach-dang/admin").status == .unauthorized)
            let unit = try await signIn(client, token: s.mttq)
            #expect(try await get(client, "/plans/bach-dang/admin", as: unit).status == .forbidden)
            #expect(try await post(client, "/plans/bach-dang/admin/tokens", [("unit", "mttq"), ("label", "x")], as: unit).status == .forbidden)
            let lead = try await signIn(client, token: s.fixture.lead)
            let admin = try await get(client, "/plans/bach-dang/admin", as: lead)
            #expect(admin.status == .ok && admin.html.contains("Hoạt động gần nhất của các đơn vị"))
            let noLabel = try await post(client, "/plans/bach-dang/admin/tokens", [("unit", "hoi-nong-dan"), ("label", " ")], as: lead)
            #expect(noLabel.status == .badRequest && noLabel.html.contains("Người giữ mã"))
            #expect(noLabel.html.contains("<option value=\"hoi-nong-dan\" selected>"))
            let issued = try await post(client, "/plans/bach-dang/admin/tokens", [("unit", "hoi-nong-dan"), ("label", "Chú Ba")], as: lead)
            #expect(issued.status == .created)
            let secret = try #require(issued.html.components(separatedBy: "id=\"secret\">").dropFirst().first?.prefix { $0 != "<" })
            #expect(secret.hasPrefix("pc_"))
            #expect(issued.html.contains("/plans/bach-dang/login?ma=\(secret)"))
            // The code is never shown again.
            #expect(!(try await get(client, "/plans/bach-dang/admin", as: lead).html.contains(String(secret))))
            let login = try await get(client, "/plans/bach-dang/login?ma=\(secret)")
            #expect(login.html.contains("value=\"\(secret)\""))
            let farmer = try await signIn(client, token: String(secret))
            #expect(try await get(client, "/plans/bach-dang/units/hoi-nong-dan", as: farmer).html.contains("Đã đăng nhập: Hội Nông dân phường (Chú Ba)"))
            let id = String(secret.split(separator: "_")[1])
            #expect(try await post(client, "/plans/bach-dang/admin/tokens/\(id)/revoke", [], as: lead, csrf: "wrong").status == .forbidden)
            let revoked = try await post(client, "/plans/bach-dang/admin/tokens/\(id)/revoke", [], as: lead)
            #expect(revoked.status == .seeOther)
            #expect(!(try await get(client, "/plans/bach-dang/units/hoi-nong-dan", as: farmer).html.contains("Đã đăng nhập")))
        }
    }

    @Test("a participant sees another unit's item as participation, with a button to record its part, never as its own overdue duty")
    func participation() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let unit = try await signIn(client, token: s.mttq)
            let html = try await get(client, "/plans/bach-dang/units/mttq", as: unit).html
            let row = try #require(html.components(separatedBy: "id=\"o-training-2026\"").dropFirst().first?.components(separatedBy: "</li>").first)
            #expect(row.contains("Phối hợp (chủ trì: Phòng Văn hóa - Xã hội)"))
            #expect(!row.contains("Quá hạn") && !row.contains("Đánh dấu hoàn thành"))
            #expect(row.contains("Ghi nhận tham gia"))
            // Its page opens on what to do: the to-do list comes before the year's list.
            let todo = try #require(html.range(of: "id=\"todo\""))
            let year = try #require(html.range(of: "id=\"year\""))
            #expect(todo.lowerBound < year.lowerBound)
        }
    }

    @Test("the history of a unit and year, filtered by kind, and its CSV")
    func history() async throws {
        let s = try await Setup()
        let plan = try PlanLoader.load(path: planPath)
        let service = try CompletionService(plan: plan, store: s.fixture.repositories.completions)
        _ = try await service.recordAdHoc(.meeting, unit: "mttq", details: .init(doneOn: CivilDate(year: 2026, month: 6, day: 2)!, reached: 10),
                                          recordedBy: "Anh Tú", now: UTCDateTime(secondsSinceEpoch: 1), today: today)
        _ = try await service.recordAdHoc(.obstacle, unit: "mttq", details: .init(doneOn: CivilDate(year: 2026, month: 6, day: 3)!, note: "=1+1"),
                                          recordedBy: "Anh Tú", now: UTCDateTime(secondsSinceEpoch: 2), today: today)
        try await s.fixture.app().test(.router) { client in
            let all = try await get(client, "/plans/bach-dang/units/mttq/history?year=2026").html
            #expect(all.contains("id=\"history-count\">2 bản ghi"))
            let meetings = try await get(client, "/plans/bach-dang/units/mttq/history?year=2026&kind=meeting").html
            #expect(meetings.contains("id=\"history-count\">1 bản ghi") && meetings.contains("Buổi tuyên truyền, phổ biến"))
            #expect(try await get(client, "/plans/bach-dang/units/mttq/history?year=2025").html.contains("id=\"history-count\">0 bản ghi"))
            try await client.execute(uri: "/plans/bach-dang/units/mttq/history.csv?year=2026&kind=obstacle", method: .get) { r in
                #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(r.headers[.contentDisposition]?.contains("bach-dang-mttq-2026-obstacle.csv") == true)
                let text = String(buffer: r.body)
                #expect(text.hasPrefix("\u{FEFF}so_ban_ghi,"))
                #expect(text.contains(",'=1+1,") && !text.contains("buổi tuyên truyền"))
            }
        }
    }

    @Test("a completion is corrected from its record with a reason: the new record replaces it")
    func correction() async throws {
        let s = try await Setup()
        try await s.fixture.app().test(.router) { client in
            let police = try await signIn(client, token: s.fixture.police)
            let done = try await post(client, "/plans/bach-dang/done", [("occurrence", "dissemination/2026/cong-an"), ("unit", "cong-an"),
                                                                         ("on", "15/07/2026"), ("participants", "20")], as: police)
            #expect(done.status == .seeOther)
            let first = try #require(try await s.fixture.repositories.completions.records(plan: "bach-dang").last?.id)
            let form = try await get(client, "/plans/bach-dang/records/\(first)/correct", as: police)
            #expect(form.status == .ok && form.html.contains("value=\"15/07/2026\"") && form.html.contains("value=\"20\""))
            let noReason = try await post(client, "/plans/bach-dang/records/\(first)/correct", [("on", "15/06/2026"), ("participants", "20")], as: police)
            #expect(noReason.status == .badRequest && noReason.html.contains("value=\"15/06/2026\""))
            let fixed = try await post(client, "/plans/bach-dang/records/\(first)/correct",
                                       [("on", "15/06/2026"), ("participants", "20"), ("reason", "Nhầm tháng")], as: police)
            #expect(fixed.status == .seeOther)
            let records = try await s.fixture.repositories.completions.records(plan: "bach-dang")
            #expect(records.count == 2 && records.last?.doneOn == CivilDate(year: 2026, month: 6, day: 15) && records.last?.reason == "Nhầm tháng")
            #expect(try await get(client, "/plans/bach-dang/records/\(first)").html.contains("đã được thay bằng #\(records.last!.id!)"))
        }
    }

    @Test("the report page of a year that has not begun says so; pages link the JSON out of the way")
    func reportPage() async throws {
        try await Fixture().app().test(.router) { client in
            let future = try await get(client, "/plans/bach-dang/report?year=2027")
            #expect(future.status == .ok && future.html.contains("Chưa đến"))
            #expect(future.html.contains("@media print"))
            let dashboard = try await get(client, "/plans/bach-dang").html
            #expect(!dashboard.contains("Báo cáo (JSON)"))
            #expect(dashboard.contains("Dữ liệu cho phần mềm khác: <a href=\"/api/bach-dang/compliance\">JSON</a>"))
            let login = try await get(client, "/plans/bach-dang/login").html
            #expect(!login.contains("plancal token create"))
        }
    }
}
