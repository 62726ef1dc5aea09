import Foundation
@testable import PlanCore
import Testing

/// How targets are tracked is plan data (issue 19 §3): each target's `tracking: { rule: … }`.
/// A plan may have several targets under one rule, or none; the older one-role-per-key form of
/// the `tracking:` section still loads.
@Suite struct TrackingRuleTests {
    /// Two news targets (one monthly, one quarterly), a dissemination target, no reach target.
    static let twoNews = TestSupport.smallPlanHead + """
    targets:
      - id: G1.T1
        section: "II.1"
        text: "Mỗi tháng có 01 tin trên trang thông tin điện tử."
        tracking: { rule: per_month_with_evidence }
      - id: G1.T2
        section: "II.1"
        text: "Mỗi quý có 01 tin, bài trên loa truyền thanh."
        tracking: { rule: per_quarter_with_evidence }
      - id: G1.T3
        section: "II.1"
        text: "Hằng năm, 100% tổ chức được phổ biến."
        tracking: { rule: every_organisation_yearly }
    tracking:
      subject: "Thử nghiệm"
    obligations:
      - id: tin-thang
        title: "Đăng 01 tin trên trang thông tin điện tử"
        kind: deadline
        rrule: "FREQ=MONTHLY;BYMONTHDAY=-1"
        dtstart: 2025-01-31
        key: month
        owner: vhxh
        targets: [G1.T1]
        section: "II.1"
      - id: tin-quy
        title: "Phát 01 tin, bài trên loa"
        kind: deadline
        rrule: "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"
        dtstart: 2025-03-31
        key: quarter
        owner: vhxh
        targets: [G1.T2]
        section: "II.1"
    """

    static func load(_ text: String) throws -> Plan { try IndicatorTests.load(text) }

    static func expectRefused(_ text: String, lineOf: String, field: String, phrase: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        IndicatorTests.expectRefused(text, lineOf: lineOf, field: field, phrase: phrase, sourceLocation: sourceLocation)
    }

