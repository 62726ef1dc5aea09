import Foundation
import ICal
@testable import PlanCore
import Testing

/// A plan, an in-memory store and the service over them, for building histories.
struct Harness {
    let plan: Plan
    let store = InMemoryCompletionRepository()
    let service: CompletionService

    init(plan: Plan) throws {
        self.plan = plan
        service = try CompletionService(plan: plan, store: store)
    }

    /// The shipped plan tracked from its first day (no `tracking_from`): every rule is judged.
    static func shipped() throws -> Harness { try Harness(plan: TestSupport.shippedPlan(trackingFrom: nil)) }

    /// The shipped plan as shipped, with its `tracking_from`.
    static func shippedAsIs() throws -> Harness { try Harness(plan: TestSupport.shippedPlan()) }

    /// Records a `done` that must be new; `today` defaults to the day it was done.
    @discardableResult
    func done(_ id: String, by unit: String, on date: CivilDate, today: CivilDate? = nil, evidence: String? = nil,
              reached: Int? = nil, participants: Int? = nil, organisations: [String] = [], correct: Bool = false,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> CompletionRecord {
        let outcome = try await service.markDone(
            id, unit: unit,
            details: .init(doneOn: date, evidenceURL: evidence, reached: reached, participants: participants,
                           organisations: organisations),
            recordedBy: "Cán bộ thử", correct: correct, now: noon(today ?? date), today: today ?? date)
        guard case let .recorded(record) = outcome else {
            Issue.record("\(id) by \(unit): expected a new record, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return record
    }

    @discardableResult
    func adHoc(_ action: CompletionRecord.AdHocKind, by unit: String = "vhxh", on date: CivilDate, evidence: String? = nil,
               reached: Int? = nil, organisations: [String] = []) async throws -> CompletionRecord {
        try await service.recordAdHoc(action, unit: unit,
                                details: .init(doneOn: date, evidenceURL: evidence, reached: reached,
                                               organisations: organisations),
                                recordedBy: "Cán bộ thử", now: noon(date), today: date).record
    }

    /// The ledger every view reads: the records, and what the plan's `fulfilled_by:` rules make of them.
    var ledger: CompletionLedger {
        get async throws {
            CompletionLedger(records: try await store.records(plan: plan.id), plan: plan, occurrences: service.occurrences)
        }
    }

    func report(today: CivilDate, year: Int? = nil) async throws -> ComplianceReport {
        ComplianceReport(plan: plan, occurrences: service.occurrences, ledger: try await ledger, today: today, year: year)
    }
}

@Suite struct ComplianceTests {
    static func url(_ quarter: String) -> String { "https://bachdang.example/tin-tuc/binh-dang-gioi-\(quarter)" }

    // (a) 2025-Q1..Q3 published inside their quarters, nothing for Q4; today 01/02/2026.
    @Test func missedQuarter() async throws {
        let h = try Harness.shipped()
        try await h.done("quarterly-news/2025-Q1", by: "vhxh", on: day(10, 2, 2025), evidence: Self.url("2025-q1"))
        try await h.done("quarterly-news/2025-Q2", by: "vhxh", on: day(20, 5, 2025), evidence: Self.url("2025-q2"))
        try await h.done("quarterly-news/2025-Q3", by: "vhxh", on: day(30, 9, 2025), evidence: Self.url("2025-q3"))
        let report = try await h.report(today: day(1, 2, 2026))
        #expect(report.year == 2026)
        #expect(report.today == "2026-02-01")
        #expect(report.quarters.map(\.key) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"])
        #expect(report.quarters.map(\.state) == [.met, .met, .met, .missed, .open])
        #expect(report.quarters.map(\.label) == ["quý I/2025", "quý II/2025", "quý III/2025", "quý IV/2025", "quý I/2026"])
        let q = report.quarters
        guard q.count == 5 else { return }
        #expect(q[0].items.map(\.url) == [Self.url("2025-q1")])
        #expect(q[0].items.map(\.date) == ["2025-02-10"])
        #expect(q[0].items.map(\.source) == ["quarterly-news/2025-Q1"])
        #expect(q[0].items.map(\.unit) == ["vhxh"])
        #expect(q[1].items.map(\.url) == [Self.url("2025-q2")])
        #expect(q[2].items.map(\.url) == [Self.url("2025-q3")])
        #expect(q[2].items.map(\.date) == ["2025-09-30"])
        #expect(q[3].items.isEmpty)
        #expect(q[4].items.isEmpty)
    }

    // (b) the Q2 item went up in July: late, and the item is shown.
    @Test func newsAfterItsQuarterIsLate() async throws {
        let h = try Harness.shipped()
        try await h.done("quarterly-news/2025-Q1", by: "vhxh", on: day(31, 3, 2025), evidence: Self.url("2025-q1"))
        try await h.done("quarterly-news/2025-Q2", by: "vhxh", on: day(5, 7, 2025), evidence: Self.url("2025-q2"))
        let report = try await h.report(today: day(1, 2, 2026))
        let q2 = try #require(report.quarters.first { $0.key == "2025-Q2" })
        #expect(q2.state == .late)
        #expect(q2.items.map(\.date) == ["2025-07-05"])
        #expect(q2.items.map(\.url) == [Self.url("2025-q2")])
        #expect(report.quarters.first { $0.key == "2025-Q1" }?.state == .met)
        // The Q2 occurrence is itself done late.
        let o = try h.service.occurrence("quarterly-news/2025-Q2")
        #expect(OccurrenceState.of(o, ledger: try await h.ledger, today: day(1, 2, 2026)) == .doneLate)
    }

    // (c) an ad hoc news record inside a quarter meets it.
    @Test func adHocNewsMeetsItsQuarter() async throws {
        let h = try Harness.shipped()
        try await h.adHoc(.news, on: day(3, 11, 2025), evidence: Self.url("adhoc-2025-11"))
        let report = try await h.report(today: day(1, 2, 2026))
        let q4 = try #require(report.quarters.first { $0.key == "2025-Q4" })
        #expect(q4.state == .met)
        #expect(q4.items.map(\.source) == ["ad-hoc"])
        #expect(q4.items.map(\.url) == [Self.url("adhoc-2025-11")])
        #expect(q4.items.map(\.date) == ["2025-11-03"])
        // Neighbouring quarters are not affected.
        #expect(report.quarters.first { $0.key == "2025-Q3" }?.state == .missed)
        #expect(report.quarters.first { $0.key == "2026-Q1" }?.state == .open)
    }

    // (d) cong-an's 2026 report handed in on 20/12, after the 14/12 deadline.
    @Test func lateAnnualReport() async throws {
        let h = try Harness.shipped()
        let today = day(31, 12, 2026)
        try await h.done("data-report-violence/2026", by: "cong-an", on: day(10, 12, 2026), today: today)
        try await h.done("annual-report/2026/cong-an", by: "cong-an", on: day(20, 12, 2026), today: today)
        try await h.done("annual-report/2026/mttq", by: "mttq", on: day(14, 12, 2026), today: today)
        let report = try await h.report(today: today)
        let congAn = try #require(report.units.first { $0.id == "cong-an" })
        #expect(congAn.annualReport == .doneLate)
        // Owned and due in 2026: the annual report (late), the violence data (on time), the
        // dissemination of 30/6 and the anti-trafficking report of 14/12 (V.3; never recorded, overdue).
        #expect(congAn.due == 4)
        #expect(congAn.onTime == 1)
        #expect(congAn.late == 1)
        #expect(congAn.overdue == 2)
        let rate = try #require(congAn.onTimeRate)
        #expect(rate < 1)
        #expect(abs(rate - 1.0 / 4.0) < 1e-9)

        #expect(report.units.first { $0.id == "mttq" }?.annualReport == .doneOnTime)
        // The Women's Union is requested (V.6): its missing report is a request, not overdue.
        #expect(report.units.first { $0.id == "hoi-lhpn" }?.annualReport == .requestPending)
        // vhxh owes no annual report of its own.
        #expect(report.units.first { $0.id == "vhxh" }?.annualReport == nil)
        #expect(!report.units.contains { $0.id == "nobody" })
        #expect(report.units.count == 8)
    }

    // (e) G6.T2 in 2026: 3 of the 7 organisations informed.
    @Test func partialDisseminationYear() async throws {
        let h = try Harness.shipped()
        let today = day(31, 12, 2026)
        try await h.done("dissemination/2026/kthtdt", by: "kthtdt", on: day(10, 5, 2026), today: today)
        // Recorded by the lead unit for cong-an (vhxh takes part in every dissemination).
        try await h.done("dissemination/2026/cong-an", by: "vhxh", on: day(15, 6, 2026), today: today)
        try await h.adHoc(.meeting, on: day(8, 3, 2026), reached: 40, organisations: ["mttq"])
        // Not for 2026: a 2025 dissemination and a 2025 meeting; to-dan-pho is not an organisation.
        try await h.done("dissemination/2025/chi-bo", by: "chi-bo", on: day(1, 6, 2025), today: today)
        try await h.adHoc(.meeting, on: day(10, 10, 2025), organisations: ["hoi-lhpn"])
        // to-dan-pho is not an organisation G6.T2 counts: naming it is refused, nothing is written.
        let before = try await h.store.records(plan: h.plan.id).count
        await #expect(throws: CompletionError.unknownOrganisation("to-dan-pho")) {
            try await h.adHoc(.meeting, on: day(9, 9, 2026), organisations: ["to-dan-pho"])
        }
        #expect(try await h.store.records(plan: h.plan.id).count == before)

        let d = try await h.report(today: today).dissemination!
        #expect(d.year == 2026)
        #expect(d.total == 7)
        #expect(d.informed == 3)
        #expect(abs(d.share - 3.0 / 7.0) < 1e-9)
        #expect(!d.met)
        #expect(d.organisations.map(\.id) == ["vhxh", "kthtdt", "cong-an", "chi-bo", "mttq", "hoi-lhpn", "hoi-nong-dan"])
        let informedOn = Dictionary(uniqueKeysWithValues: d.organisations.map { ($0.id, $0.informedOn) })
        #expect(informedOn["kthtdt"] == "2026-05-10")
        #expect(informedOn["cong-an"] == "2026-06-15")
        #expect(informedOn["mttq"] == "2026-03-08")
        #expect(d.organisations.filter { $0.informedOn == nil }.map(\.id) == ["vhxh", "chi-bo", "hoi-lhpn", "hoi-nong-dan"])

        // The same history read for 2025: only chi-bo and hoi-lhpn.
        let d2025 = try await h.report(today: today, year: 2025).dissemination!
        #expect(d2025.informed == 2)
        #expect(Set(d2025.organisations.filter { $0.informedOn != nil }.map(\.id)) == ["chi-bo", "hoi-lhpn"])
    }

    /// G6.T2 is "every year": a 2026 dissemination recorded as done on 05/01/2027 did not inform
    /// the organisation in 2026, so 2026 must not count it (and must not show a 2027 date as
    /// the day it was informed in 2026).
    @Test func disseminationDoneInTheNextYearDoesNotInformTheYear() async throws {
        let h = try Harness.shipped()
        let today = day(31, 1, 2027)
        try await h.done("dissemination/2026/mttq", by: "mttq", on: day(5, 1, 2027), today: today)
        let d = try await h.report(today: today, year: 2026).dissemination!
        let mttq = try #require(d.organisations.first { $0.id == "mttq" })
        #expect(mttq.informedOn == nil, "2026 shows mttq informed on \(mttq.informedOn ?? "-")")
        #expect(d.informed == 0)
    }

    /// A news item published on 20/03/2025 cannot be recorded as quarterly-news/2025-Q2 (which
    /// opens on 01/04/2025): work done before an occurrence's period does not count for it. An
    /// item published in a quarter counts for that quarter whichever way it is recorded.
    @Test func newsDatedBeforeItsQuarterIsRefusedAndCountsWhereItWasPublished() async throws {
        let h = try Harness.shipped()
        let url = Self.url("2025-03-20")
        await #expect(throws: CompletionError.beforeOpening(day(20, 3, 2025), opens: day(1, 4, 2025), occurrence: "Đăng 01 tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý II/2025")) {
            try await h.service.markDone("quarterly-news/2025-Q2", unit: "vhxh", details: .init(doneOn: day(20, 3, 2025), evidenceURL: url),
                                   recordedBy: "x", now: noon(day(1, 2, 2026)), today: day(1, 2, 2026))
        }
        try await h.adHoc(.news, on: day(20, 3, 2025), evidence: url)
        let report = try await h.report(today: day(1, 2, 2026))
        #expect(report.quarters[0].state == .met)
        #expect(report.quarters[0].items.map(\.url) == [url])
        #expect(report.quarters[1].state == .missed)
    }

    /// A participant's completion records its part; only the owner's side (the owner, its
    /// collective or its members) makes the occurrence done (review finding).
    @Test func participantDoesNotCompleteTheOwnersObligation() async throws {
        let h = try Harness.shipped()
        let today = day(29, 11, 2026)
        let month = try h.service.occurrence("action-month/2026")
        try await h.done("action-month/2026", by: "hoi-lhpn", on: day(20, 11, 2026), today: today)
        #expect(try await h.ledger.done(month) == nil)
        #expect(OccurrenceState.of(month, ledger: try await h.ledger, today: today) == .inProgress)
        try await h.done("action-month/2026", by: "vhxh", on: day(25, 11, 2026), today: today)
        #expect(try await h.ledger.done(month)?.unit == "vhxh")
        #expect(OccurrenceState.of(month, ledger: try await h.ledger, today: today) == .doneOnTime)
        // Nor does the action month (which serves G6.T2 too) inform anyone: only disseminations do.
        #expect(try await h.report(today: today).dissemination!.informed == 0)
    }

    /// An occurrence cannot be marked done years ahead (review finding).
    @Test func doneBeforeTheOccurrenceOpensIsRefused() async throws {
        let h = try Harness.shipped()
        await #expect(throws: CompletionError.beforeOpening(day(20, 11, 2026), opens: day(1, 1, 2029), occurrence: "Báo cáo kết quả thực hiện Kế hoạch về UBND phường (qua phòng Văn hóa - Xã hội) — năm 2029 — Công an phường")) {
            try await h.service.markDone("annual-report/2029/cong-an", unit: "cong-an", details: .init(doneOn: day(20, 11, 2026)),
                                   recordedBy: "x", now: noon(day(29, 11, 2026)), today: day(29, 11, 2026))
        }
        #expect(try await h.store.records(plan: h.plan.id).isEmpty)
    }

