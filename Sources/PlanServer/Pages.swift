import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

// Typed page models: each page is a struct built by a pure function from domain values and
// rendered by the Mustache template named by `template`. Tests build them without HTTP.

/// A page rendered by a template.
protocol Page: Sendable {
    /// The template's name (in `Templates/`).
    static var template: String { get }
}

/// The header every page shares (the `head` partial reads it as `{{#chrome}}`).
struct PageChrome: Sendable {
    /// A link of the navigation bar.
    struct NavLink: Sendable {
        var navLabel: String
        var navHref: String
        var navID: String
    }
    var title: String
    var heading: String
    var issuer: String?
    var planID: String?
    var today: String?
    var signedIn: String?
    var csrf: String?
    var flash: String?
    var error: String?
    var nav: [NavLink] = []
    /// Where tracking starts, when the plan says (`tracking_from`).
    var trackingNote: String?

    /// A plan page's header: its subject and years, the issuer, today, who is signed in, and
    /// the links a person needs (their unit's page, the report, the admin page for the lead).
    static func plan(_ plan: Plan, today: CivilDate, session: WebSession?, title: String) -> PageChrome {
        var nav = [NavLink(navLabel: "Tổng quan", navHref: "/plans/\(plan.id)", navID: "nav-home")]
        if let unit = session?.token.unit {
            nav.append(NavLink(navLabel: "Đơn vị của tôi", navHref: "/plans/\(plan.id)/units/\(unit)", navID: "nav-unit"))
        }
        nav.append(NavLink(navLabel: "Báo cáo", navHref: "/plans/\(plan.id)/report", navID: "nav-report"))
        if let unit = session?.token.unit, unit == plan.leadUnit?.id {
            nav.append(NavLink(navLabel: "Quản trị", navHref: "/plans/\(plan.id)/admin", navID: "nav-admin"))
        }
        if session == nil {
            nav.append(NavLink(navLabel: "Đăng nhập", navHref: "/plans/\(plan.id)/login", navID: "nav-login"))
        }
        return PageChrome(
            title: title, heading: "\(plan.tracking.subject) \(plan.start.year)-\(plan.end.year) — \(plan.issuer)",
            issuer: plan.title, planID: plan.id, today: today.vietnamese,
            signedIn: session.map { "\(plan.unit($0.token.unit)?.name ?? $0.token.unit) (\($0.token.label))" },
            csrf: session?.csrf, nav: nav,
            trackingNote: plan.trackingFrom.map { "Theo dõi từ ngày \($0.vietnamese); việc có hạn trước ngày này là \"trước khi theo dõi\", không tính quá hạn." })
    }

    /// A header with no plan (the city page, errors).
    static func plain(title: String, heading: String = "plancal") -> PageChrome {
        PageChrome(title: title, heading: heading)
    }
}

/// A short message (errors, refusals, the list of plans).
struct MessagePage: Page {
    static let template = "message"
    struct PlanLink: Sendable {
        var name: String
        var link: String
    }
    var chrome: PageChrome
    var heading2: String
    var message: String
    var back: String
    var plans: [PlanLink] = []

    /// A page for an error status.
    static func error(status: HTTPResponse.Status, message: String) -> MessagePage {
        let heading: String
        switch status.code {
        case 404: heading = "Không tìm thấy"
        case 413: heading = "Nội dung quá lớn"
        case 503, 507: heading = "Máy chủ tạm thời không ghi được"
        case 400..<500: heading = "Yêu cầu không hợp lệ"
        default: heading = "Lỗi máy chủ"
        }
        return MessagePage(chrome: .plain(title: heading), heading2: heading, message: message, back: "/")
    }
}

/// The sign-in page.
struct LoginPage: Page {
    static let template = "login"
    var chrome: PageChrome
    /// Who issues tokens, for the hint.
    var leadName: String
    /// A token handed over in a sign-in link (`?ma=`), put in the field: signing in still
    /// takes a click (a link alone never signs anyone in).
    var presetToken: String
}

/// A plan's dashboard: the tracked targets, what needs attention, the feeds.
struct DashboardPage: Page {
    static let template = "dashboard"

