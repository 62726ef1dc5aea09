import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ICal
import PlanCore
import Testing

@testable import PlanServer

/// One CalDAV exchange's answer.
struct DAVReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String
}

/// Sends a CalDAV request signed in as `user` with `code` (nil: no Authorization header).
func dav<Client: TestClientProtocol>(_ client: Client, _ method: String, _ uri: String, user: String?, code: String?,
                                     body: String = "", headers extra: HTTPFields = [:]) async throws -> DAVReply {
    var headers = extra
    if let user, let code {
        headers[.authorization] = "Basic " + Data("\(user):\(code)".utf8).base64EncodedString()
    }
    if !body.isEmpty && headers[.contentType] == nil { headers[.contentType] = "application/xml; charset=utf-8" }
    return try await client.execute(uri: uri, method: HTTPRequest.Method(method)!, headers: headers,
                                    body: ByteBuffer(string: body)) { r in
        DAVReply(status: r.status, headers: r.headers, body: String(buffer: r.body))
    }
}

/// The hrefs of a multistatus answer, in order.
func hrefs(_ xml: String) -> [String] {
    xml.components(separatedBy: "<D:href>").dropFirst().compactMap { $0.components(separatedBy: "</D:href>").first }
}

/// The text of the first element with this qualified name.
func element(_ xml: String, _ name: String) -> String? {
    xml.components(separatedBy: "<\(name)>").dropFirst().first?.components(separatedBy: "</\(name)>").first
}

/// Replaces a property line (unfolded) of an iCalendar text, or adds it before END:VTODO.
func setProperty(_ ics: String, _ name: String, _ value: String?) -> String {
    let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
    var lines = unfolded.components(separatedBy: "\r\n").filter { !$0.hasPrefix(name + ":") && !$0.hasPrefix(name + ";") }
    if let value, let end = lines.firstIndex(of: "END:VTODO") { lines.insert("\(name):\(value)", at: end) }
    return lines.joined(separator: "\r\n")
}

let propfindBody = """
    <?xml version="1.0" encoding="utf-8"?>
    <D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">
      <D:prop><D:resourcetype/><D:displayname/><D:getetag/><CS:getctag/><D:sync-token/>
        <C:supported-calendar-component-set/><D:current-user-principal/><C:calendar-home-set/><D:x-unknown/></D:prop>
    </D:propfind>
    """

func syncBody(_ token: String) -> String {
    """
    <?xml version="1.0" encoding="utf-8"?>
    <D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
      <D:sync-token>\(token)</D:sync-token><D:sync-level>1</D:sync-level>
      <D:prop><D:getetag/><C:calendar-data/></D:prop>
    </D:sync-collection>
    """
}

@Suite("CalDAV")
struct CalDAVRouteTests {
    static let tasks = "/dav/calendars/bach-dang/cong-an/tasks/"
    static let item = tasks + "dissemination_2026_cong-an.ics"
    static let news = "/dav/calendars/bach-dang/vhxh/tasks/quarterly-news_2026-Q4.ics"

