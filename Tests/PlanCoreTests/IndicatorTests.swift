import Foundation
@testable import PlanCore
import Testing

/// Targets' `figures:` and `indicators:` (issue 7, M1): the shipped plan measures all 15 targets,
/// and each mistake in the format is refused with a Vietnamese message naming file, line and field.
@Suite struct IndicatorTests {
    /// A plan with one figures-based target (G3.T2) and one records-based target (G6.T3).
    static let base = TestSupport.smallPlanHead + """
    targets:
      - id: G3.T2
        section: "II.2.3"
        text: "90% người bị bạo lực được phát hiện được tiếp cận dịch vụ hỗ trợ."
        figures:
          - id: victims-detected
            label: "Số người bị bạo lực được phát hiện"
            unit: cong-an
          - id: victims-supported
            label: "Số người được tiếp cận dịch vụ hỗ trợ"
            unit: vhxh
        indicators:
          - id: victims
            label: "Tỷ lệ được hỗ trợ"
            measure: share
            numerator: victims-supported
            denominator: victims-detected
            direction: at_least
            goal: 90
            by: 2030
            baseline: { year: 2025, value: 50 }
      - id: G6.T3
        section: "II.2.6"
        text: "Mỗi quý có 01 tin, bài."
        indicators:
          - id: quarters-with-news
            label: "Tỷ lệ quý có tin, bài"
            measure: share
            source: records
            direction: at_least
            goal: 100
            every_year: true
            from: 2025
            baseline: null
    tracking:
      subject: "Bình đẳng giới"
      news_target: G6.T3
    obligations:
      - id: data-report
        title: "Báo cáo số liệu"
        kind: deadline
        rrule: "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=14"
        dtstart: 2025-12-14
        owner: cong-an
        section: "V.3"
        figures: [G3.T2/victims-detected]
    """

