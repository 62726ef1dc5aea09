import Foundation

/// What is wrong with a WebDAV request body, in Vietnamese (the answer's `responsedescription`).
public enum DAVRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedXML(line: Int)
    case notUTF8
    case unsupportedMarkup
    case unexpectedRoot(DAVName, expected: String)
    case unsupportedReport(DAVName)
    case missing(String)

    public var description: String {
        switch self {
        case let .malformedXML(line):
            return "Nội dung XML của yêu cầu không đọc được (dòng \(line))"
        case .notUTF8:
            return "Nội dung XML của yêu cầu phải được mã hóa UTF-8"
        case .unsupportedMarkup:
            return "Nội dung XML của yêu cầu có DOCTYPE, khai báo thực thể, chú thích hoặc chỉ thị xử lý: máy chủ không nhận những phần này"
        case let .unexpectedRoot(name, expected):
            return "Phần tử gốc \(name.name) không phải là \(expected)"
        case let .unsupportedReport(name):
            return "Máy chủ không hỗ trợ báo cáo \(name.name)"
        case let .missing(what):
            return "Yêu cầu thiếu \(what)"
        }
    }
}

/// A PROPFIND body (RFC 4918 §9.1): which properties are asked for.
public enum PropfindRequest: Sendable, Equatable {
    /// `allprop` (or an empty body), with the `include` names asked for beside it.
    case all(include: [DAVName])
    /// `propname`: the names only.
    case names
    /// `prop`: these.
    case properties([DAVName])

    /// Reads a body; an empty one is `allprop`.
    public static func parse(_ data: Data) throws(DAVRequestError) -> PropfindRequest {
        guard data.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return .all(include: []) }
        let root = try DAVElement.parse(data)
        guard root.name == .d("propfind") else { throw .unexpectedRoot(root.name, expected: "DAV:propfind") }
        if let prop = root.child(.d("prop")) { return .properties(prop.children.map(\.name)) }
        if root.child(.d("propname")) != nil { return .names }
        return .all(include: root.child(.d("include"))?.children.map(\.name) ?? [])
    }
}

/// A CalDAV time range (RFC 4791 §9.9), as sent: UTC date-times in basic format.
public struct DAVTimeRange: Sendable, Equatable {
    public var start: String?
    public var end: String?

    public init(start: String?, end: String?) {
        self.start = start
        self.end = end
    }
}

/// A REPORT body: the three reports a calendar client sends.
public enum ReportRequest: Sendable, Equatable {
    /// `calendar-query` (RFC 4791 §7.8): the component asked for (`VTODO`, `VEVENT`) and a time range.
    case calendarQuery(properties: [DAVName], component: String?, range: DAVTimeRange?)
    /// `calendar-multiget` (RFC 4791 §7.9): these resources.
    case multiget(properties: [DAVName], hrefs: [String])
    /// `sync-collection` (RFC 6578 §3.2): what changed since `token` (empty: everything).
    case syncCollection(token: String, properties: [DAVName])
    /// `free-busy-query` (RFC 4791 §7.10): busy time in a range (required).
    case freeBusy(DAVTimeRange)

    /// Reads a body.
    public static func parse(_ data: Data) throws(DAVRequestError) -> ReportRequest {
        let root = try DAVElement.parse(data)
        let properties = root.child(.d("prop"))?.children.map(\.name) ?? [.d("getetag")]
        switch root.name {
        case .c("calendar-query"):
            // VCALENDAR > VTODO|VEVENT [> time-range]
            let calendar = root.child(.c("filter"))?.child(.c("comp-filter"))
            let inner = calendar?.child(.c("comp-filter"))
            let range = (inner?.child(.c("time-range")) ?? calendar?.child(.c("time-range"))).map {
                DAVTimeRange(start: $0.attributes["start"], end: $0.attributes["end"])
            }
            return .calendarQuery(properties: properties, component: inner?.attributes["name"]?.uppercased(), range: range)
        case .c("calendar-multiget"):
            return .multiget(properties: properties, hrefs: root.all(.d("href")).map(\.text))
        case .c("free-busy-query"):
            guard let range = root.child(.c("time-range")), range.attributes["start"] != nil || range.attributes["end"] != nil else {
                throw .missing("CALDAV:time-range")
            }
            return .freeBusy(DAVTimeRange(start: range.attributes["start"], end: range.attributes["end"]))
        case .d("sync-collection"):
            guard let token = root.child(.d("sync-token")) else { throw .missing("DAV:sync-token") }
            return .syncCollection(token: token.text, properties: properties)
        default:
            throw .unsupportedReport(root.name)
        }
    }
}
