import Foundation
import ICal

/// Checks shared by the plan loader, the completion recorder and the edges.
public enum Validation {
    /// True for an absolute http or https URL with a host, no spaces and no control characters.
    public static func isHTTPURL(_ text: String) -> Bool {
        guard text.count <= 2048, !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }),
              let comps = URLComponents(string: text), let scheme = comps.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = comps.host, !host.isEmpty else { return false }
        return true
    }

    /// True when text has no control characters other than tab and line breaks: they are not
    /// allowed in iCalendar TEXT (RFC 5545 §3.3.11) and would reach terminals raw.
    public static func isPrintable(_ text: String) -> Bool {
        !text.unicodeScalars.contains { s in
            (s.value < 0x20 && s != "\n" && s != "\t" && s != "\r") || (0x7f...0x9f).contains(s.value)
        }
    }

    /// Printable and on one line: for names and labels.
    public static func isPrintableLine(_ text: String) -> Bool {
        isPrintable(text) && !text.contains(where: \.isNewline)
    }

    /// Parses `yyyy-mm-dd` (midnight UTC) or `yyyy-mm-ddThh:mm:ssZ`.
    public static func parseTimestamp(_ text: String) -> UTCDateTime? {
        if let d = CivilDate(parsing: text), text.contains("-") { return UTCDateTime(startOf: d) }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text).map(UTCDateTime.init)
    }
}
