import Foundation
import ICal
@testable import PlanCore
import Testing

/// Baselines the lead unit records (issue 17): what is refused, and how a recorded baseline
/// gives an indicator its path (replacing the plan file's, the latest by record order).
@Suite struct BaselineTests {
    static let at = noon(day(10, 12, 2026))

    static func baseline(_ value: Double, target: TargetID = "G3.T2", indicator: String = "victims", year: Int = 2025,
                         id: Int64? = nil, evidence: String? = "https://bachdang.example/ban-dau", note: String? = nil,
                         at: UTCDateTime = BaselineTests.at) -> BaselineRecord {
        BaselineRecord(id: id, plan: "bach-dang", target: target, indicator: indicator, year: year, value: value,
                       evidenceURL: evidence, note: note, recordedBy: "Cán bộ thử", recordedAt: at)
    }

    static func refusal(_ r: BaselineRecord, actor: UnitID = "vhxh", today: CivilDate = day(10, 12, 2026)) throws -> BaselineError? {
        let plan = try TestSupport.shippedPlan()
        do {
            _ = try BaselineValidator.validate(r, actor: actor, plan: plan, today: today)
            return nil
        } catch let e as BaselineError { return e }
    }

    @Test func refusals() throws {
        #expect(try Self.refusal(Self.baseline(70)) == nil)
        #expect(try Self.refusal(Self.baseline(70, evidence: nil, note: "Thống kê của Công an phường")) == nil)
        // Only the lead unit records a baseline.
        #expect(try Self.refusal(Self.baseline(70), actor: "cong-an") == .notLead(actor: "cong-an", lead: "vhxh"))
        #expect(try Self.refusal(Self.baseline(70, target: "G9.T9"))?.field == "target")
        #expect(try Self.refusal(Self.baseline(70, target: "G3.T2", indicator: "nope"))?.field == "indicator")
        // A range goal holds every year: no path, no baseline.
        let within = try #require(try Self.refusal(Self.baseline(104, target: "G4.T1", indicator: "sex-ratio")))
        #expect(within.field == "indicator" && within.description.contains("không có lộ trình"))
        #expect(try Self.refusal(Self.baseline(70, year: 2024)) == .yearOutsidePlan(2024, start: 2025, end: 2030))
        #expect(try Self.refusal(Self.baseline(70, year: 2027)) == .yearInFuture(2027, current: 2026))
        #expect(try Self.refusal(Self.baseline(-1)) == .negative(-1))
        #expect(try Self.refusal(Self.baseline(100.5)) == .shareAbove100(100.5))
        #expect(try Self.refusal(Self.baseline(100)) == nil)
        #expect(try Self.refusal(Self.baseline(.nan)) == .notFinite)
        #expect(try Self.refusal(Self.baseline(.infinity))?.field == "value")
        #expect(try Self.refusal(Self.baseline(70, evidence: nil)) == .missingSource)
        #expect(try Self.refusal(Self.baseline(70, evidence: "ftp://x")) == .invalidURL("ftp://x"))
        // A ratio is not bounded by 100.
        #expect(try Self.refusal(Self.baseline(120, target: "G3.T1", indicator: "care-hours")) == nil)
        // Messages are Vietnamese and name what is wrong.
        #expect(BaselineError.shareAbove100(120).description.contains("không vượt quá 100"))
    }

    @Test func recordedBaselineGivesThePath() async throws {
        let h = try Harness(plan: TestSupport.shippedPlan(population: 1000))
        let plan = h.plan
        try await h.adHoc(.meeting, on: day(10, 3, 2026), reached: 300, organisations: plan.organisations.map(\.id.rawValue))
        let figures = [
            FigureTests.record("G3.T2", unit: "cong-an", ["victims-detected": 10]),
            FigureTests.record("G3.T2", unit: "vhxh", ["victims-supported": 8]),
        ]
        let compliance = try await h.report(today: day(31, 12, 2026), year: 2026)
        func line(_ baselines: [BaselineRecord], _ t: TargetID = "G3.T2", _ i: String = "victims") throws -> IndicatorReport.Line {
            try #require(IndicatorReport(plan: plan, figures: figures, compliance: compliance, year: 2026, baselines: baselines)
                .lines.first { $0.target == t && $0.indicator == i })
        }
        // Without a baseline: not judged.
        #expect(try line([]).state == .notJudged)
        // 70% in 2025 towards 90% by 2030: the path stands at 74% in 2026; 80% is on it.
        let low = try line([Self.baseline(70, id: 1)])
        #expect(low.baseline == 70 && low.baselineYear == 2025 && low.path == 74 && low.state == .onPath)
        // A later record (by id) replaces it, whatever its time says: 85% → path 86%, 80% is behind.
        let early = UTCDateTime(secondsSinceEpoch: Self.at.secondsSinceEpoch - 3600)
        let both = [Self.baseline(85, id: 2, at: early), Self.baseline(70, id: 1)]
        let behind = try line(both)
        #expect(behind.baseline == 85 && behind.path == 86 && behind.state == .behind)
        // Another plan's record changes nothing.
        var foreign = Self.baseline(70, id: 3)
        foreign.plan = "other"
        #expect(try line([foreign]).state == .notJudged)
        // The reach target: the compliance report's path once a baseline is recorded, as for one in the file.
        let reach = try #require(compliance.reach)
        #expect(try line([], "G6.T1", "reach").path == nil)
        let g6 = try line([Self.baseline(0, target: "G6.T1", indicator: "reach", id: 4)], "G6.T1", "reach")
        #expect(g6.path == reach.path * 100 && g6.baseline == 0)
        #expect(g6.state == .onPath || g6.state == .behind)
        // The annual report's indicators take them too.
        let ward = WardAnnualReport(plan: plan, year: 2026, occurrences: h.service.occurrences, ledger: try await h.ledger,
                                    figures: figures, today: day(31, 12, 2026), baselines: [Self.baseline(70, id: 1)])
        #expect(ward.indicators.lines.first { $0.target == "G3.T2" && $0.indicator == "victims" }?.state == .onPath)
    }
}
