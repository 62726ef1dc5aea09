import Foundation
import ICal

/// The time zones a plan may name: IANA Region/City zones that keep one UTC offset over the plan
/// period. The feeds carry the name in X-WR-TIMEZONE and one fixed-offset VTIMEZONE, so a name
/// must be one calendar clients know as that place (not `GMT+7`, `Etc/GMT-7`, whose sign is the
/// reverse of what it looks like, `Factory` or an old alias such as `US/Eastern`), and its offset
/// must not change while the plan runs.
enum PlanTimeZone {
    /// A plan's zone refused, with the reason in Vietnamese.
    struct Refusal: Error {
        var message: String
    }

    /// The first component of the zones people live in (tzdata's continents and oceans).
    static let regions: Set<String> = ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia",
                                       "Europe", "Indian", "Pacific"]

    /// tzdata's list of the zones of each country (`zone.tab`, what `tzselect` offers), or nil
    /// where tzdata is not installed; aliases (`Asia/Saigon`) are not in it.
    static let listed: Set<String>? = {
        guard let text = try? String(contentsOfFile: "/usr/share/zoneinfo/zone.tab", encoding: .utf8) else { return nil }
        let names = text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: "\t")
            return fields.count >= 3 ? String(fields[2]) : nil
        }
        return names.isEmpty ? nil : Set(names)
    }()

    /// tzdata's aliases and the zone each stands for (`L Asia/Ho_Chi_Minh Asia/Saigon` lines of
    /// `tzdata.zi`), to say which name to write instead.
    static let aliases: [String: String] = {
        guard let text = try? String(contentsOfFile: "/usr/share/zoneinfo/tzdata.zi", encoding: .utf8) else { return [:] }
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("L ") {
            let fields = line.split(separator: " ")
            if fields.count == 3 { out[String(fields[2])] = String(fields[1]) }
        }
        return out
    }()

    /// The zone's offset from UTC in seconds, the same over the whole period; or why the name is
    /// refused.
    static func fixedOffset(_ name: String, from start: CivilDate, through end: CivilDate) throws -> Int {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, regions.contains(String(parts[0])),
              parts.dropFirst().allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } })
        else {
            throw Refusal(message: "\"\(name)\" không phải là múi giờ IANA dạng Khu_vực/Thành_phố (ví dụ Asia/Ho_Chi_Minh; khu vực là Africa, America, Antarctica, Asia, Atlantic, Australia, Europe, Indian hoặc Pacific); không dùng GMT±giờ, Etc/… hay tên cũ như US/Eastern")
        }
        if let canonical = aliases[name] {
            throw Refusal(message: "\"\(name)\" là tên cũ của múi giờ \(canonical); hãy ghi \(canonical)")
        }
        guard let zone = TimeZone(identifier: name), listed?.contains(name) ?? true else {
            throw Refusal(message: "\"\(name)\" không phải là múi giờ IANA đã biết (ví dụ Asia/Ho_Chi_Minh)")
        }
        // From a day before the period to a day after it, so the first and last local days
        // are covered whatever side of UTC the zone is.
        let from = Date(timeIntervalSince1970: TimeInterval(UTCDateTime(startOf: start.adding(days: -1)).secondsSinceEpoch))
        let to = Date(timeIntervalSince1970: TimeInterval(UTCDateTime(startOf: end.adding(days: 2)).secondsSinceEpoch))
        let offset = zone.secondsFromGMT(for: from)
        // Every transition ICU knows (daylight saving and changes of standard offset alike, such
        // as Pacific/Apia crossing the date line on 30/12/2011); the last instant is compared too.
        var instant = from
        var change: Date?
        for _ in 0..<1_000 {
            guard let next = zone.nextDaylightSavingTimeTransition(after: instant), next < to else { break }
            if zone.secondsFromGMT(for: next) != offset {
                change = next
                break
            }
            instant = next
        }
        if change == nil, zone.secondsFromGMT(for: to) != offset { change = to }
        if let change {
            let local = (change.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: change))) / 86_400
            let day = CivilDate(daysSinceEpoch: Int(local.rounded(.down)))
            throw Refusal(message: "múi giờ \(name) đổi độ lệch so với UTC trong thời gian của kế hoạch (ngày \(day.vietnamese): từ \(utcOffset(offset)) sang \(utcOffset(zone.secondsFromGMT(for: change)))); plancal chỉ hỗ trợ múi giờ giữ một độ lệch cố định suốt thời gian của kế hoạch")
        }
        return offset
    }

    /// `+07:00`, `-03:30`.
    static func utcOffset(_ seconds: Int) -> String {
        let m = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + String(format: "%02d:%02d", m / 60, m % 60)
    }
}
