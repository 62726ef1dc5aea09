import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

/// The city page: one row per plan served.
struct CityPage: Page {
    static let template = "city"
    struct Column: Sendable {
        var label: String
        var link: String
        var sorted: Bool
    }
    struct Row: Sendable {
        var name: String
        var link: String
        var quarters: String
        var quartersClass: String
        var informed: String
        var informedClass: String
        var reach: String
        var reachClass: String
        var reports: String
        var reportsClass: String
        var overdue: Int
        var overdueClass: String
        var lastFetch: String
    }
    struct Problem: Sendable {
        var path: String
        var message: String
    }
    var chrome: PageChrome
    var year: Int
    var count: Int
    var columns: [Column]
    var rows: [Row]
    var problems: [Problem]
    var hasProblems: Bool
    var jsonLink: String
    var csvLink: String

    static func build(report: CityReport, sort: CityReport.SortKey, descending: Bool, problems: [Problem]) -> CityPage {
        let labels: [(CityReport.SortKey, String)] = [
            (.plan, "Phường, xã"), (.quarters, "Quý có tin, bài"), (.informed, "Tổ chức được phổ biến"),
            (.reach, "Tiếp cận / lộ trình"), (.reports, "Báo cáo năm đã nhận (đúng hạn)"), (.overdue, "Quá hạn"),
            (.fetch, "Lần tải lịch gần nhất"),
        ]
        let columns = labels.map { key, label in
            // A second click on the sorted column turns the order round.
            let order = key == sort && !descending ? "&order=desc" : ""
            return Column(label: label + (key == sort ? (descending ? " ▼" : " ▲") : ""),
                          link: "/?sort=\(key.rawValue)\(order)&year=\(report.year)", sorted: key == sort)
        }
        func cls(_ ok: Bool?) -> String { ok.map { $0 ? "met" : "missed" } ?? "future" }
        let rows = report.rows.map { r in
            let reach: String
            if let share = r.reachShare, let path = r.reachPath {
                reach = "\(Vietnamese.percent(share)) / \(Vietnamese.percent(path))"
            } else if let n = r.reached {
                reach = "\(Vietnamese.number(n)) lượt (chưa có dân số)"
            } else {
                reach = "—"
            }
            return Row(
                name: r.issuer, link: "/plans/\(r.plan)",
                quarters: CityReport.fraction(r.quartersMet, r.quarters),
                quartersClass: cls(r.quarters.map { _ in r.quartersMet == r.quarters }),
                informed: CityReport.fraction(r.informed, r.organisations),
                informedClass: cls(r.organisations.map { _ in r.informed == r.organisations }),
                reach: reach, reachClass: cls(r.onTrack),
                reports: "\(r.reportsReceived)/\(r.reportsOwed) (\(r.reportsOnTime))",
                reportsClass: cls(r.reportsOwed == 0 ? nil : r.reportsReceived == r.reportsOwed),
                overdue: r.overdue, overdueClass: r.overdue == 0 ? "met" : "missed",
                lastFetch: r.lastFetchAt.map { Vietnamese.dateTime($0, utcOffsetSeconds: r.utcOffsetSeconds) } ?? "chưa có")
        }
        return CityPage(chrome: .plain(title: "Tổng hợp các phường, xã", heading: "plancal — tổng hợp các phường, xã"),
                        year: report.year, count: rows.count, columns: columns, rows: rows, problems: problems,
                        hasProblems: !problems.isEmpty, jsonLink: "/api/city.json?year=\(report.year)",
                        csvLink: "/api/city.csv?year=\(report.year)")
    }
}