    // (f) reach against the straight line to 80%, with a population of 10 000.
    // Today 31/12/2027: 1095 of the period's 2191 days have passed.
    static let pathAtEnd2027 = 0.8 * 1095.0 / 2191.0

    @Test func reachBelowThePath() async throws {
        let h = try Harness(plan: TestSupport.shippedPlan(population: 10_000))
        #expect(h.plan.population == 10_000)
        let today = day(31, 12, 2027)
        try await h.done("action-month/2026", by: "vhxh", on: day(1, 12, 2026), today: today, reached: 2000)
        try await h.adHoc(.meeting, on: day(1, 3, 2027), reached: 1000, organisations: ["mttq"])
        // Withdrawn: does not count.
        try await h.done("action-month/2025", by: "vhxh", on: day(1, 12, 2025), today: today, reached: 500)
        _ = try await h.service.undo("action-month/2025", unit: "vhxh", reason: "ghi nhầm", recordedBy: "Cán bộ thử",
                               now: noon(today))
        let r = try await h.report(today: today).reach!
        #expect(r.reached == 3000)
        #expect(r.population == 10_000)
        #expect(r.share.map { abs($0 - 0.3) < 1e-9 } == true)
        #expect(abs(r.path - Self.pathAtEnd2027) < 1e-9)
        #expect(r.goal == 0.8)
        #expect(r.onTrack == false)
    }

