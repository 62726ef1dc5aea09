import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

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
            signedIn: session.map { "\(plan.name(of: $0.token.unit)) (\($0.token.label))" },
            csrf: session?.csrf, nav: nav,
            trackingNote: plan.trackingFrom.map { "Theo dõi từ ngày \($0.vietnamese); việc có hạn trước ngày này là \"trước khi theo dõi\", không tính quá hạn." })
    }

    /// A header with no plan (the city page, errors).
    static func plain(title: String, heading: String = "plancal") -> PageChrome {
        PageChrome(title: title, heading: heading)
    }
}
