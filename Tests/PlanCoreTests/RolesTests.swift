import Foundation
import ICal
@testable import PlanCore
import Testing

/// Roles as the document words them (issue 7 §3): a unit the plan only requests ("Đề nghị",
/// V.6) and the recipients of what a unit delivers (vhxh receives every annual report).
@Suite struct RolesTests {
    static let base = TestSupport.smallPlanHead + """
          - id: hoi
            name: "Các hội"
            relation: RELATION
            members:
              - id: hoi-a
                name: "Hội A"
        obligations:
          - id: annual-report
            title: "Báo cáo năm"
            kind: deadline
            rrule: "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=14"
            dtstart: 2025-12-14
            for_each: [cong-an, hoi]
            RECIPIENTS
            section: "phần kết"
        """

    static func load(relation: String = "requested", recipients: String = "recipients: [vhxh]") throws -> Plan {
        let text = base.replacingOccurrences(of: "RELATION", with: relation).replacingOccurrences(of: "RECIPIENTS", with: recipients)
        return try PlanLoader.parse(data: Data(text.utf8), file: "roles.yaml")
    }

    static func issue(relation: String = "requested", recipients: String = "recipients: [vhxh]") -> PlanIssue? {
        do {
            _ = try load(relation: relation, recipients: recipients)
            Issue.record("loaded; expected a PlanError")
            return nil
        } catch let e as PlanError {
            #expect(e.issues.count == 1, "\(e)")
            return e.issues.first
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func relationAndRecipientsLoad() throws {
        let plan = try Self.load()
        #expect(plan.unit("hoi")?.relation == .requested)
        #expect(plan.unit("hoi-a")?.isRequested == true, "a member shares its collective's relation")
        #expect(plan.unit("cong-an")?.relation == .assigned)
        #expect(plan.obligations[0].recipients == ["vhxh"])
        #expect(plan.obligations[0].participants.isEmpty)
        let all = try Schedule(plan: plan).occurrences()
        let report = try #require(all.first { $0.id == "annual-report/2026/hoi-a" })
        #expect(report.requested)
        #expect(report.recipients == ["vhxh"])
        #expect(!(all.first { $0.id == "annual-report/2026/cong-an" }?.requested ?? true))
        // The recipient sees what it receives; it is not a participant.
        #expect(try Schedule(plan: plan).occurrences(for: "vhxh").contains { $0.id == "annual-report/2026/cong-an" })
        #expect(!report.units.contains("vhxh"))
    }

    @Test func badRelationIsNamedWithItsLine() throws {
        let issue = try #require(Self.issue(relation: "asked"))
        #expect(issue.file == "roles.yaml")
        #expect(issue.line == 16)
        #expect(issue.field == "units[2].relation")
        #expect(issue.message.contains("requested") && issue.message.contains("\"asked\""))
    }

    @Test func leadCannotBeRequested() throws {
        let text = Self.base.replacingOccurrences(of: "    role: lead", with: "    role: lead\n    relation: requested")
            .replacingOccurrences(of: "RELATION", with: "assigned").replacingOccurrences(of: "RECIPIENTS", with: "")
        #expect(throws: PlanError.self) { try PlanLoader.parse(data: Data(text.utf8), file: "roles.yaml") }
        do { _ = try PlanLoader.parse(data: Data(text.utf8), file: "roles.yaml") } catch let e as PlanError {
            #expect(e.issues.first?.field == "units[0].relation")
            #expect(e.issues.first?.message.contains("đơn vị chủ trì") == true)
        }
    }

    @Test func unknownRecipientIsNamedWithItsLine() throws {
        let issue = try #require(Self.issue(recipients: "recipients: [ubnd]"))
        #expect(issue.field == "obligations[0].recipients")
        #expect(issue.line == 27)
        #expect(issue.message.contains("không có đơn vị \"ubnd\""))
    }

    @Test func recipientCannotAlsoTakePart() throws {
        let issue = try #require(Self.issue(recipients: "recipients: [vhxh]\n    participants: [vhxh]"))
        #expect(issue.field == "obligations[0].recipients")
        #expect(issue.message.contains("vừa là đơn vị phối hợp"))
    }

    // MARK: - The shipped plan

    /// vhxh receives each unit's annual report: awaited, then received — never its own duty or
    /// participation; the owner's own view is unchanged.
    @Test func leadReceivesTheAnnualReports() async throws {
        let h = try Harness.shipped()
        let report = try #require(h.service.occurrences.first { $0.id == "annual-report/2026/cong-an" })
        #expect(report.recipients == ["vhxh"])
        #expect(report.participants.isEmpty)
        var ledger = try await h.ledger
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(1, 12, 2026), for: "vhxh") == .awaiting)
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026), for: "vhxh") == .awaiting)
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026), for: "cong-an") == .overdue)
        try await h.done("annual-report/2026/cong-an", by: "cong-an", on: day(10, 12, 2026))
        ledger = try await h.ledger
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026), for: "vhxh") == .received)
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026)) == .doneOnTime)
    }

    /// V.6: the Front's and the unions' items are requests. Past their day with nothing
    /// recorded they are "Đề nghị, chưa ghi nhận", not overdue, and out of the on-time rates
    /// and the city's overdue count; once done they show as done.
    @Test func requestedUnitsAreOutOfTheRates() async throws {
        let h = try Harness.shipped()
        #expect(h.plan.unit("mttq")?.isRequested == true)
        #expect(h.plan.unit("hoi-lhpn")?.isRequested == true)
        #expect(h.plan.unit("kthtdt")?.isRequested == false)
        try await h.done("annual-report/2026/hoi-lhpn", by: "hoi-lhpn", on: day(18, 12, 2026), today: day(18, 12, 2026))
        let today = day(20, 12, 2026)
        let r = try await h.report(today: today)
        let mttq = try #require(r.units.first { $0.id == "mttq" })
        #expect(mttq.requested)
        #expect(mttq.annualReport == .requestPending)
        #expect(mttq.overdue == 0)
        #expect(mttq.pending > 0)
        #expect(mttq.onTimeRate == nil)
        let lhpn = try #require(r.units.first { $0.id == "hoi-lhpn" })
        #expect(lhpn.annualReport == .doneLate, "a request's own state stays visible")
        #expect(lhpn.onTimeRate == nil)
        let police = try #require(r.units.first { $0.id == "cong-an" })
        #expect(!police.requested)
        #expect(police.annualReport == .overdue)
        #expect(police.overdue > 0)
        #expect(police.onTimeRate != nil)
        // The city row counts only the offices' overdue items and reports.
        let city = CityReport.Row(plan: h.plan, report: r, lastFetch: nil)
        #expect(city.overdue == r.units.filter { !$0.requested }.map(\.overdue).reduce(0, +))
        #expect(city.reportsOwed == r.units.filter { !$0.requested && $0.annualReport != nil }.count)
        // The table says they are requests, without a rate.
        let table = r.table(plan: h.plan)
        #expect(table.contains("đề nghị: đã ghi nhận"))
        #expect(table.contains("(không tính tỷ lệ đúng hạn)"))
    }

    @Test func requestStateHasAVietnameseLabel() {
        #expect(OccurrenceState.requestPending.label == "Đề nghị, chưa ghi nhận")
        #expect(OccurrenceState.awaiting.label == "Chờ nhận")
        #expect(OccurrenceState.received.label == "Đã nhận")
        #expect(!OccurrenceState.requestPending.isDone)
    }
}