    @Test func rulesAreReadFromTheTargetsInFileOrder() throws {
        let plan = try Self.load(Self.twoNews)
        #expect(plan.tracking.targets == [
            TrackedTarget(target: "G1.T1", rule: .newsEvery(.month)),
            TrackedTarget(target: "G1.T2", rule: .newsEvery(.quarter)),
            TrackedTarget(target: "G1.T3", rule: .everyOrganisationYearly),
        ])
        #expect(plan.tracking.reachTargets.isEmpty)
    }

    @Test func theShippedPlanDeclaresItsGoalSixRulesOnItsTargets() throws {
        let plan = try TestSupport.shippedPlan()
        #expect(plan.tracking.rule(of: "G6.T3") == .newsEvery(.quarter))
        #expect(plan.tracking.rule(of: "G6.T2") == .everyOrganisationYearly)
        #expect(plan.tracking.rule(of: "G6.T1") == .shareReached(goal: 0.8, by: 2030))
        #expect(plan.targets.first { $0.id == "G6.T1" }?.tracking == .shareReached(goal: 0.8, by: 2030))
    }

    @Test func theOlderRoleKeysStillLoadAsRules() throws {
        let plan = try PlanLoader.load(path: TestSupport.fixture("minimal.yaml"))
        #expect(plan.tracking.targets == [TrackedTarget(target: "G6.T3", rule: .newsEvery(.quarter))])
    }

    @Test func monthlyAndQuarterlyNewsTargetsAreTrackedApart() async throws {
        let h = try Harness(plan: try Self.load(Self.twoNews))
        // A monthly item needs its evidence, as a quarterly one does: the rule decides, not an id.
        await #expect(throws: CompletionError.self) {
            try await h.done("tin-thang/2026-05", by: "vhxh", on: day(20, 5, 2026))
        }
        try await h.done("tin-thang/2026-05", by: "vhxh", on: day(20, 5, 2026), evidence: "https://xa.example/tin/5")
        try await h.done("tin-quy/2026-Q1", by: "vhxh", on: day(2, 2, 2026), evidence: "https://xa.example/loa/q1")
        let report = try await h.report(today: day(10, 7, 2026), year: 2026)
        #expect(report.news.map(\.target) == ["G1.T1", "G1.T2"])
        let months = try #require(report.news.first)
        #expect(months.period == .month)
        #expect(months.periods.map(\.key) == (1...12).map { String(format: "2026-%02d", $0) })
        #expect(months.periods.map(\.label).first == "tháng 1/2026")
        let monthStates = months.periods.map(\.state)
        #expect(monthStates[4] == .met && monthStates[3] == .missed && monthStates[6] == .open && monthStates[7] == .future)
        // The quarterly target counts only what serves it (and ad hoc items): May's web item is not a loudspeaker bulletin.
        let quarters = report.news[1].periods
        #expect(quarters.map(\.key) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        #expect(quarters.map(\.state) == [.met, .missed, .open, .future])
        // The JSON keeps its shape: `quarters` is the first news target's; the others follow in `moreTargets`.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect((json["quarters"] as? [[String: Any]])?.count == 12)
        let more = try #require(json["moreTargets"] as? [[String: Any]])
        #expect(more.map { $0["target"] as? String } == ["G1.T2"])
        #expect(more.first?["rule"] as? String == "per_quarter_with_evidence")
        #expect((more.first?["periods"] as? [[String: Any]])?.map { $0["state"] as? String } == ["met", "missed", "open", "future"])
        #expect(json["reach"] == nil, "no reach target, no reach")
        // The table and the CSV name each target and its periods in their own words.
        let table = report.table(plan: h.plan)
        #expect(table.contains("(G1.T1)") && table.contains("(G1.T2)") && table.contains("(G1.T3)"))
        #expect(table.contains("  tháng 9/2026  Chưa đến") && table.contains("  tháng 10/2026 Chưa đến"), "labels aligned")
        #expect(table.contains("tháng 5/2026") && table.contains("Đang trong tháng") && table.contains("Đang trong quý"))
        #expect(table.contains("Đạt 1/7 tháng; trong các tháng đã kết thúc: 1/6."))
        #expect(table.contains("Đạt 1/3 quý; trong các quý đã kết thúc: 1/2."))
        let csv = report.csv(plan: h.plan)
        #expect(csv.contains("G1.T1,tháng 5/2026,Phòng Văn hóa - Xã hội,Đạt,met,1"))
        #expect(csv.contains("G1.T2,quý I/2026,Phòng Văn hóa - Xã hội,Đạt,met,1"))
        #expect(csv.contains("G1.T3,năm 2026"))
    }

    @Test func twoDisseminationTargetsAreEachReported() async throws {
        let text = Self.twoNews.replacingOccurrences(of: "tracking: { rule: per_quarter_with_evidence }",
                                                     with: "tracking: { rule: every_organisation_yearly }")
        let report = ComplianceReport(plan: try Self.load(text), occurrences: [], ledger: CompletionLedger(records: []),
                                      today: day(1, 3, 2026))
        #expect(report.disseminations.map(\.target) == ["G1.T2", "G1.T3"])
        #expect(report.news.count == 1)
    }

    @Test func aReachGoalIsJudgedAgainstItsOwnYear() throws {
        let text = Self.twoNews.replacingOccurrences(of: "tracking: { rule: every_organisation_yearly }",
                                                     with: "tracking: { rule: share_reached, goal: 0.5, by: 2027 }")
        let plan = try Self.load(text)
        #expect(plan.tracking.reachTargets.map(\.by) == [2027])
        let report = ComplianceReport(plan: plan, occurrences: [], ledger: CompletionLedger(records: []), today: day(31, 12, 2027))
        // The path reaches the goal at the end of 2027, not at the plan's end (2030).
        #expect(report.reach?.path == 0.5)
        #expect(report.reach?.target == "G1.T3")
    }

    @Test func anUnknownRuleIsRefusedNamingTheRules() {
        let bad = "tracking: { rule: every_week }"
        Self.expectRefused(Self.twoNews.replacingOccurrences(of: "tracking: { rule: every_organisation_yearly }", with: bad),
                           lineOf: bad, field: "targets[2].tracking.rule",
                           phrase: "không có quy tắc theo dõi \"every_week\" (các quy tắc: per_quarter_with_evidence")
    }

    @Test func aReachRuleNeedsAGoalWithinTheShareRange() {
        let dissemination = "tracking: { rule: every_organisation_yearly }"
        for (bad, field, phrase) in [
            ("tracking: { rule: share_reached }", "goal", "thiếu trường bắt buộc"),
            ("tracking: { rule: share_reached, goal: 80 }", "goal", "không quá 1"),
            ("tracking: { rule: share_reached, goal: 0.8, by: 2040 }", "by", "nằm ngoài thời gian của kế hoạch (2025–2030)"),
            ("tracking: { rule: every_organisation_yearly, goal: 1 }", "goal", "trường không xác định"),
        ] {
            Self.expectRefused(Self.twoNews.replacingOccurrences(of: dissemination, with: bad),
                               lineOf: bad, field: "targets[2].tracking.\(field)", phrase: phrase)
        }
    }

    @Test func aFiguresRuleNeedsFigures() {
        let bad = "tracking: { rule: figures }"
        Self.expectRefused(Self.twoNews.replacingOccurrences(of: "tracking: { rule: every_organisation_yearly }", with: bad),
                           lineOf: bad, field: "targets[2].tracking.rule", phrase: "cần mục figures:")
    }

    @Test func aRuleIsGivenOnceEitherWay() {
        Self.expectRefused(Self.twoNews.replacingOccurrences(of: "  subject: \"Thử nghiệm\"",
                                                             with: "  subject: \"Thử nghiệm\"\n  news_target: G1.T2"),
                           lineOf: "news_target: G1.T2", field: "tracking.news_target", phrase: "đã có tracking: riêng")
    }
}
