import Foundation
import ICal
@testable import PlanCore
import Testing

/// Issue 11: plans that would expand without bound, and rule numbers libical would wrap.
@Suite struct PlanLimitsTests {
    static let minimal: String = {
        (try? String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)) ?? ""
    }()

    /// The minimal plan with one edit.
    static func minimal(_ old: String, _ new: String) -> String {
        precondition(minimal.contains(old), "minimal.yaml no longer contains \(old)")
        return minimal.replacingOccurrences(of: old, with: new)
    }

    /// The plan's single issue (recording a test issue when it loads or gives several).
    static func issue(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> PlanIssue? {
        do {
            let plan = try PlanLoader.parse(data: Data(text.utf8), file: "plan.yaml")
            Issue.record("loaded as \(plan.id); expected a PlanError", sourceLocation: sourceLocation)
        } catch let error as PlanError {
            #expect(error.issues.count == 1, "\(error)", sourceLocation: sourceLocation)
            return error.issues.first
        } catch {
            Issue.record("not a PlanError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// `obligations` obligations, each one occurrence per unit (8 units) on every date of `rule`,
    /// over `years` years from 2000.
    static func generated(obligations: Int, rule: String, years: Int) -> String {
        var text = """
            plan:
              id: runaway
              title: "Kế hoạch thử"
              issuer: "UBND phường Thử"
              period: { start: 2000-01-01, end: \(1999 + years)-12-31 }
              time_zone: Asia/Ho_Chi_Minh
              revised: 2026-11-29
            units:
              - { id: u0, name: "Đơn vị 0", role: lead }

            """
        for u in 1..<8 { text += "  - { id: u\(u), name: \"Đơn vị \(u)\" }\n" }
        text += "obligations:\n"
        for o in 0..<obligations {
            text += """
                  - id: o\(o)
                    title: "Báo cáo \(o)"
                    kind: deadline
                    rrule: "\(rule)"
                    dtstart: 2000-01-01
                    for_each: all
                    section: "III"

                """
        }
        return text
    }

    // MARK: - Runaway plans

    /// The reviewer's plan: 20 daily obligations × 8 units × 27 years (1.6 million occurrences;
    /// 25 s and 1.4 GB before the cap) is refused, at the first obligation that passes the cap,
    /// with how many it would at least give.
    @Test func runawayPlanIsRefused() throws {
        let text = Self.generated(obligations: 20, rule: "FREQ=DAILY", years: 27)
        let issue = try #require(Self.issue(text))
        #expect(issue.field == "obligations[0].rrule", "\(issue)")
        #expect(issue.line == 21, "\(issue)")
        #expect(issue.message.contains("kế hoạch cho ít nhất 20.160 lần thực hiện"), "\(issue.message)")
        #expect(issue.message.contains("giới hạn 20.000"), "\(issue.message)")
    }

    /// 8 units × 2,500 dates is exactly the cap and loads; one more date is refused.
    @Test func capIsExact() throws {
        let plan = try PlanLoader.parse(data: Data(Self.generated(obligations: 1, rule: "FREQ=DAILY;COUNT=2500", years: 27).utf8),
                                        file: "plan.yaml")
        #expect(try Schedule(plan: plan).occurrences().count == PlanLoader.maxOccurrences)
        let issue = try #require(Self.issue(Self.generated(obligations: 1, rule: "FREQ=DAILY;COUNT=2501", years: 27)))
        #expect(issue.field == "obligations[0].rrule")
        #expect(issue.message.contains("ít nhất 20.008 lần thực hiện"), "\(issue.message)")
    }

    /// Obligations after the one that passes the cap add their first date each to the figure.
    @Test func laterObligationsAddToTheFigure() throws {
        let text = Self.generated(obligations: 3, rule: "FREQ=WEEKLY", years: 27)
        // 27 years of weeks (1,409) × 8 units = 11,272; the second obligation passes 20,000 at
        // its 1,092nd week (8,736 more: 20,008), the third adds its first date × 8 units.
        let issue = try #require(Self.issue(text))
        #expect(issue.field == "obligations[1].rrule", "\(issue)")
        #expect(issue.message.contains("ít nhất 20.016 lần thực hiện"), "\(issue.message)")
    }

    // MARK: - Rule numbers libical would wrap, and rules by the hour

    @Test(arguments: [
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15;COUNT=4294967297", "COUNT: 4294967297 nằm ngoài khoảng cho phép 1…2147483647"),
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15;INTERVAL=4294967297", "INTERVAL: 4294967297 nằm ngoài khoảng cho phép 1…32767"),
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=32", "BYMONTHDAY: 32 nằm ngoài khoảng cho phép 1…31 (hoặc -31…-1)"),
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15;BYSETPOS=400", "BYSETPOS: 400 nằm ngoài khoảng cho phép 1…366"),
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15;COUNT=2;UNTIL=20301231", "không được dùng COUNT cùng với UNTIL"),
        // Occurrences are whole days: libical searching by the second for 30 February ran for hours.
        ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ phải là DAILY, WEEKLY, MONTHLY hoặc YEARLY, không phải SECONDLY"),
        ("FREQ=HOURLY", "không phải HOURLY"),
        ("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15;BYHOUR=8", "plancal lập lịch theo ngày, không dùng BYHOUR"),
    ])
    func rulesPlancalCannotUseAreRefused(rule: String, phrase: String) throws {
        let text = Self.minimal("FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15", rule)
        let issue = try #require(Self.issue(text))
        #expect(issue.field == "obligations[1].rrule", "\(issue)")
        #expect(issue.line == 38, "\(issue)")
        #expect(issue.message.contains(phrase), "\(issue.message)")
    }
}
