import Foundation

/// A day in the proleptic Gregorian calendar, with no time and no zone: the unit
/// plancal schedules in. Ordering is chronological.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Four-digit year.
    public let year: Int
    /// Month, 1...12.
    public let month: Int
    /// Day of the month, 1...31 (checked against the month).
    public let day: Int

    /// Creates a date, or returns nil when the day does not exist (e.g. 30/02).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CivilDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `yyyy-mm-dd` (ISO 8601) or `dd/mm/yyyy` (the Vietnamese way).
    public init?(parsing text: String) {
        // The stored form, yyyy-mm-dd, read without allocating (records are read by the thousand).
        if text.utf8.count == 10, let iso = CivilDate.iso(text) {
            self = iso
            return
        }
        let t = text.trimmingCharacters(in: .whitespaces)
        if let (y, m, d) = CivilDate.split(t, separator: "-", order: (0, 1, 2), widths: (4, 2, 2)) {
            self.init(year: y, month: m, day: d)
        } else if let (d, m, y) = CivilDate.split(t, separator: "/", order: (0, 1, 2), widths: (2, 2, 4)) {
            self.init(year: y, month: m, day: d)
        } else {
            return nil
        }
    }

    /// `yyyy-mm-dd` exactly (ten ASCII bytes), else nil.
    private static func iso(_ text: String) -> CivilDate? {
        var y = 0, m = 0, d = 0, i = 0
        for b in text.utf8 {
            if i == 4 || i == 7 {
                guard b == UInt8(ascii: "-") else { return nil }
            } else {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                let v = Int(b - UInt8(ascii: "0"))
                if i < 4 { y = y * 10 + v } else if i < 7 { m = m * 10 + v } else { d = d * 10 + v }
            }
            i += 1
        }
        return CivilDate(year: y, month: m, day: d)
    }

    private static func split(_ text: String, separator: Character, order: (Int, Int, Int),
                              widths: (Int, Int, Int)) -> (Int, Int, Int)? {
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let expected = [widths.0, widths.1, widths.2]
        var values: [Int] = []
        for (part, width) in zip(parts, expected) {
            // Accept one-digit day/month in dd/mm/yyyy ("7/5/2026"), never a short year.
            let okWidth = part.count == width || (width == 2 && part.count == 1)
            guard okWidth, part.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(part) else { return nil }
            values.append(v)
        }
        return (values[0], values[1], values[2])
    }

    /// Number of days in a month of a year.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date a number of days since 1970-01-01.
    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.year = y
        self.month = m
        self.day = d
    }

    /// This date moved by a number of days.
    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Days from this date to another (positive when `other` is later).
    public func days(until other: CivilDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// Calendar quarter, 1...4.
    public var quarter: Int { (month - 1) / 3 + 1 }

    /// `yyyy-mm-dd`.
    public var iso: String { CivilDate.pad(year, 4) + "-" + CivilDate.pad(month, 2) + "-" + CivilDate.pad(day, 2) }

    /// `dd/mm/yyyy`, the form Vietnamese readers expect.
    public var vietnamese: String { CivilDate.pad(day, 2) + "/" + CivilDate.pad(month, 2) + "/" + CivilDate.pad(year, 4) }

    /// `yyyymmdd`, as in iCalendar DATE values.
    public var basic: String { CivilDate.pad(year, 4) + CivilDate.pad(month, 2) + CivilDate.pad(day, 2) }

    /// Reads the date of an iCalendar basic-format value: its first eight characters as
    /// `yyyymmdd` (`20261201`, or the date of `20261201T030000Z`); nil when they are not a day.
    public init?(basic text: some StringProtocol) {
        var digits = 0, y = 0, m = 0, d = 0
        for b in text.utf8.prefix(8) {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            let v = Int(b - UInt8(ascii: "0"))
            if digits < 4 { y = y * 10 + v } else if digits < 6 { m = m * 10 + v } else { d = d * 10 + v }
            digits += 1
        }
        guard digits == 8 else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// A non-negative number with leading zeros to `width` digits (what `%0Nd` gives, without
    /// Foundation's formatter: feeds and pages format days by the thousand).
    static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.utf8.count >= width ? digits : String(repeating: "0", count: width - digits.utf8.count) + digits
    }

    public var description: String { iso }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The date in a fixed UTC offset at an instant.
    public init(instant: Date, utcOffsetSeconds: Int) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + utcOffsetSeconds
        self.init(daysSinceEpoch: Int((Double(seconds) / 86_400).rounded(.down)))
    }
}

/// A moment in UTC with second precision, as DTSTAMP, LAST-MODIFIED and COMPLETED need.
public struct UTCDateTime: Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let secondsSinceEpoch: Int

    /// Creates a timestamp from seconds since the epoch.
    public init(secondsSinceEpoch: Int) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// Creates a timestamp from a Foundation date (truncated to the second).
    public init(_ date: Date) { self.secondsSinceEpoch = Int(date.timeIntervalSince1970.rounded(.down)) }

    /// Midnight UTC at the start of a day.
    public init(startOf date: CivilDate) { self.secondsSinceEpoch = date.daysSinceEpoch * 86_400 }

    /// Reads an iCalendar UTC date-time in basic format, exactly `yyyymmddThhmmssZ`
    /// (`20261201T030000Z`); nil for anything else (a local time, a date alone).
    public init?(basic text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
              let day = CivilDate(basic: text) else { return nil }
        var time: [Int] = []
        for i in stride(from: 9, to: 15, by: 2) {
            let (a, b) = (bytes[i], bytes[i + 1])
            guard (48...57).contains(a), (48...57).contains(b) else { return nil }
            time.append(Int(a - 48) * 10 + Int(b - 48))
        }
        guard time[0] < 24, time[1] < 60, time[2] < 61 else { return nil }
        self.init(secondsSinceEpoch: day.daysSinceEpoch * 86_400 + time[0] * 3600 + time[1] * 60 + time[2])
    }

    /// The Foundation date.
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)) }

    var parts: (date: CivilDate, hour: Int, minute: Int, second: Int) {
        let days = Int((Double(secondsSinceEpoch) / 86_400).rounded(.down))
        let rest = secondsSinceEpoch - days * 86_400
        return (CivilDate(daysSinceEpoch: days), rest / 3600, rest % 3600 / 60, rest % 60)
    }

    /// ISO 8601 with a `Z`, e.g. `2026-11-29T06:27:38Z`.
    public var iso: String {
        let p = parts
        return String(format: "%@T%02d:%02d:%02dZ", p.date.iso, p.hour, p.minute, p.second)
    }

    public static func < (lhs: UTCDateTime, rhs: UTCDateTime) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }
}