    @Test("discovery: OPTIONS, the well-known redirect, 401 with a challenge, the principal, the home's collections")
    func discovery() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let options = try await dav(client, "OPTIONS", "/dav/", user: nil, code: nil)
            #expect(options.status == .ok)
            #expect(options.headers[HTTPField.Name("DAV")!] == "1, 3, calendar-access")
            let wellKnown = try await dav(client, "PROPFIND", "/.well-known/caldav", user: nil, code: nil)
            #expect(wellKnown.status == .movedPermanently && wellKnown.headers[.location] == "/dav/")
            let anonymous = try await dav(client, "PROPFIND", "/dav/", user: nil, code: nil, body: propfindBody)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Basic realm=\"plancal\"") == true)
            #expect(anonymous.body.contains("<D:responsedescription>Cần đăng nhập"))
            let wrong = try await dav(client, "PROPFIND", "/dav/", user: "cong-an", code: f.lead, body: propfindBody)
            #expect(wrong.status == .unauthorized)
            let root = try await dav(client, "PROPFIND", "/dav/", user: "bach-dang/cong-an", code: f.police, body: propfindBody,
                                     headers: [HTTPField.Name("Depth")!: "0"])
            #expect(root.status.code == 207)
            #expect(element(root.body, "D:current-user-principal") == "<D:href>/dav/principals/bach-dang/cong-an/</D:href>")
            #expect(root.body.contains("<D:x-unknown/></D:prop><D:status>HTTP/1.1 404 Not Found"))
            let principal = try await dav(client, "PROPFIND", "/dav/principals/bach-dang/cong-an/", user: "cong-an", code: f.police,
                                          body: propfindBody, headers: [HTTPField.Name("Depth")!: "0"])
            #expect(element(principal.body, "C:calendar-home-set") == "<D:href>/dav/calendars/bach-dang/cong-an/</D:href>")
            #expect(element(principal.body, "D:displayname") == "Công an phường")
            let home = try await dav(client, "PROPFIND", "/dav/calendars/bach-dang/cong-an/", user: "cong-an", code: f.police,
                                     body: propfindBody, headers: [HTTPField.Name("Depth")!: "1"])
            #expect(hrefs(home.body).filter { $0.hasPrefix("/dav/calendars/") } == [
                "/dav/calendars/bach-dang/cong-an/", Self.tasks, "/dav/calendars/bach-dang/cong-an/events/",
            ])
            #expect(home.body.contains("<D:displayname>Công an phường — Công việc</D:displayname>"))
            #expect(home.body.contains("<C:comp name=\"VTODO\"/>") && home.body.contains("<C:comp name=\"VEVENT\"/>"))
            let leadHome = try await dav(client, "PROPFIND", "/dav/calendars/bach-dang/vhxh/", user: "vhxh", code: f.lead,
                                         body: propfindBody, headers: [HTTPField.Name("Depth")!: "1"])
            #expect(hrefs(leadHome.body).contains("/dav/calendars/bach-dang/vhxh/all-tasks/"))
            // Another unit's home is not the police's to read.
            let other = try await dav(client, "PROPFIND", "/dav/calendars/bach-dang/vhxh/", user: "cong-an", code: f.police,
                                      body: propfindBody)
            #expect(other.status == .forbidden)
        }
    }

    @Test("the task collection holds the task feed's items and UIDs, each with an ETag")
    func sameItemsAsTheFeed() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let feed = try await client.execute(uri: "/calendars/bach-dang/cong-an-tasks.ics", method: .get) { String(buffer: $0.body) }
            let uids = feed.components(separatedBy: "\r\n").filter { $0.hasPrefix("UID:task/") }
                .map { String($0.dropFirst("UID:task/".count).prefix { $0 != "@" }) }
            let listing = try await dav(client, "PROPFIND", Self.tasks, user: "cong-an", code: f.police, body: propfindBody,
                                        headers: [HTTPField.Name("Depth")!: "1"])
            let items = hrefs(listing.body).filter { $0.hasSuffix(".ics") }
            #expect(!uids.isEmpty)
            #expect(items == uids.map { Self.tasks + $0.replacingOccurrences(of: "/", with: "_") + ".ics" })
            #expect(listing.body.components(separatedBy: "<D:getetag>").count - 1 == items.count)
            let got = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            #expect(got.status == .ok && got.headers[.eTag] != nil)
            #expect(got.body.contains("UID:task/dissemination/2026/cong-an@bach-dang.plancal"))
            #expect(got.body.hasPrefix("BEGIN:VCALENDAR\r\n") && got.body.contains("STATUS:NEEDS-ACTION"))
        }
    }

    @Test("a tick is a completion record with the code's label and the app; untick withdraws it; sync lists the change")
    func tickAndUntick() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let first = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: syncBody(""))
            let token = try #require(element(first.body, "D:sync-token"))
            let got = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            let etag = try #require(got.headers[.eTag])
            var ticked = setProperty(got.body, "STATUS", "COMPLETED")
            ticked = setProperty(ticked, "COMPLETED", "20261128T030000Z")
            ticked = setProperty(ticked, "URL", "https://bachdang.example/tin/pho-bien-2026")
            let put = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police, body: ticked,
                                    headers: [.ifMatch: etag, .contentType: "text/calendar", .userAgent: "DAVx5/4.4 (Tasks.org)"])
            #expect(put.status == .noContent)
            #expect(put.headers[.eTag] == nil)
            let records = try await f.repositories.completions.records(plan: "bach-dang")
            let done = try #require(records.last)
            #expect(done.action == .done && done.occurrenceID == "dissemination/2026/cong-an" && done.unit == "cong-an")
            #expect(done.recordedBy == "Anh Hùng" && done.client == "DAVx5/4.4 (Tasks.org)")
            #expect(done.doneOn == CivilDate(year: 2026, month: 11, day: 28))
            #expect(done.evidenceURL == "https://bachdang.example/tin/pho-bien-2026")
            let after = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            #expect(after.body.contains("STATUS:COMPLETED") && after.headers[.eTag] != etag)
            let sync = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: syncBody(token))
            #expect(hrefs(sync.body) == [Self.item])
            #expect(element(sync.body, "D:sync-token") != token)
            #expect(sync.body.contains("STATUS:COMPLETED"))
            // No change since: the same token, nothing listed.
            let newToken = try #require(element(sync.body, "D:sync-token"))
            let quiet = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: syncBody(newToken))
            #expect(hrefs(quiet.body).isEmpty && element(quiet.body, "D:sync-token") == newToken)
            // Untick as python caldav does it: STATUS and COMPLETED changed, our PERCENT-COMPLETE:100 left.
            let reopened = setProperty(setProperty(after.body, "STATUS", "NEEDS-ACTION"), "COMPLETED", nil)
            #expect(reopened.contains("PERCENT-COMPLETE:100"))
            let untick = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police, body: reopened,
                                       headers: [.userAgent: "DAVx5/4.4 (Tasks.org)"])
            #expect(untick.status == .noContent)
            let undo = try #require(try await f.repositories.completions.records(plan: "bach-dang").last)
            #expect(undo.action == .undo && undo.reason == "bỏ đánh dấu trong ứng dụng" && undo.client == "DAVx5/4.4 (Tasks.org)")
            let again = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            #expect(again.body.contains("STATUS:NEEDS-ACTION"))
        }
    }

    @Test("refusals: plan-owned changes, a stale If-Match, new items, DELETE, MKCALENDAR, PROPPATCH, garbage; nothing written")
    func refusals() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let got = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            let completed = setProperty(got.body, "STATUS", "COMPLETED")
            let summary = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police,
                                        body: setProperty(completed, "SUMMARY", "Việc khác"))
            #expect(summary.status == .forbidden)
            #expect(summary.body.contains("<C:valid-calendar-object-resource/>") && summary.body.contains("tên công việc"))
            let due = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police,
                                    body: setProperty(completed, "DUE;VALUE=DATE", "20261231"))
            #expect(due.status == .forbidden)
            let stale = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police, body: completed,
                                      headers: [.ifMatch: "\"0000000000000000\""])
            #expect(stale.status == .preconditionFailed)
            let new = try await dav(client, "PUT", Self.tasks + "moi.ics", user: "cong-an", code: f.police, body: completed)
            #expect(new.status == .forbidden && new.body.contains("công việc do kế hoạch quy định"))
            for method in ["DELETE", "MKCALENDAR", "PROPPATCH"] {
                let r = try await dav(client, method, method == "DELETE" ? Self.item : Self.tasks, user: "cong-an", code: f.police)
                #expect(r.status == .forbidden, "\(method)")
                #expect(r.body.contains("<D:responsedescription>"), "\(method)")
            }
            for (method, path) in [("MKCALENDAR", "/dav/calendars/bach-dang/cong-an/lich-moi/"), ("MKCOL", "/dav/calendars/bach-dang/cong-an/x/")] {
                let r = try await dav(client, method, path, user: "cong-an", code: f.police)
                #expect(r.status == .forbidden && r.body.contains("do kế hoạch quy định"), "\(method) \(path)")
            }
            let garbage = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police, body: "không phải iCalendar")
            #expect(garbage.status == .badRequest)
            let huge = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police,
                                     body: String(repeating: "x", count: (1 << 20) + 10))
            #expect(huge.status == .contentTooLarge)
            let foreign = try await dav(client, "PUT", Self.news, user: "cong-an", code: f.police, body: completed)
            #expect(foreign.status == .forbidden)
            let events = try await dav(client, "PUT", "/dav/calendars/bach-dang/cong-an/events/dissemination_2026_cong-an.ics",
                                       user: "cong-an", code: f.police, body: completed)
            #expect(events.status == .forbidden)
            #expect(try await f.repositories.completions.records(plan: "bach-dang").isEmpty)
        }
    }

    @Test("a news item ticked without its link: 403 with the reason, shown at the top of the task; with the link, recorded")
    func newsNeedsItsLink() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let got = try await dav(client, "GET", Self.news, user: "vhxh", code: f.lead)
            var ticked = setProperty(got.body, "STATUS", "COMPLETED")
            ticked = setProperty(ticked, "COMPLETED", "20261127T020000Z")
            let refused = try await dav(client, "PUT", Self.news, user: "vhxh", code: f.lead, body: ticked)
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("Chưa ghi nhận hoàn thành"))
            #expect(try await f.repositories.completions.records(plan: "bach-dang").isEmpty)
            let shown = try await dav(client, "GET", Self.news, user: "vhxh", code: f.lead)
            #expect(shown.body.replacingOccurrences(of: "\r\n ", with: "").contains("DESCRIPTION:Chưa ghi nhận:"))
            #expect(shown.headers[.eTag] != got.headers[.eTag])
            // The same task, the link in the URL field (sent back with the notice still on it).
            var linked = setProperty(shown.body, "STATUS", "COMPLETED")
            linked = setProperty(linked, "URL", "https://bachdang.example/tin/binh-dang-gioi-q4")
            let ok = try await dav(client, "PUT", Self.news, user: "vhxh", code: f.lead, body: linked,
                                   headers: [.ifMatch: try #require(shown.headers[.eTag])])
            #expect(ok.status == .noContent)
            let r = try #require(try await f.repositories.completions.records(plan: "bach-dang").last)
            #expect(r.occurrenceID == "quarterly-news/2026-Q4" && r.evidenceURL == "https://bachdang.example/tin/binh-dang-gioi-q4")
            let after = try await dav(client, "GET", Self.news, user: "vhxh", code: f.lead)
            #expect(!after.body.contains("Chưa ghi nhận:") && after.body.contains("STATUS:COMPLETED"))

            // Unticked, then ticked with the link alone on a line added to the notes: the link is
            // the evidence, and no note repeats it; with words beside it, those are the note.
            let reopened = setProperty(setProperty(after.body, "STATUS", "NEEDS-ACTION"), "COMPLETED", nil)
            #expect(try await dav(client, "PUT", Self.news, user: "vhxh", code: f.lead, body: reopened).status == .noContent)
            func addedToNotes(_ ics: String, _ text: String) -> String {
                ics.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n")
                    .map { $0.hasPrefix("DESCRIPTION:") ? $0 + "\\n" + text : $0 }.joined(separator: "\r\n")
            }
            for (added, note) in [("https://bachdang.example/tin/q4-b", nil as String?),
                                  ("Tin đăng trên loa: https://bachdang.example/tin/q4-b", "Tin đăng trên loa: https://bachdang.example/tin/q4-b")] {
                let open = try await dav(client, "GET", Self.news, user: "vhxh", code: f.lead)
                let tick = addedToNotes(setProperty(setProperty(open.body, "STATUS", "COMPLETED"), "URL", nil), added)
                #expect(try await dav(client, "PUT", Self.news, user: "vhxh", code: f.lead, body: tick).status == .noContent)
                let r = try #require(try await f.repositories.completions.records(plan: "bach-dang").last)
                #expect(r.evidenceURL == "https://bachdang.example/tin/q4-b" && r.note == note, "\(added)")
                let done = try await dav(client, "GET", Self.news, user: "vhxh", code: f.lead)
                let untick = setProperty(setProperty(done.body, "STATUS", "NEEDS-ACTION"), "COMPLETED", nil)
                #expect(try await dav(client, "PUT", Self.news, user: "vhxh", code: f.lead, body: untick).status == .noContent)
            }
        }
    }

    @Test("a write on the web or the API changes the sync token and the item's ETag")
    func apiWriteChangesToken() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let first = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: syncBody(""))
            let token = try #require(element(first.body, "D:sync-token"))
            let r = try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(f.police),
                                             body: json(["occurrence": "dissemination/2026/cong-an", "unit": "cong-an",
                                                         "on": "2026-11-20"])) { $0.status }
            #expect(r == .created)
            let sync = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: syncBody(token))
            #expect(hrefs(sync.body) == [Self.item])
            let query = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: """
                <?xml version="1.0" encoding="utf-8"?>
                <C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
                  <D:prop><D:getetag/></D:prop>
                  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO">
                    <C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter>
                </C:calendar-query>
                """)
            #expect(hrefs(query.body).contains(Self.item))
            #expect(hrefs(query.body).allSatisfy { $0.contains("2026") })
        }
    }

    @Test("request bodies: malformed XML is 400, an external entity is not loaded, Depth infinity is refused, unknown hrefs 404")
    func bodies() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let broken = try await dav(client, "PROPFIND", Self.tasks, user: "cong-an", code: f.police, body: "<D:propfind xmlns:D=\"DAV:\">")
            #expect(broken.status == .badRequest && broken.body.contains("không đọc được"))
            // An unknown href is echoed back (404): an entity loaded from a file would show there.
            let xxe = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: """
                <?xml version="1.0"?>
                <!DOCTYPE C:calendar-multiget [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
                <C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
                  <D:prop><D:getetag/></D:prop><D:href>/dav/x/&secret;</D:href></C:calendar-multiget>
                """)
            #expect(!xxe.body.contains("root:"))
            #expect(xxe.status == .badRequest || hrefs(xxe.body) == ["/dav/x/"])
            let infinite = try await dav(client, "PROPFIND", Self.tasks, user: "cong-an", code: f.police, body: propfindBody,
                                         headers: [HTTPField.Name("Depth")!: "infinity"])
            #expect(infinite.status == .forbidden && infinite.body.contains("<D:propfind-finite-depth/>"))
            let names = try await dav(client, "PROPFIND", Self.tasks, user: "cong-an", code: f.police, body: """
                <?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>
                """, headers: [HTTPField.Name("Depth")!: "0"])
            #expect(names.body.contains("<D:sync-token/>") && !names.body.contains("https://plancal.invalid/sync/"))
            let multiget = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police, body: """
                <?xml version="1.0"?>
                <C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
                  <D:prop><D:getetag/><C:calendar-data/></D:prop>
                  <D:href>\(Self.item)</D:href><D:href>\(Self.tasks)khong-co.ics</D:href>
                </C:calendar-multiget>
                """)
            #expect(hrefs(multiget.body) == [Self.item, Self.tasks + "khong-co.ics"])
            #expect(multiget.body.contains("HTTP/1.1 404 Not Found") && multiget.body.contains("BEGIN:VCALENDAR&#13;"))
            let oldToken = try await dav(client, "REPORT", Self.tasks, user: "cong-an", code: f.police,
                                         body: syncBody("https://plancal.invalid/sync/0/0000000000000000"))
            #expect(oldToken.status == .forbidden && oldToken.body.contains("<D:valid-sync-token/>"))
        }
    }

    @Test("free-busy-query: a session is busy in UTC, all-day items and tasks are not; a range is required")
    func freeBusy() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            func query(_ collection: String, _ range: String) async throws -> DAVReply {
                try await dav(client, "REPORT", "/dav/calendars/bach-dang/vhxh/\(collection)/", user: "vhxh", code: f.lead, body: """
                    <?xml version="1.0" encoding="utf-8"?>
                    <C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">\(range)</C:free-busy-query>
                    """)
            }
            let march = #"<C:time-range start="20270301T000000Z" end="20270401T000000Z"/>"#
            let events = try await query("events", march)
            #expect(events.status == .ok && events.headers[.contentType]?.hasPrefix("text/calendar") == true)
            // 18/03/2027 08:00–11:30 in Hà Nội is 01:00–04:30 UTC.
            #expect(events.body.contains("BEGIN:VFREEBUSY") && events.body.contains("FREEBUSY:20270318T010000Z/20270318T043000Z"))
            #expect(events.body.components(separatedBy: "FREEBUSY:").count - 1 == 1)
            let tasks = try await query("tasks", march)
            #expect(tasks.status == .ok && tasks.body.contains("BEGIN:VFREEBUSY") && !tasks.body.contains("FREEBUSY:"))
            let april = try await query("events", #"<C:time-range start="20270401T000000Z" end="20270501T000000Z"/>"#)
            #expect(!april.body.contains("FREEBUSY:"))
            #expect(try await query("events", "").status == .badRequest)
            #expect(try await query("events", #"<C:time-range start="hôm qua"/>"#).status == .badRequest)
        }
    }

    @Test("unticking a task done through another item's record is refused with the record named, shown on the done task")
    func untickOfAFulfilledTask() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let done = try await client.execute(uri: "/api/bach-dang/completions", method: .post, headers: bearer(f.lead),
                                                body: json(["occurrence": "action-month/2026", "unit": "vhxh", "on": "2026-11-20"])) { $0.status }
            #expect(done == .created)
            let planning = "/dav/calendars/bach-dang/vhxh/tasks/action-month-planning_2026.ics"
            let got = try await dav(client, "GET", planning, user: "vhxh", code: f.lead)
            #expect(got.body.contains("STATUS:COMPLETED"))
            let reopened = setProperty(setProperty(got.body, "STATUS", "NEEDS-ACTION"), "COMPLETED", nil)
            let refused = try await dav(client, "PUT", planning, user: "vhxh", code: f.lead, body: reopened)
            #expect(refused.status == .forbidden && refused.body.contains("nhờ bản ghi số"))
            #expect(try await f.repositories.completions.records(plan: "bach-dang").count == 1)
            let shown = try await dav(client, "GET", planning, user: "vhxh", code: f.lead)
            #expect(shown.body.contains("STATUS:COMPLETED"))
            let unfolded = shown.body.replacingOccurrences(of: "\r\n ", with: "")
            #expect(unfolded.contains("DESCRIPTION:Chưa ghi nhận: Việc này được tính là hoàn thành nhờ bản ghi số 1"))
            // The link is the fulfilling record's item, and the way out is to withdraw that record.
            #expect(unfolded.contains("/occurrences/action-month/2026 để hủy bản ghi đó"))
            // The done task says which record did it.
            #expect(unfolded.contains("\\n✓ Đã hoàn thành qua bản ghi số 1"))

            // The record withdrawn, the task is open; a new record makes it done again: the old
            // notice (naming record 1) does not come back with it.
            func api(_ path: String, _ body: [String: String]) async throws -> HTTPResponse.Status {
                try await client.execute(uri: path, method: .post, headers: bearer(f.lead), body: json(body)) { $0.status }
            }
            #expect(try await api("/api/bach-dang/undo", ["occurrence": "action-month/2026", "unit": "vhxh", "reason": "nhầm"]) == .created)
            let open = try await dav(client, "GET", planning, user: "vhxh", code: f.lead)
            #expect(!open.body.contains("STATUS:COMPLETED") && !open.body.contains("Chưa ghi nhận:"))
            #expect(try await api("/api/bach-dang/completions", ["occurrence": "action-month/2026", "unit": "vhxh", "on": "2026-11-21"])
                == .created)
            let again = try await dav(client, "GET", planning, user: "vhxh", code: f.lead)
            #expect(again.body.contains("STATUS:COMPLETED"))
            #expect(!again.body.contains("Chưa ghi nhận:"))
            #expect(again.body.replacingOccurrences(of: "\r\n ", with: "").contains("\\n✓ Đã hoàn thành qua bản ghi số 3"))
        }
    }

    @Test("an app that sends the task back in another Unicode normal form (NFD) still ticks it")
    func decomposedText() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let got = try await dav(client, "GET", Self.item, user: "cong-an", code: f.police)
            let nfd = setProperty(got.body, "STATUS", "COMPLETED").decomposedStringWithCanonicalMapping
            #expect(Array(nfd.utf8) != Array(setProperty(got.body, "STATUS", "COMPLETED").utf8))
            let put = try await dav(client, "PUT", Self.item, user: "cong-an", code: f.police, body: nfd)
            #expect(put.status == .noContent)
            #expect(try await f.repositories.completions.records(plan: "bach-dang").count == 1)
        }
    }
}
