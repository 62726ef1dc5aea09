import Foundation
import ICal
import PlanCore

/// The compliance report of a year as a page to read and to print: the tracked targets, each
/// unit's annual report and on-time rate, what was declared not applicable and why, and the
/// obstacles units raised. Says the same as `plancal compliance --year` and the CSV.
struct ReportPage: Page {
    static let template = "report"
    struct QuarterRow: Sendable {
        var quarterLabel: String
        var quarterState: String
        var quarterStateLabel: String
        var quarterItems: [DashboardPage.NewsLink]
    }
    struct News: Sendable {
        /// `report-news` for the first news target, `report-news-<target>` for the others.
        var sectionID: String
        var newsHeading: String
        /// The first column's heading: `Quý` or `Tháng`.
        var periodWord: String
        var quarterRows: [QuarterRow]
        var newsSummary: String
    }
    struct Org: Sendable {
        var orgName: String
        var orgInformed: String?
    }
    struct Dissemination: Sendable {
        var disHeading: String
        var disState: String
        var disStateLabel: String
        var disSummary: String
        var orgs: [Org]
        var notCounted: String?
    }
    struct Reach: Sendable {
        var reachHeading: String
        var reachText: String
    }
    struct UnitRow: Sendable {
        var rowName: String
        var reportState: String
        var reportLabel: String
        var reportDay: String
        var counts: String
        var rate: String
    }
    struct WaivedRow: Sendable {
        var waivedTitle: String
        var waivedReason: String
        var waivedBy: String
    }
    struct ObstacleRow: Sendable {
        var obstacleUnit: String
        var obstacleDay: String
        var obstacleText: String
    }
    var chrome: PageChrome
    var heading: String
    var year: Int
    var years: [SelectOption]
    var formAction: String
    var news: [News]
    var dissemination: [Dissemination]
    var reach: [Reach]
    var units: [UnitRow]
    var waived: [WaivedRow]
    var hasWaived: Bool
    var obstacles: [ObstacleRow]
    var hasObstacles: Bool
    var csvLink: String
    var jsonLink: String
    var legend: StateLegend

    static func build(plan: Plan, report: ComplianceReport, ledger: CompletionLedger, chrome: PageChrome) -> ReportPage {
        let day = { (iso: String) in CivilDate(parsing: iso)?.vietnamese ?? iso }
        let news = report.news.enumerated().map { i, track in
            let judged = track.periods.filter(\.isJudged)
            return News(sectionID: i == 0 ? "report-news" : "report-news-\(track.target)",
                        newsHeading: plan.target(track.target)?.heading ?? track.target.rawValue,
                        periodWord: track.period == .quarter ? "Quý" : "Tháng",
                        quarterRows: track.periods.map { q in
                QuarterRow(quarterLabel: q.label, quarterState: q.state.rawValue, quarterStateLabel: q.state.label(track.period),
                           quarterItems: q.items.map { DashboardPage.NewsLink(date: day($0.date), url: $0.url, note: $0.url == nil ? $0.note ?? "" : nil) })
            }, newsSummary: "Đạt \(judged.filter { $0.state == .met }.count)/\(judged.count) \(track.period.word) được theo dõi đến nay.")
        }
        let dissemination = report.disseminations.map { d in
            Dissemination(
                disHeading: "\(plan.target(d.target)?.heading ?? d.target.rawValue) năm \(d.year)", disState: d.state.rawValue, disStateLabel: d.state.label,
                disSummary: "\(d.informed)/\(d.total) tổ chức (\(Vietnamese.percent(d.share)))",
                orgs: d.organisations.map { Org(orgName: $0.name, orgInformed: $0.informedOn.map(day)) },
                notCounted: d.notCounted.isEmpty ? nil : d.notCounted.joined(separator: "; "))
        }
        let reach = report.reaches.map { r in
            Reach(reachHeading: plan.target(r.target)?.heading ?? r.target.rawValue, reachText: r.summary)
        }
        let units = report.units.map { u in
            UnitRow(rowName: u.name, reportState: u.annualReport?.rawValue ?? "none", reportLabel: u.annualReport?.label ?? "Không phải nộp",
                    reportDay: u.annualReportOn.map { "ngày \(day($0))" } ?? u.annualReportDue.map { "hạn \(day($0))" } ?? "",
                    counts: (u.requested ? "Đề nghị: đã ghi nhận \(u.onTime + u.late)/\(u.due); chưa ghi nhận \(u.pending)"
                        : "\(u.onTime)/\(u.due) đúng hạn; trễ \(u.late); quá hạn \(u.overdue)") + (u.waived > 0 ? "; không áp dụng \(u.waived)" : ""),
                    rate: u.requested ? "không tính (đề nghị)" : u.onTimeRate.map { Vietnamese.percent($0) } ?? "—")
        }
        let waived = report.waived.map {
            WaivedRow(waivedTitle: $0.title, waivedReason: $0.reason, waivedBy: "\($0.by), \(day($0.on))")
        }
        let obstacles = ledger.adHoc.filter { $0.action == .obstacle && $0.doneOn?.year == report.year }.map {
            ObstacleRow(obstacleUnit: plan.name(of: $0.unit), obstacleDay: $0.doneOn?.vietnamese ?? "", obstacleText: $0.note ?? "")
        }
        return ReportPage(
            chrome: chrome, heading: "Báo cáo tiến độ năm \(report.year)", year: report.year,
            years: SelectOption.years(of: plan, selected: report.year),
            formAction: "/plans/\(plan.id)/report", news: news, dissemination: dissemination, reach: reach, units: units,
            waived: waived, hasWaived: !waived.isEmpty, obstacles: obstacles, hasObstacles: !obstacles.isEmpty,
            csvLink: "/api/\(plan.id)/compliance.csv?year=\(report.year)", jsonLink: "/api/\(plan.id)/compliance?year=\(report.year)",
            legend: .all)
    }
}