    struct NewsLink: Sendable {
        var date: String
        var url: String?
        var note: String?
    }
    struct Cell: Sendable {
        var key: String
        var state: String
        var stateLabel: String
        var links: [NewsLink]
    }
    struct GridYear: Sendable {
        var year: Int
        var quarters: [Cell]
    }
    struct News: Sendable {
        /// `news` for the first news target, `news-<target>` for the others.
        var sectionID: String
        var heading: String
        /// The period columns: `Quý I` … `Quý IV`, or the months.
        var columns: [String]
        var grid: [GridYear]
        var legend: String
    }
    struct Organisation: Sendable {
        var name: String
        var informedOn: String?
    }
    struct Dissemination: Sendable {
        var heading: String
        var informed: Int
        var total: Int
        var percent: String
        var met: Bool
        var stateCode: String
        var stateText: String
        var missingText: String?
        var organisations: [Organisation]
        var notCountedText: String?
    }
    struct Chart: Sendable {
        struct YearMark: Sendable {
            var year: Int
            var x: Int
        }
        var goalY: Int
        var goalYText: Int
        var goalText: String
        var todayX: Int
        var years: [YearMark]
        var shareY: Int?
    }
    struct Population: Sendable {
        var populationText: String
        var shareText: String
        var trackText: String
    }
    struct Reach: Sendable {
        var heading: String
        var reachedText: String
        var pathText: String
        var goalText: String
        var population: Population?
        var svg: Chart
    }
    struct Obstacle: Sendable {
        var obstacleUnit: String
        var obstacleDay: String
        var obstacleText: String
        var obstacleLink: String
    }
    struct UnitFeeds: Sendable {
        var name: String
        var link: String
        var https: String
        var webcal: String
        var tasksHttps: String
        var tasksWebcal: String
    }
    struct Fetch: Sendable {
        var feed: String
        var userAgent: String
        var last: String
        var count: Int
    }

    var chrome: PageChrome
    var news: [News]
    var dissemination: [Dissemination]
    var reach: [Reach]
    var todo: TodoList
    var legend: StateLegend
    var obstacles: [Obstacle]
    var hasObstacles: Bool
    var units: [UnitFeeds]
    var fetches: [Fetch]
    var hasFetches: Bool
    var reportLink: String
    /// Every target's indicators and the figures form.
    var indicatorsLink = ""
    var csvLink: String
    var jsonLink: String

