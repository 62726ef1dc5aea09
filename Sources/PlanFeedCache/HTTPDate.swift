import Foundation
public import HTTPTypes
public import ICal
import Synchronization

/// HTTP dates and conditional requests (RFC 9110 §13).
public enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, e.g. `Sun, 29 Nov 2026 00:00:00 GMT`, without a DateFormatter (one per call
    /// cost a quarter of a 304's CPU).
    public static func format(_ t: UTCDateTime) -> String {
        let seconds = t.secondsSinceEpoch
        let days = Int((Double(seconds) / 86400).rounded(.down))
        let day = CivilDate(daysSinceEpoch: days)
        let rest = seconds - days * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(two(day.day)) \(months[day.month - 1]) \(day.year) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) GMT"
    }

    /// Reads an IMF-fixdate; nil for anything else.
    public static func parse(_ text: String) -> UTCDateTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let d = Int(parts[1]), let y = Int(parts[3]),
              let m = months.firstIndex(of: String(parts[2])) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (0..<24).contains(hms[0]), (0..<60).contains(hms[1]), (0..<61).contains(hms[2]),
              let day = CivilDate(year: y, month: m + 1, day: d) else { return nil }
        return UTCDateTime(secondsSinceEpoch: UTCDateTime(startOf: day).secondsSinceEpoch + hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    /// If-None-Match wins over If-Modified-Since when both are sent.
    public static func notModified(_ headers: HTTPFields, etag: String, lastModified: UTCDateTime) -> Bool {
        notModified(ifNoneMatch: headers[.ifNoneMatch], ifModifiedSince: headers[.ifModifiedSince],
                    etag: etag, lastModified: lastModified)
    }

    /// The same from the two headers' values.
    @inlinable
    public static func notModified(ifNoneMatch: String?, ifModifiedSince: String?, etag: String, lastModified: UTCDateTime) -> Bool {
        if let inm = ifNoneMatch {
            // The usual case, one tag sent back as it was received: no splitting.
            if inm == etag { return true }
            let tags = inm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains("*") || tags.contains(etag) || tags.contains("W/" + etag)
        }
        if let ims = ifModifiedSince, let since = parse(ims) {
            return lastModified <= since
        }
        return false
    }
}
