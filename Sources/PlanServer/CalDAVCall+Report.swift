import Foundation
import Hummingbird
import HTTPTypes
import ICal
import PlanCore
import PlanDAV

/// REPORT: `calendar-query`, `calendar-multiget` (RFC 4791 §7.8–7.9) and `sync-collection`
/// (RFC 6578), on a collection.
extension CalDAVCall {
    func report() async throws -> Response {
        guard case let .collection(_, _, c) = resource else {
            throw CalDAVFailure(.forbidden, .d("supported-report"), "Chỉ gửi REPORT tới một lịch (…/tasks/, …/events/)")
        }
        let ask: ReportRequest
        do { ask = try ReportRequest.parse(try await body()) } catch let e as DAVRequestError {
            if case .unsupportedReport = e { throw CalDAVFailure(.forbidden, .d("supported-report"), e.description) }
            throw CalDAVFailure(.badRequest, nil, e.description)
        }
        let s = try collectionState(c)
        var out = MultiStatus()
        switch ask {
        case let .calendarQuery(names, component, range):
            let kind = c.variant == .tasks ? "VTODO" : "VEVENT"
            guard component == nil || component == kind else { return Self.multiStatus(out.document()) }
            let window = Self.days(range)
            for name in s.names {
                guard let o = s.occurrences[name] else { continue }
                if let start = window.start, o.last < start { continue }
                if let end = window.end, o.first >= end { continue }
                try answerItem(name, c, s, names: names, into: &out)
            }
            return Self.multiStatus(out.document())
        case let .multiget(names, hrefs):
            for href in hrefs {
                if case let .item(plan, owner, collection, name)? = CalDAVResource(path: href),
                   plan == snapshot.plan.id, owner == unit, collection == c, s.etags[name] != nil {
                    try answerItem(name, c, s, names: names, into: &out)
                } else {
                    out.add(href: href, status: "404 Not Found")
                }
            }
            return Self.multiStatus(out.document())
        case let .freeBusy(range):
            guard let start = Self.instant(range.start) ?? (range.start == nil ? UTCDateTime(secondsSinceEpoch: 0) : nil),
                  let end = Self.instant(range.end) ?? (range.end == nil ? UTCDateTime(secondsSinceEpoch: 253_402_300_799) : nil),
                  start < end else {
                throw CalDAVFailure(.badRequest, .c("valid-filter"),
                                    "Khoảng thời gian (time-range) phải là ngày giờ UTC dạng 20261201T000000Z, bắt đầu trước khi kết thúc")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/calendar; charset=utf-8"
            let text = try snapshot.builder.freeBusy(unit: c.viewer(unit), variant: c.variant, from: start, to: end)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        case let .syncCollection(token, names):
            var changed = s.names
            var removed: [String] = []
            if !token.isEmpty {
                guard let old = try state.state(token: token, snapshot, unit: unit, collection: c) else {
                    throw CalDAVFailure(.forbidden, .d("valid-sync-token"),
                                        "Mã đồng bộ đã cũ hoặc không đúng: ứng dụng cần đồng bộ lại toàn bộ lịch")
                }
                changed = s.names.filter { old.etags[$0] != s.etags[$0] }
                removed = old.names.filter { s.etags[$0] == nil }
            }
            for name in changed { try answerItem(name, c, s, names: names, into: &out) }
            for name in removed { out.add(href: resource.href + name + ".ics", status: "404 Not Found") }
            return Self.multiStatus(out.document(syncToken: s.token))
        }
    }

    /// One item's answer; its text (for `calendar-data`) is the one its ETag was taken from.
    private func answerItem(_ name: String, _ c: CalDAVCollection, _ s: CalDAVCollectionState, names: [DAVName],
                            into out: inout MultiStatus) throws {
        guard let o = s.occurrences[name], let etag = s.etags[name], let modified = s.lastModified[name] else { return }
        var extra: [DAVName: String] = [:]
        if names.contains(.c("calendar-data")) {
            extra[.c("calendar-data")] = DAVXML.escape(try state.itemText(snapshot, o, unit: unit, collection: c))
        }
        properties.answer(href: CalDAVResource.collection(snapshot.plan.id, unit, c) + name + ".ics",
                          .item(c, etag: etag, lastModified: modified),
                          names: names, extra: extra, into: &out)
    }

    /// A UTC date-time in basic format (`20261201T000000Z`).
    static func instant(_ text: String?) -> UTCDateTime? { text.flatMap { UTCDateTime(basic: $0) } }

    /// A time range's days (its UTC dates; an item is a whole day or days in the plan's zone).
    static func days(_ range: DAVTimeRange?) -> (start: CivilDate?, end: CivilDate?) {
        (range?.start.flatMap { CivilDate(basic: $0) }, range?.end.flatMap { CivilDate(basic: $0) })
    }
}