    static func build(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, today: CivilDate,
                      chrome: PageChrome, feeds: (String) -> FeedLinks, fetches: [FeedFetch],
                      canMark: (Occurrence) -> Bool = { _ in false }) -> DashboardPage {
        let report = ComplianceReport(plan: plan, occurrences: occurrences, ledger: ledger, today: today)
        let news = report.news.enumerated().map { i, track in
            let byKey = Dictionary(uniqueKeysWithValues: track.periods.map { ($0.key, $0) })
            let quarterly = track.period == .quarter
            let word = track.period.word
            return News(
                sectionID: i == 0 ? "news" : "news-\(track.target)",
                heading: plan.target(track.target)?.heading ?? track.target,
                columns: quarterly ? (1...4).map { "Quý \(Vietnamese.roman($0))" } : (1...12).map { "Th. \($0)" },
                grid: plan.years.map { year in
                    GridYear(year: year, quarters: (1...(quarterly ? 4 : 12)).map { n in
                        let key = quarterly ? "\(year)-Q\(n)" : String(format: "%04d-%02d", year, n)
                        guard let quarter = byKey[key] else { return Cell(key: key, state: "future", stateLabel: "Chưa đến", links: []) }
                        return Cell(key: key, state: quarter.state.rawValue, stateLabel: quarter.state.label(track.period), links: quarter.items.map {
                            // An item without a link (a loudspeaker bulletin) shows its note on hover.
                            NewsLink(date: CivilDate(parsing: $0.date)?.vietnamese ?? $0.date, url: $0.url,
                                     note: $0.url == nil ? ($0.note ?? "") : nil)
                        })
                    })
                },
                legend: "Đạt: có tin, bài đăng trong \(word) · Trễ: chỉ đăng sau khi hết \(word) · Không đạt: không có tin, bài · Đang trong \(word): chưa hết \(word) · Chưa đến: \(word) chưa bắt đầu · Trước khi theo dõi: \(word) kết thúc trước ngày phường bắt đầu theo dõi, không tính.")
        }
        let dissemination = report.disseminations.map { d in
            let missing = d.organisations.filter { $0.informedOn == nil }.map(\.name)
            return Dissemination(
                heading: "\(plan.target(d.target)?.heading ?? d.target) năm \(d.year)", informed: d.informed, total: d.total,
                percent: Vietnamese.percent(d.share), met: d.met, stateCode: d.state.rawValue, stateText: d.state.label,
                missingText: missing.isEmpty ? nil : missing.joined(separator: "; "),
                organisations: d.organisations.map {
                    Organisation(name: $0.name, informedOn: $0.informedOn.map { CivilDate(parsing: $0)?.vietnamese ?? $0 })
                },
                notCountedText: d.notCounted.isEmpty ? nil : d.notCounted.joined(separator: "; "))
        }
        let reach = report.reaches.map { r in
            var population: Population?
            if let pop = r.population, let share = r.share {
                population = Population(populationText: Vietnamese.number(pop), shareText: Vietnamese.percent(share),
                                        trackText: r.onTrack == true ? "đúng lộ trình" : "chậm so với lộ trình")
            }
            return Reach(heading: plan.target(r.target)?.heading ?? r.target, reachedText: Vietnamese.number(r.reached),
                         pathText: Vietnamese.percent(r.path), goalText: Vietnamese.percent(r.goal), population: population,
                         svg: chart(plan: plan, today: today, share: r.share, goal: r.goal))
        }
        let todo = TodoList.build(plan: plan, occurrences: occurrences, ledger: ledger, today: today, unit: nil,
                                  canMark: canMark)
        // Obstacles units raised this year and have not withdrawn, latest first.
        let obstacles = ledger.adHoc.filter { $0.action == .obstacle && $0.doneOn?.year == today.year }.reversed().map {
            Obstacle(obstacleUnit: plan.unit($0.unit)?.name ?? $0.unit, obstacleDay: $0.doneOn?.vietnamese ?? "",
                     obstacleText: $0.note ?? "", obstacleLink: "/plans/\(plan.id)/records/\($0.id ?? 0)")
        }
        let units = ([nil] + plan.allUnits.map { Optional($0) }).map { unit -> UnitFeeds in
            let id = unit?.id ?? "all"
            let events = feeds("\(id).ics"), tasks = feeds("\(id)-tasks.ics")
            return UnitFeeds(name: unit?.name ?? "Toàn phường (tất cả đơn vị)",
                             link: unit.map { "/plans/\(plan.id)/units/\($0.id)" } ?? "/plans/\(plan.id)",
                             https: events.https, webcal: events.webcal, tasksHttps: tasks.https, tasksWebcal: tasks.webcal)
        }
        let fetchRows = fetches.prefix(50).map {
            Fetch(feed: $0.feed, userAgent: $0.userAgent,
                  last: Vietnamese.dateTime($0.lastAt, utcOffsetSeconds: plan.utcOffsetSeconds), count: $0.count)
        }
        return DashboardPage(chrome: chrome, news: news, dissemination: dissemination, reach: reach, todo: todo,
                             legend: .all, obstacles: obstacles, hasObstacles: !obstacles.isEmpty, units: units,
                             fetches: fetchRows, hasFetches: !fetchRows.isEmpty, reportLink: "/plans/\(plan.id)/report",
                             indicatorsLink: "/plans/\(plan.id)/indicators",
                             csvLink: "/api/\(plan.id)/compliance.csv", jsonLink: "/api/\(plan.id)/compliance")
    }

    /// Coordinates for the reach chart: x is time over the plan (every day of it, so a one-day
    /// plan draws too), y the share from 0 at the bottom to 100% at the top; a share above 100%
    /// (reach counts contacts, which can exceed the population) sits on the top edge.
    static func chart(plan: Plan, today: CivilDate, share: Double?, goal: Double) -> Chart {
        let total = Double(plan.start.days(until: plan.end) + 1)
        func x(_ d: CivilDate) -> Int {
            40 + Int((min(max(Double(plan.start.days(until: d)) / total, 0), 1) * 290).rounded())
        }
        func y(_ s: Double) -> Int { 150 - Int((min(max(s, 0), 1) * 140).rounded()) }
        let clamped = min(max(today, plan.start), plan.end)
        return Chart(goalY: y(goal), goalYText: y(goal) + 4, goalText: Vietnamese.percent(goal), todayX: x(clamped),
                     years: plan.years.map { .init(year: $0, x: x(CivilDate(year: $0, month: 7, day: 1)!)) },
                     shareY: share.map(y))
    }
}

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
