import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

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
                heading: plan.target(track.target)?.heading ?? track.target.rawValue,
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
                heading: "\(plan.target(d.target)?.heading ?? d.target.rawValue) năm \(d.year)", informed: d.informed, total: d.total,
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
            return Reach(heading: plan.target(r.target)?.heading ?? r.target.rawValue, reachedText: Vietnamese.number(r.reached),
                         pathText: Vietnamese.percent(r.path), goalText: Vietnamese.percent(r.goal), population: population,
                         svg: chart(plan: plan, today: today, share: r.share, goal: r.goal))
        }
        let todo = TodoList.build(plan: plan, occurrences: occurrences, ledger: ledger, today: today, unit: nil,
                                  canMark: canMark)
        // Obstacles units raised this year and have not withdrawn, latest first.
        let obstacles = ledger.adHoc.filter { $0.action == .obstacle && $0.doneOn?.year == today.year }.reversed().map {
            Obstacle(obstacleUnit: plan.name(of: $0.unit), obstacleDay: $0.doneOn?.vietnamese ?? "",
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