    /// Loads `text` from a temporary `plan.yaml`; returns the plan or the error.
    static func load(_ text: String) throws -> Plan {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("plan.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try PlanLoader.load(path: path)
    }

    /// The base plan with `old` replaced by `new`; exactly one issue is expected, on the line
    /// holding `lineOf` (1-based, in the edited text), at `field`, with `phrase` in its message.
    static func expectRefused(replacing old: String, with new: String, lineOf: String?, field: String, phrase: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        precondition(base.contains(old), "base plan lacks \(old)")
        expectRefused(base.replacingOccurrences(of: old, with: new), lineOf: lineOf, field: field, phrase: phrase,
                      sourceLocation: sourceLocation)
    }

    /// Loading `text` must fail with exactly one issue, on the line holding `lineOf` (1-based),
    /// at `field`, with `phrase` in its message.
    static func expectRefused(_ text: String, lineOf: String?, field: String, phrase: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let plan = try load(text)
            Issue.record("loaded as \(plan.id); expected a PlanError", sourceLocation: sourceLocation)
        } catch let error as PlanError {
            #expect(error.issues.count == 1, "\(error)", sourceLocation: sourceLocation)
            guard let issue = error.issues.first else { return }
            #expect(issue.field == field, "\(issue)", sourceLocation: sourceLocation)
            #expect(issue.message.contains(phrase), "\(issue.message)", sourceLocation: sourceLocation)
            if let lineOf {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let expected = lines.firstIndex { $0.contains(lineOf) }.map { $0 + 1 }
                #expect(issue.line == expected, "\(issue)", sourceLocation: sourceLocation)
            }
            #expect(issue.description.contains("plan.yaml"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected PlanError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - The base and the shipped plan

    @Test func baseLoadsWithFiguresAndIndicators() throws {
        let plan = try Self.load(Self.base)
        let t = try #require(plan.target("G3.T2"))
        #expect(t.figures.map(\.id) == ["victims-detected", "victims-supported"])
        #expect(t.figure("victims-detected")?.unit == "cong-an")
        #expect(t.suppliers == ["cong-an", "vhxh"])
        let i = try #require(t.indicators.first)
        #expect(i.source == .figures(numerator: "victims-supported", denominator: "victims-detected"))
        #expect(i.direction == .atLeast)
        #expect(i.goal == 90 && i.byYear == 2030)
        #expect(i.baseline == IndicatorBaseline(year: 2025, value: 50))
        let news = try #require(plan.target("G6.T3")?.indicators.first)
        #expect(news.source == .records)
        #expect(news.byYear == nil && news.fromYear == 2025)
    }

    @Test func figureMaximum() throws {
        let plan = try Self.load(Self.base.replacingOccurrences(of: "unit: cong-an\n", with: "unit: cong-an\n        max: 5 000\n"))
        #expect(plan.target("G3.T2")?.figure("victims-detected")?.max == 5000)
        #expect(plan.target("G3.T2")?.figure("victims-supported")?.max == nil)
        let amount = try Self.load(Self.base.replacingOccurrences(of: "unit: cong-an\n", with: "unit: cong-an\n        kind: amount\n        max: 24,5\n"))
        #expect(amount.target("G3.T2")?.figure("victims-detected")?.max == 24.5)
    }

    @Test func shippedPlanMeasuresEveryTarget() throws {
        let plan = try TestSupport.shippedPlan()
        #expect(plan.targets.count == 15)
        for t in plan.targets {
            #expect(!t.indicators.isEmpty, "\(t.id) has no indicator")
            for i in t.indicators {
                // The document gives no baseline for any target.
                #expect(i.baseline == nil, "\(t.id).\(i.id)")
                if case let .figures(n, d) = i.source {
                    #expect(t.figure(n) != nil && t.figure(d) != nil, "\(t.id).\(i.id)")
                }
            }
            for f in t.figures { #expect(plan.unit(f.unit) != nil, "\(t.id).\(f.id)") }
        }
        // Two-part targets carry two indicators.
        #expect(plan.target("G3.T2")?.indicators.map(\.id) == ["victims", "perpetrators"])
        #expect(plan.target("G5.T1")?.indicators.count == 2)
        #expect(plan.target("G5.T2")?.indicators.count == 2)
    }

    @Test func shippedPlanSuppliersFollowSectionV() throws {
        let plan = try TestSupport.shippedPlan()
        // V.2: kthtdt collects the data of Goal 2 target 3, said by the document: no assumption.
        let g2t3 = try #require(plan.target("G2.T3"))
        #expect(g2t3.suppliers == ["kthtdt"])
        #expect(g2t3.figures.allSatisfy { $0.assumption == nil })
        // V.3: the police report domestic-violence figures; V.1: vhxh counts those reached by services.
        let g3t2 = try #require(plan.target("G3.T2"))
        #expect(g3t2.figure("victims-detected")?.unit == "cong-an")
        #expect(g3t2.figure("perpetrators-detected")?.unit == "cong-an")
        #expect(g3t2.figure("victims-supported")?.unit == "vhxh")
        #expect(g3t2.figures.allSatisfy { $0.assumption == nil })
        #expect(plan.target("G3.T3")?.figure("trafficking-victims-in-need")?.unit == "cong-an")
        #expect(plan.target("G4.T1")?.suppliers == ["vhxh"])
        // Suppliers the document does not name are marked.
        for id: TargetID in ["G1.T1", "G2.T1", "G2.T2", "G3.T1", "G4.T1", "G4.T2", "G4.T3", "G5.T1", "G5.T2"] {
            let t = try #require(plan.target(id))
            #expect(t.figures.allSatisfy { $0.assumption?.contains("giả định") == true }, "\(id)")
        }
        // G6 is measured from the records, by its tracking role.
        for id: TargetID in ["G6.T1", "G6.T2", "G6.T3"] {
            #expect(plan.target(id)?.indicators.allSatisfy { $0.source == .records } == true, "\(id)")
            #expect(plan.target(id)?.figures.isEmpty == true)
        }
    }

    @Test func dataReportsDeclareTheirFigures() throws {
        let plan = try TestSupport.shippedPlan()
        func refs(_ id: String) -> [String] { plan.obligations.first { $0.id == id }?.figures.map(\.description) ?? [] }
        #expect(refs("data-report-violence") == ["G3.T2/victims-detected", "G3.T2/perpetrators-detected",
                                                 "G3.T3/trafficking-victims-in-need"])
        #expect(refs("data-report-enterprise") == ["G2.T3/women-directors", "G2.T3/directors"])
        #expect(refs("data-report-support") == ["G3.T2/victims-supported", "G3.T2/perpetrators-counselled"])
        // Each collects only what its owner supplies.
        for o in plan.obligations where !o.figures.isEmpty {
            for ref in o.figures { #expect(plan.target(ref.target)?.figure(ref.figure)?.unit == o.owner, "\(o.id): \(ref)") }
        }
    }

    @Test func shippedGoalsAndDirections() throws {
        let plan = try TestSupport.shippedPlan()
        func only(_ id: TargetID) throws -> Indicator { try #require(plan.target(id)?.indicators.first) }
        let ratio = try only("G3.T1")
        #expect(ratio.measure == .ratio && ratio.direction == .atMost && ratio.goal == 1.4)
        #expect(ratio.goalText == "không quá 1,4 lần")
        let sexRatio = try only("G4.T1")
        #expect(sexRatio.measure == .rate(per: 100) && sexRatio.direction == .within)
        #expect(sexRatio.goal == 102 && sexRatio.goalHigh == 105 && sexRatio.byYear == nil)
        #expect(sexRatio.goalText == "trong khoảng 102–105/100")
        let maternal = try only("G4.T2")
        #expect(maternal.measure == .rate(per: 100_000) && maternal.direction == .below && maternal.goal == 42)
        #expect(maternal.goalText == "dưới 42/100.000")
        #expect(try only("G4.T3").measure == .rate(per: 1000))
        #expect(try only("G2.T2").direction == .below)
        #expect(plan.target("G5.T2")?.indicators.first?.direction == .above)
        #expect(try only("G2.T3").goalText == "ít nhất 30%")
    }

    // MARK: - Computation

    @Test func valuesGoalsAndPath() throws {
        let plan = try Self.load(Self.base)
        let i = try #require(plan.target("G3.T2")?.indicators.first)
        #expect(i.value(numerator: 9, denominator: 12) == 75)
        #expect(i.value(numerator: 3, denominator: 0) == nil)
        #expect(i.meets(90) && !i.meets(89.99))
        // Baseline 50% in 2025, goal 90% by 2030: 8 points a year.
        #expect(i.path(in: 2024) == nil)
        #expect(i.path(in: 2025) == 50)
        #expect(i.path(in: 2027) == 66)
        #expect(i.path(in: 2030) == 90)
        #expect(i.onPath(66, in: 2027) == true)
        #expect(i.onPath(65.9, in: 2027) == false)
        let within = Indicator(id: "r", label: "r", measure: .rate(per: 100), source: .records, direction: .within,
                               goal: 102, goalHigh: 105, byYear: nil, fromYear: 2025, baseline: nil, assumption: nil)
        #expect(within.value(numerator: 520, denominator: 500) == 104)
        #expect(within.meets(104) && within.meets(102) && !within.meets(105.5) && !within.meets(101))
        #expect(within.path(in: 2027) == nil)
        let below = Indicator(id: "b", label: "b", measure: .rate(per: 100_000), source: .records, direction: .below,
                              goal: 42, goalHigh: nil, byYear: 2030, fromYear: nil, baseline: nil, assumption: nil)
        #expect(!below.meets(42) && below.meets(41.99))
        #expect(below.path(in: 2027) == nil)
        #expect(IndicatorMeasure.share.format(33.3333) == "33,33%")
        #expect(IndicatorMeasure.rate(per: 100_000).format(40) == "40/100.000")
    }

    // MARK: - Refusals

    /// One edit of the base plan and the single issue it must give.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var name, old, new: String
        var lineOf: String?
        var field, phrase: String
        init(_ name: String, replacing old: String, with new: String, lineOf: String?, field: String, phrase: String) {
            (self.name, self.old, self.new, self.lineOf, self.field, self.phrase) = (name, old, new, lineOf, field, phrase)
        }
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal("unknownSupplyingUnit", replacing: "unit: cong-an", with: "unit: cong-an-tinh", lineOf: "unit: cong-an-tinh", field: "targets[0].figures[0].unit", phrase: "không có đơn vị \"cong-an-tinh\""),
        Refusal("numeratorWithoutDenominator", replacing: "        denominator: victims-detected\n", with: "", lineOf: "numerator: victims-supported", field: "targets[0].indicators[0].numerator", phrase: "thiếu mẫu số"),
        Refusal("denominatorWithoutNumerator", replacing: "        numerator: victims-supported\n", with: "", lineOf: "denominator: victims-detected", field: "targets[0].indicators[0].denominator", phrase: "thiếu tử số"),
        Refusal("numeratorNotAFigure", replacing: "numerator: victims-supported", with: "numerator: victims-helped", lineOf: "numerator: victims-helped", field: "targets[0].indicators[0].numerator", phrase: "không có số liệu \"victims-helped\""),
        Refusal("badDirection", replacing: "direction: at_least\n        goal: 90", with: "direction: more\n        goal: 90", lineOf: "direction: more", field: "targets[0].indicators[0].direction", phrase: "\"more\" không hợp lệ"),
        Refusal("withinNeedsARange", replacing: "direction: at_least\n        goal: 90", with: "direction: within\n        goal: 90", lineOf: "goal: 90", field: "targets[0].indicators[0].goal", phrase: "khoảng hai số"),
        Refusal("rangeOnlyWithWithin", replacing: "goal: 90", with: "goal: [80, 90]", lineOf: "goal: [80, 90]", field: "targets[0].indicators[0].goal", phrase: "đúng một số"),
        Refusal("shareAbove100", replacing: "goal: 90", with: "goal: 120", lineOf: "goal: 120", field: "targets[0].indicators[0].goal", phrase: "không quá 100"),
        Refusal("rateNeedsPer", replacing: "measure: share\n        numerator", with: "measure: rate\n        numerator", lineOf: "measure: rate", field: "targets[0].indicators[0].measure", phrase: "per"),
        Refusal("goalYearOrEveryYear", replacing: "        by: 2030\n", with: "", lineOf: nil, field: "targets[0].indicators[0].by", phrase: "every_year"),
        Refusal("goalYearInsidePeriod", replacing: "by: 2030", with: "by: 2040", lineOf: "by: 2040", field: "targets[0].indicators[0].by", phrase: "ngoài khoảng"),
        Refusal("baselineMustBeSaid", replacing: "        baseline: { year: 2025, value: 50 }\n", with: "", lineOf: nil, field: "targets[0].indicators[0].id", phrase: "baseline: null"),
        Refusal("baselineBeforeGoalYear", replacing: "{ year: 2025, value: 50 }", with: "{ year: 2030, value: 50 }", lineOf: "year: 2030", field: "targets[0].indicators[0].baseline.year", phrase: "phải trước"),
        Refusal("negativeGoal", replacing: "goal: 90", with: "goal: -5", lineOf: "goal: -5", field: "targets[0].indicators[0].goal", phrase: "số không âm"),
        Refusal("duplicateFigure", replacing: "id: victims-supported", with: "id: victims-detected", lineOf: nil, field: "targets[0].figures[1].id", phrase: "bị trùng"),
        Refusal("recordsNeedATrackingRole", replacing: "  news_target: G6.T3\n", with: "", lineOf: "- id: G6.T3", field: "targets[1].indicators[0].source", phrase: "tracking:"),
        Refusal("recordsHaveNoNumerator", replacing: "source: records\n", with: "source: records\n        numerator: x\n", lineOf: "numerator: x", field: "targets[1].indicators[0].numerator", phrase: "không có tử số"),
        Refusal("obligationFigureOfAnotherUnit", replacing: "figures: [G3.T2/victims-detected]",
                with: "figures: [G3.T2/victims-supported]", lineOf: "figures: [G3.T2/victims-supported]",
                field: "obligations[0].figures", phrase: "do đơn vị vhxh cung cấp"),
        Refusal("obligationFigureUndeclared", replacing: "figures: [G3.T2/victims-detected]",
                with: "figures: [G3.T2/victims]", lineOf: "figures: [G3.T2/victims]",
                field: "obligations[0].figures", phrase: "không có số liệu \"victims\""),
        Refusal("maxWithExponent", replacing: "unit: cong-an\n", with: "unit: cong-an\n        max: 1e5\n", lineOf: "max: 1e5", field: "targets[0].figures[0].max", phrase: "\"1e5\" không hợp lệ"),
        Refusal("maxNotPositive", replacing: "unit: cong-an\n", with: "unit: cong-an\n        max: 0\n", lineOf: "max: 0", field: "targets[0].figures[0].max", phrase: "số dương"),
        Refusal("maxBeyondExact", replacing: "unit: cong-an\n", with: "unit: cong-an\n        max: 9007199254740992\n", lineOf: "max: 9007199254740992", field: "targets[0].figures[0].max", phrase: "không quá 9007199254740991"),
        Refusal("maxOfACountIsWhole", replacing: "unit: cong-an\n", with: "unit: cong-an\n        max: 2,5\n", lineOf: "max: 2,5", field: "targets[0].figures[0].max", phrase: "số nguyên"),
        Refusal("unknownIndicatorField", replacing: "by: 2030", with: "by: 2030\n        target_value: 3", lineOf: "target_value", field: "targets[0].indicators[0].target_value", phrase: "trường không xác định"),
    ]

    @Test(arguments: refusals) func refused(_ r: Refusal) {
        Self.expectRefused(replacing: r.old, with: r.new, lineOf: r.lineOf, field: r.field, phrase: r.phrase)
    }
}
