import Foundation
import ICal
import PlanCore

/// The lead unit's admin page: issue a unit's access code (shown once, with a sign-in link),
/// revoke one, and see when each unit last recorded something and last fetched its calendar.
struct AdminPage: Page {
    static let template = "admin"
    struct UnitChoice: Sendable {
        var id: String
        var name: String
        var selected: Bool
    }
    /// A code just made: its secret is shown on this one answer and never again.
    struct Issued: Sendable {
        var secret: String
        /// The link to copy (at the public address) and the same link on this server.
        var signInLink: String
        var signInPath: String
        var issuedUnit: String
        var issuedLabel: String
    }
    struct TokenRow: Sendable {
        var tokenID: String
        var tokenUnit: String
        var tokenLabel: String
        var created: String
        var stateText: String
        var live: Bool
        var revokeAction: String
    }
    struct Activity: Sendable {
        var activityUnit: String
        var unitLink: String
        var lastRecord: String
        var lastFetch: String
        var liveTokens: Int
    }
    var chrome: PageChrome
    var issueAction: String
    var units: [UnitChoice]
    var typedLabel: String
    var issued: Issued?
    var tokens: [TokenRow]
    var hasTokens: Bool
    var activity: [Activity]
    /// Set when the public address in the plan is an example: copied links would reach nobody.
    var baseWarning: String?

    static func build(plan: Plan, chrome: PageChrome, tokens: [UnitToken], records: [CompletionRecord], fetches: [FeedFetch],
                      publicBase: String, issued: (secret: String, token: UnitToken)? = nil, typedUnit: String? = nil,
                      typedLabel: String = "") -> AdminPage {
        let offset = plan.utcOffsetSeconds
        let rows = tokens.reversed().map { t in
            TokenRow(tokenID: t.id, tokenUnit: plan.name(of: t.unit), tokenLabel: t.label,
                     created: Vietnamese.dateTime(t.createdAt, utcOffsetSeconds: offset),
                     stateText: t.revokedAt.map { "Đã thu hồi \(Vietnamese.dateTime($0, utcOffsetSeconds: offset))" } ?? "Đang dùng",
                     live: t.revokedAt == nil, revokeAction: "/plans/\(plan.id)/admin/tokens/\(t.id)/revoke")
        }
        let activity = plan.allUnits.map { unit -> Activity in
            let last = records.last { $0.unit == unit.id }
            let lastText = last.map {
                "\(Vietnamese.dateTime($0.recordedAt, utcOffsetSeconds: offset)): \($0.action == .undo ? "hủy" : $0.action.label) (\($0.recordedBy))"
            } ?? "chưa có"
            let feeds = ["\(unit.id).ics", "\(unit.id)-tasks.ics"]
            let fetch = fetches.filter { feeds.contains($0.feed) }.map(\.lastAt).max()
            return Activity(activityUnit: unit.name, unitLink: "/plans/\(plan.id)/units/\(unit.id)", lastRecord: lastText,
                            lastFetch: fetch.map { Vietnamese.dateTime($0, utcOffsetSeconds: offset) } ?? "chưa có",
                            liveTokens: tokens.filter { $0.unit == unit.id && $0.revokedAt == nil }.count)
        }
        return AdminPage(
            chrome: chrome, issueAction: "/plans/\(plan.id)/admin/tokens",
            units: plan.allUnits.map { UnitChoice(id: $0.id.rawValue, name: $0.name, selected: $0.id.rawValue == typedUnit) },
            typedLabel: typedLabel,
            issued: issued.map {
                Issued(secret: $0.secret, signInLink: "\(publicBase)/plans/\(plan.id)/login?ma=\($0.secret)",
                       signInPath: "/plans/\(plan.id)/login?ma=\($0.secret)",
                       issuedUnit: plan.name(of: $0.token.unit), issuedLabel: $0.token.label)
            },
            tokens: rows, hasTokens: !rows.isEmpty, activity: activity,
            baseWarning: plan.publicBaseIsExample && publicBase == plan.publicBaseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
                ? "Địa chỉ công khai trong tệp kế hoạch (\(publicBase)) là địa chỉ ví dụ: đường dẫn đăng nhập sao chép ở đây chỉ dùng được khi máy chủ thật có địa chỉ đó. Hãy ghi địa chỉ thật vào public_base_url." : nil)
    }
}
