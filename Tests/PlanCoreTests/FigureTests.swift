import Foundation
import ICal
@testable import PlanCore
import Testing

/// Figures recorded by the supplying units (issue 7, M2): what is refused, and the indicator
/// report computed from them and from the compliance report of the same records.
@Suite struct FigureTests {
    static let at = noon(day(10, 12, 2026))

    static func record(_ target: TargetID, unit: UnitID, year: Int = 2026, _ values: [String: Double],
                       evidence: String? = "https://bachdang.example/so-lieu", note: String? = nil,
                       at: UTCDateTime = FigureTests.at) -> FigureRecord {
        FigureRecord(plan: "bach-dang", target: target, year: year, unit: unit, values: values, evidenceURL: evidence,
                     note: note, recordedBy: "Cán bộ thử", recordedAt: at)
    }

    static func refusal(_ r: FigureRecord, actor: UnitID? = nil, existing: [FigureRecord] = []) throws -> FigureError? {
        let plan = try TestSupport.shippedPlan()
        do {
            _ = try FigureValidator.validate(r, actor: actor ?? r.unit, plan: plan, existing: existing)
            return nil
        } catch let e as FigureError { return e }
    }

    @Test func acceptsDeclaredFiguresOfTheSupplier() throws {
        #expect(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-detected": 10, "perpetrators-detected": 3])) == nil)
        // The lead unit may record for any unit.
        #expect(try Self.refusal(Self.record("G2.T3", unit: "kthtdt", ["directors": 40]), actor: "vhxh") == nil)
        #expect(try Self.refusal(Self.record("G3.T1", unit: "vhxh", ["women-care-hours": 3.5], evidence: nil,
                                             note: "Khảo sát hộ gia đình")) == nil)
    }

    @Test func refusesWithTheFieldNamed() throws {
        let notDeclared = try #require(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-rescued": 1])))
        #expect(notDeclared.field == "victims-rescued")
        #expect(notDeclared.description.contains("không có trong chỉ tiêu G3.T2"))

        let negative = try #require(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-detected": -2])))
        #expect(negative == .negative(figure: "victims-detected", value: -2))
        #expect(negative.description.contains("không được âm"))

        let fraction = try #require(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-detected": 2.5])))
        #expect(fraction.field == "victims-detected" && fraction.description.contains("số nguyên"))

        let otherSupplier = try #require(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-supported": 2])))
        #expect(otherSupplier == .notSupplier(figure: "victims-supported", unit: "cong-an", supplier: "vhxh"))

        let notAllowed = try #require(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-detected": 2]),
                                                       actor: "kthtdt"))
        #expect(notAllowed.field == "unit")

        let records = try #require(try Self.refusal(Self.record("G6.T3", unit: "vhxh", ["x": 1])))
        #expect(records == .noFigures(target: "G6.T3"))

        let year = try #require(try Self.refusal(Self.record("G2.T3", unit: "kthtdt", year: 2031, ["directors": 1])))
        #expect(year.field == "year" && year.description.contains("2031"))

        let source = try #require(try Self.refusal(Self.record("G2.T3", unit: "kthtdt", ["directors": 1], evidence: nil)))
        #expect(source == .missingSource)
        let badURL = try #require(try Self.refusal(Self.record("G2.T3", unit: "kthtdt", ["directors": 1], evidence: "ftp://x")))
        #expect(badURL.field == "evidence")
    }

    @Test func numeratorNotAboveDenominatorAcrossUnits() throws {
        // The police recorded 5 victims detected; vhxh cannot record 6 of them supported.
        let police = Self.record("G3.T2", unit: "cong-an", ["victims-detected": 5])
        let e = try #require(try Self.refusal(Self.record("G3.T2", unit: "vhxh", ["victims-supported": 6]), existing: [police]))
        #expect(e == .numeratorAboveDenominator(numerator: "victims-supported", value: 6, denominator: "victims-detected", of: 5))
        #expect(e.description.contains("không được vượt mẫu số"))
        // A ratio (boys per 100 girls) may exceed 1: not a share.
        #expect(try Self.refusal(Self.record("G4.T1", unit: "vhxh", ["boys-born": 52, "girls-born": 50])) == nil)
        // Another year's denominator does not count.
        #expect(try Self.refusal(Self.record("G3.T2", unit: "vhxh", year: 2027, ["victims-supported": 6]),
                                 existing: [police]) == nil)
    }

    @Test func laterRecordCorrectsEarlier() {
        // Record order decides, not the time: the correction is stamped a day earlier (a clock
        // set back) and still replaces the first record's value.
        var first = Self.record("G2.T3", unit: "kthtdt", ["directors": 40, "women-directors": 10], at: noon(day(2, 12, 2026)))
        first.id = 1
        var fix = Self.record("G2.T3", unit: "kthtdt", ["women-directors": 12], at: noon(day(1, 12, 2026)))
        fix.id = 2
        let ledger = FigureLedger([fix, first])
        #expect(ledger.value("G2.T3", year: 2026, figure: "women-directors") == 12)
        #expect(ledger.value("G2.T3", year: 2026, figure: "directors") == 40)
        #expect(ledger.value("G2.T3", year: 2027, figure: "directors") == nil)
        #expect(first.valuesJSON == "{\"directors\":40,\"women-directors\":10}")
        #expect(FigureRecord.values(fromJSON: first.valuesJSON) == first.values)
    }

    /// The probe's case: the lead records 1 of 3 units, then in the same second 7 of 0. The
    /// record not stored yet comes after every stored one, whatever the times say.
    @Test func sameSecondRecordsInRecordOrder() throws {
        var first = Self.record("G1.T1", unit: "vhxh", ["units-woman-leader": 1, "units-total": 3])
        first.id = 41
        let bad = Self.record("G1.T1", unit: "vhxh", ["units-woman-leader": 7, "units-total": 0])
        #expect(try Self.refusal(bad, existing: [first]) ==
                 .numeratorAboveDenominator(numerator: "units-woman-leader", value: 7, denominator: "units-total", of: 0))
        // A later correction in the same second is checked against the latest values, not stale ones.
        var second = Self.record("G1.T1", unit: "vhxh", ["units-woman-leader": 2, "units-total": 3])
        second.id = 42
        #expect(try Self.refusal(Self.record("G1.T1", unit: "vhxh", ["units-total": 2]), existing: [first, second]) == nil)
        #expect(try Self.refusal(Self.record("G1.T1", unit: "vhxh", ["units-total": 1]), existing: [first, second]) ==
                 .numeratorAboveDenominator(numerator: "units-woman-leader", value: 2, denominator: "units-total", of: 1))
        // A unit alone, a correction downwards of its denominator in the same second.
        var police = Self.record("G3.T2", unit: "cong-an", ["victims-detected": 5])
        police.id = 7
        var support = Self.record("G3.T2", unit: "vhxh", ["victims-supported": 3])
        support.id = 8
        #expect(try Self.refusal(Self.record("G3.T2", unit: "cong-an", ["victims-detected": 1]), existing: [police, support]) ==
                 .numeratorAboveDenominator(numerator: "victims-supported", value: 3, denominator: "victims-detected", of: 1))
    }

    @Test func indicatorReportForAYear() async throws {
        let h = try Harness(plan: TestSupport.shippedPlan(population: 1000))
        let plan = h.plan
        // Every organisation informed in 2026 but one; 300 residents reached.
        let orgs = plan.organisations.map(\.id.rawValue).filter { $0 != "hoi-nong-dan" }
        try await h.adHoc(.meeting, on: day(10, 3, 2026), reached: 300, organisations: orgs)
        let figures = [
            Self.record("G2.T3", unit: "kthtdt", ["women-directors": 12, "directors": 40]),
            Self.record("G3.T2", unit: "cong-an", ["victims-detected": 10]),
            Self.record("G3.T2", unit: "vhxh", ["victims-supported": 8]),
            Self.record("G4.T1", unit: "vhxh", ["boys-born": 520, "girls-born": 500]),
            Self.record("G4.T2", unit: "vhxh", ["live-births": 0, "maternal-deaths": 0]),
        ]
        let compliance = try await h.report(today: day(31, 12, 2026), year: 2026)
        let report = IndicatorReport(plan: plan, figures: figures, compliance: compliance, year: 2026)
        #expect(report.lines.count == 18)   // 15 targets, three of them in two parts
        func line(_ t: TargetID, _ i: String? = nil) throws -> IndicatorReport.Line {
            try #require(report.lines.first { $0.target == t && (i == nil || $0.indicator == i) })
        }
        let g2t3 = try line("G2.T3")
        #expect(g2t3.value == 30 && g2t3.valueText == "30%" && g2t3.state == .met && g2t3.stateLabel == "đạt")
        #expect(g2t3.suppliers == ["kthtdt"])
        let victims = try line("G3.T2", "victims")
        // 80% in 2026 against 90% by 2030, with no baseline: no path to judge 2026 against.
        #expect(victims.value == 80 && victims.state == .notJudged && victims.path == nil)
        #expect(victims.stateLabel == "chưa đánh giá được lộ trình (chưa có số liệu ban đầu)")
        let perpetrators = try line("G3.T2", "perpetrators")
        #expect(perpetrators.state == .noData && perpetrators.valueText == "chưa có số liệu")
        #expect(perpetrators.note?.contains("cong-an") == true)
        #expect(try line("G4.T1").valueText == "104/100")
        #expect(try line("G4.T1").state == .met)
        #expect(try line("G4.T2").state == .noData && line("G4.T2").note == "mẫu số bằng 0")
        // Goal 6 from the records: the same numbers as the compliance report.
        let dissemination = try #require(compliance.dissemination)
        let g6t2 = try line("G6.T2")
        #expect(g6t2.numerator == Double(dissemination.informed) && g6t2.denominator == Double(dissemination.total))
        #expect(g6t2.state == .notMet)
        let reach = try #require(compliance.reach)
        let g6t1 = try line("G6.T1")
        #expect(g6t1.numerator == Double(reach.reached) && g6t1.value == (reach.share ?? -1) * 100)
        // The document gives G6.T1 no baseline: no path, not judged before 2030 (not "chưa đạt").
        #expect(g6t1.path == nil && g6t1.baseline == nil)
        #expect(g6t1.state == .notJudged)
        // No news recorded: every judged quarter of 2026 is missed.
        #expect(try line("G6.T3").value == 0)
        // JSON keeps unknowns as null.
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"baseline\":null"))
    }

    @Test func pathStates() throws {
        let i = Indicator(id: "x", label: "x", measure: .share, source: .figures(numerator: "a", denominator: "b"),
                          direction: .atLeast, goal: 90, goalHigh: nil, byYear: 2030, fromYear: nil,
                          baseline: IndicatorBaseline(year: 2025, value: 50), assumption: nil)
        var target = PlanTarget(id: "G3.T2", text: "t", section: "II.2.3")
        target.figures = [TargetFigure(id: "a", label: "a", unit: "vhxh"), TargetFigure(id: "b", label: "b", unit: "vhxh")]
        target.indicators = [i]
        var plan = try TestSupport.shippedPlan()
        plan.targets = [target]
        let empty = ComplianceReport(plan: plan, occurrences: [], ledger: CompletionLedger(records: []),
                                     today: day(31, 12, 2027), year: 2027)
        func state(_ a: Double) -> IndicatorReport.State {
            IndicatorReport(plan: plan, figures: [Self.record("G3.T2", unit: "vhxh", year: 2027, ["a": a, "b": 100])],
                            compliance: empty, year: 2027).lines[0].state
        }
        // The path stands at 66% at the end of 2027.
        #expect(state(70) == .onPath)
        #expect(state(66) == .onPath)
        #expect(state(60) == .behind)
        #expect(state(95) == .met)
    }
}