    @Test func reachAboveThePath() async throws {
        let h = try Harness(plan: TestSupport.shippedPlan(population: 10_000))
        let today = day(31, 12, 2027)
        try await h.done("action-month/2027", by: "vhxh", on: day(1, 12, 2027), today: today, reached: 1000)
        // A correction supersedes the first figure rather than adding to it.
        try await h.done("action-month/2027", by: "vhxh", on: day(2, 12, 2027), today: today, reached: 4000, correct: true)
        try await h.adHoc(.meeting, on: day(1, 3, 2027), reached: 1000)
        let r = try await h.report(today: today).reach!
        #expect(r.reached == 5000)
        #expect(r.share.map { abs($0 - 0.5) < 1e-9 } == true)
        #expect(r.onTrack == true)
        // More than the population cannot be recorded.
        await #expect(throws: CompletionError.invalidCount(field: "reached", value: 10_001, max: 10_000)) {
            try await h.adHoc(.meeting, on: day(2, 3, 2027), reached: 10_001)
        }
    }

    @Test func reachWithoutPopulationHasNoShare() async throws {
        let h = try Harness.shipped()
        #expect(h.plan.population == nil)
        let today = day(31, 12, 2027)
        try await h.done("action-month/2026", by: "vhxh", on: day(1, 12, 2026), today: today, reached: 2000)
        try await h.adHoc(.meeting, on: day(1, 3, 2027), reached: 1000)
        let r = try await h.report(today: today).reach!
        #expect(r.reached == 3000)
        #expect(r.population == nil)
        #expect(r.share == nil)
        #expect(r.onTrack == nil)
        #expect(abs(r.path - Self.pathAtEnd2027) < 1e-9)
    }

    @Test func reachPathAtTheEdgesOfThePeriod() async throws {
        let h = try Harness(plan: TestSupport.shippedPlan(population: 10_000))
        #expect(abs(try await h.report(today: day(31, 12, 2030)).reach!.path - 0.8) < 1e-9)
        #expect(abs(try await h.report(today: day(1, 6, 2031)).reach!.path - 0.8) < 1e-9)
        #expect(abs(try await h.report(today: day(1, 1, 2025)).reach!.path - 0.8 / 2191.0) < 1e-9)
    }

    // (g) done, then undone: the quarter is missed again and both records stay.
    @Test func undoMakesTheQuarterMissedAgain() async throws {
        let h = try Harness.shipped()
        let today = day(1, 2, 2026)
        try await h.done("quarterly-news/2025-Q1", by: "vhxh", on: day(10, 2, 2025), today: today, evidence: Self.url("2025-q1"))
        #expect(try await h.report(today: today).quarters.first?.state == .met)
        let undo = try await h.service.undo("quarterly-news/2025-Q1", unit: "vhxh", reason: "Bài đã bị gỡ",
                                      recordedBy: "Cán bộ thử", now: noon(today))
        #expect(undo.action == .undo)
        #expect(undo.reason == "Bài đã bị gỡ")
        let report = try await h.report(today: today)
        #expect(report.quarters.first?.key == "2025-Q1")
        #expect(report.quarters.first?.state == .missed)
        #expect(report.quarters.first?.items.isEmpty == true)
        let records = try await h.store.records(plan: "bach-dang")
        #expect(records.count == 2)
        #expect(records.map(\.action) == [.done, .undo])
        let ledger = try await h.ledger
        #expect(ledger.count == 2)
        #expect(ledger.completions(of: "quarterly-news/2025-Q1").isEmpty)
        #expect(ledger.changeCount(of: "quarterly-news/2025-Q1") == 2)
    }

    @Test func occurrenceStates() async throws {
        let h = try Harness.shipped()
        let o = try h.service.occurrence("annual-report/2026/cong-an")  // due 14/12/2026
        let empty = CompletionLedger(records: [])
        #expect(OccurrenceState.of(o, ledger: empty, today: day(1, 11, 2026)) == .upcoming)
        #expect(OccurrenceState.of(o, ledger: empty, today: day(30, 11, 2026)) == .dueSoon)
        #expect(OccurrenceState.of(o, ledger: empty, today: day(14, 12, 2026)) == .dueSoon)
        #expect(OccurrenceState.of(o, ledger: empty, today: day(15, 12, 2026)) == .overdue)
        try await h.done("annual-report/2026/cong-an", by: "cong-an", on: day(14, 12, 2026))
        #expect(OccurrenceState.of(o, ledger: try await h.ledger, today: day(20, 12, 2026)) == .doneOnTime)
        // A span is in progress from its first day to its last, whatever its length.
        let month = try h.service.occurrence("action-month/2026")  // 15/11–15/12/2026
        #expect(OccurrenceState.of(month, ledger: empty, today: day(14, 11, 2026)) == .upcoming)
        #expect(OccurrenceState.of(month, ledger: empty, today: day(15, 11, 2026)) == .inProgress)
        #expect(OccurrenceState.of(month, ledger: empty, today: day(15, 12, 2026)) == .inProgress)
        #expect(OccurrenceState.of(month, ledger: empty, today: day(16, 12, 2026)) == .overdue)
    }
}

/// G6.T2 with a collective that lists its members (review finding): a meeting naming the
/// collective informs each member; the members, not the collective, are the organisations.
@Suite struct CollectiveDisseminationTests {
    @Test func meetingNamingACollectiveInformsItsMembers() async throws {
        let h = try Harness(plan: PlanLoader.load(path: TestSupport.fixture("members.yaml")))
        #expect(h.plan.organisations.map(\.id) == ["vhxh", "chi-bo-1", "chi-bo-2", "cong-an"])
        try await h.adHoc(.meeting, on: day(8, 3, 2026), organisations: ["chi-bo"])
        let d = try await h.report(today: day(31, 12, 2026)).dissemination!
        #expect(d.total == 4)
        #expect(d.informed == 2)
        #expect(Set(d.organisations.filter { $0.informedOn == "2026-03-08" }.map(\.id)) == ["chi-bo-1", "chi-bo-2"])
    }
}
