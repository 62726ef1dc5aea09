import Foundation
import ICal
@testable import PlanCore
import Testing

/// What the browser's new actions rest on: tracking from a day, waivers, participation,
/// obstacles, corrections, the history and typed days.
@Suite struct WebDomainTests {
    @Test func trackingFromKeepsEarlierItemsOutOfRatesAndOverdue() async throws {
        let h = try Harness.shippedAsIs()
        #expect(h.plan.trackingFrom == day(1, 6, 2026))
        let early = try h.service.occurrence("quarterly-news/2026-Q1")
        let later = try h.service.occurrence("quarterly-news/2026-Q3")
        let ledger = try await h.ledger
        #expect(OccurrenceState.of(early, ledger: ledger, today: day(29, 11, 2026)) == .beforeTracking)
        #expect(OccurrenceState.of(later, ledger: ledger, today: day(29, 11, 2026)) == .overdue)
        let report = try await h.report(today: day(29, 11, 2026))
        #expect(report.quarters.first { $0.key == "2025-Q2" }?.state == .beforeTracking)
        #expect(report.quarters.first { $0.key == "2026-Q3" }?.state == .missed)
        // Q2/2026 ends after tracking starts: it is judged.
        #expect(report.quarters.first { $0.key == "2026-Q2" }?.state == .missed)
        let vhxh = try #require(report.units.first { $0.id == "vhxh" })
        let untracked = try #require(try await Harness.shipped().report(today: day(29, 11, 2026)).units.first { $0.id == "vhxh" })
        #expect(vhxh.due < untracked.due, "items due before 01/06/2026 stay out of the rate")
        #expect(try await h.report(today: day(29, 11, 2026), year: 2025).dissemination?.state == .beforeTracking)
        // Still recordable late: history the ward may fill in.
        try await h.done("quarterly-news/2026-Q1", by: "vhxh", on: day(10, 2, 2026), today: day(29, 11, 2026),
                         evidence: "https://bachdang.example/tin/q1")
        #expect(OccurrenceState.of(early, ledger: try await h.ledger, today: day(29, 11, 2026)) == .doneOnTime)
    }

    @Test func trackingFromOutsideThePeriodIsRefused() throws {
        let text = try String(contentsOfFile: TestSupport.shippedPlanPath, encoding: .utf8)
            .replacingOccurrences(of: "tracking_from: 2026-06-01", with: "tracking_from: 2031-01-01")
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("plan.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try PlanLoader.load(path: path) } throws: { error in
            "\(error)".contains("plan.tracking_from") && "\(error)".contains("nằm ngoài thời gian của kế hoạch")
        }
    }

    @Test func waiverTakesAnItemOutAndShowsInTheReport() async throws {
        let h = try Harness.shipped()
        let today = day(29, 11, 2026)
        let o = try h.service.occurrence("budget-estimate/2026")
        #expect(OccurrenceState.of(o, ledger: try await h.ledger, today: today) == .overdue)
        let before = try #require(try await h.report(today: today).units.first { $0.id == "kthtdt" })
        let waiver = try await h.service.waive(o.id.rawValue, reason: "Dự toán năm 2026 đã bố trí chung", recordedBy: "Chị Lan", now: noon(today))
        #expect(waiver.action == .waive && waiver.unit == "kthtdt")
        #expect(OccurrenceState.of(o, ledger: try await h.ledger, today: today) == .waived)
        let report = try await h.report(today: today)
        let after = try #require(report.units.first { $0.id == "kthtdt" })
        #expect(after.due == before.due - 1 && after.overdue == before.overdue - 1 && after.waived == 1)
        #expect(report.waived.map(\.occurrence) == ["budget-estimate/2026"])
        #expect(report.waived.first?.reason == "Dự toán năm 2026 đã bố trí chung")
        #expect(report.csv(plan: h.plan).contains("khong-ap-dung,năm 2026,\"Phòng Kinh tế, Hạ tầng và đô thị\",Không áp dụng,waived"))
        await #expect(throws: CompletionError.alreadyWaived(occurrence: o.name(in: h.plan))) {
            _ = try await h.service.waive(o.id.rawValue, reason: "lần nữa", recordedBy: "x", now: noon(today))
        }
        await #expect(throws: CompletionError.missing(field: "reason")) {
            _ = try await h.service.waive("training/2026", reason: "  ", recordedBy: "x", now: noon(today))
        }
        // Withdrawn with a reason: the item is due again.
        _ = try await h.service.withdraw(record: waiver.id!, reason: "Ghi nhầm", recordedBy: "Chị Lan", now: noon(today))
        #expect(OccurrenceState.of(o, ledger: try await h.ledger, today: today) == .overdue)
        await #expect(throws: CompletionError.alreadyWithdrawn(waiver.id!)) {
            _ = try await h.service.withdraw(record: waiver.id!, reason: "x", recordedBy: "x", now: noon(today))
        }
        // A done item is not waived.
        try await h.done("training/2026", by: "vhxh", on: day(20, 9, 2026), today: today)
        await #expect(throws: CompletionError.waiveDone(occurrence: try h.service.occurrence("training/2026").name(in: h.plan))) {
            _ = try await h.service.waive("training/2026", reason: "x", recordedBy: "x", now: noon(today))
        }
    }

    @Test func participantsSeeParticipationNotTheirOwnOverdueDuty() async throws {
        let h = try Harness.shipped()
        let training = try h.service.occurrence("training/2026")
        let ledger = try await h.ledger
        #expect(OccurrenceState.of(training, ledger: ledger, today: day(29, 11, 2026)) == .overdue)
        #expect(OccurrenceState.of(training, ledger: ledger, today: day(29, 11, 2026), for: "mttq") == .takingPart)
        #expect(OccurrenceState.of(training, ledger: ledger, today: day(29, 11, 2026), for: "vhxh") == .overdue)
        // The lead unit receives the units' reports (recipients: [vhxh]): awaited in its own view.
        let report = try h.service.occurrence("annual-report/2026/cong-an")
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026), for: "vhxh") == .awaiting)
        #expect(OccurrenceState.of(report, ledger: ledger, today: day(20, 12, 2026), for: "cong-an") == .overdue)
    }

    @Test func obstaclesNeedTheirTextAndCountForNothing() async throws {
        let h = try Harness.shipped()
        let today = day(29, 11, 2026)
        func raise(_ d: CompletionService.Details) async throws -> CompletionRecord {
            try await h.service.recordAdHoc(.obstacle, unit: "mttq", details: d, recordedBy: "Anh Tú", now: noon(today), today: today).record
        }
        await #expect(throws: CompletionError.missing(field: "note")) { _ = try await raise(.init(note: "  ")) }
        await #expect(throws: CompletionError.countNotForKind(field: "reached", kind: "vướng mắc")) {
            _ = try await raise(.init(note: "Thiếu tài liệu", reached: 5))
        }
        let r = try await raise(.init(note: "Thiếu tài liệu tuyên truyền"))
        #expect(r.action == .obstacle && r.doneOn == today)
        let report = try await h.report(today: today)
        #expect(report.reach?.reached == 0)
        #expect(try await h.ledger.adHoc.map(\.action) == [.obstacle])
    }

    @Test func aPastYearsReachEndsWithTheYearAndAFutureYearHasNotBegun() async throws {
        let h = try Harness.shipped()
        try await h.adHoc(.meeting, on: day(5, 6, 2025), reached: 100)
        try await h.adHoc(.meeting, on: day(5, 6, 2026), reached: 40)
        let today = day(29, 11, 2026)
        #expect(try await h.report(today: today, year: 2025).reach?.reached == 100)
        #expect(try await h.report(today: today, year: 2025).reach?.asOf == "2025-12-31")
        #expect(try await h.report(today: today).reach?.reached == 140)
        let future = try await h.report(today: today, year: 2027)
        #expect(future.quarters.map(\.state) == [.future, .future, .future, .future])
        #expect(future.dissemination?.state == .future)
        #expect(future.table(plan: h.plan).contains("— Chưa đến"))
    }

    @Test func correctingAnAdHocRecordReplacesItWithTheReason() async throws {
        let h = try Harness.shipped()
        let today = day(29, 11, 2026)
        let first = try await h.adHoc(.meeting, by: "mttq", on: day(3, 11, 2026), reached: 50, organisations: ["hoi-lhpn"])
        let fixed = try await h.service.correctAdHoc(record: first.id!, details: .init(doneOn: day(3, 11, 2026), reached: 500,
                                                                                      organisations: ["hoi-lhpn"]),
                                                     reason: "Gõ thiếu số 0", recordedBy: "Anh Tú", now: noon(today), today: today)
        #expect(fixed.reached == 500)
        #expect(try await h.report(today: today).reach?.reached == 500)
        await #expect(throws: CompletionError.nothingChanged(fixed.id!)) {
            _ = try await h.service.correctAdHoc(record: fixed.id!, details: .init(doneOn: day(3, 11, 2026), reached: 500,
                                                                                   organisations: ["hoi-lhpn"]),
                                                 reason: "x", recordedBy: "x", now: noon(today), today: today)
        }
        let history = CompletionHistory(plan: h.plan, occurrences: h.service.occurrences, records: try await h.store.records(plan: h.plan.id))
        let old = try #require(history.entries.first { $0.record.id == first.id })
        #expect(!old.standing && old.later?.hasPrefix("đã hủy bởi #") == true)
        let undo = try #require(history.entries.last)
        #expect(undo.record.reason == "Sửa thành bản ghi số \(fixed.id!): Gõ thiếu số 0")
    }

    @Test func historyFiltersAndItsCSVNeutralisesFormulas() async throws {
        let h = try Harness.shipped()
        try await h.done("dissemination/2026/mttq", by: "mttq", on: day(8, 3, 2026))
        try await h.adHoc(.meeting, by: "mttq", on: day(2, 6, 2026), reached: 12, organisations: ["hoi-lhpn"])
        _ = try await h.service.recordAdHoc(.obstacle, unit: "mttq", details: .init(doneOn: day(4, 6, 2026), note: "=HYPERLINK(\"x\")"),
                                            recordedBy: "@tú", now: noon(day(4, 6, 2026)), today: day(4, 6, 2026))
        try await h.adHoc(.news, by: "vhxh", on: day(2, 6, 2025), evidence: "https://bachdang.example/tin/1")
        let history = CompletionHistory(plan: h.plan, occurrences: h.service.occurrences, records: try await h.store.records(plan: h.plan.id))
        #expect(history.entries(.init(unit: "mttq")).count == 3)
        #expect(history.entries(.init(unit: "mttq", kinds: [.meeting])).map(\.record.action) == [.meeting])
        #expect(history.entries(.init(year: 2025)).map(\.record.unit) == ["vhxh"])
        let done = try #require(history.entries(.init(unit: "mttq", kinds: [.done])).first)
        #expect(done.title == "Phổ biến, cập nhật thông tin về bình đẳng giới và cam kết thực hiện bình đẳng giới — năm 2026 — Ủy ban Mặt trận Tổ quốc Việt Nam phường")
        let csv = history.csv(history.entries(.init(unit: "mttq")))
        #expect(csv.hasPrefix("\u{FEFF}so_ban_ghi,"))
        #expect(csv.contains(",'@tú,"))
        #expect(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""))
        #expect(!csv.contains(",=HYPERLINK"))
    }

    @Test("typed days: dd/mm/yyyy and yyyy-mm-dd read; swapped and impossible days explained", arguments: [
        ("01/12/2026", "2026-12-01"), ("1/2/2026", "2026-02-01"), ("2026-12-01", "2026-12-01"),
    ])
    func typedDays(text: String, iso: String) throws {
        #expect(try DayText.parse(text).iso == iso)
    }

    @Test func typedDayProblems() {
        func problem(_ text: String) -> String {
            do { _ = try DayText.parse(text); return "" } catch { return error.description }
        }
        #expect(problem("12/31/2026").contains("không đúng thứ tự ngày/tháng/năm") && problem("12/31/2026").contains("31/12/2026"))
        #expect(problem("31/02/2026").contains("tháng 2/2026 có 28 ngày"))
        #expect(problem("05/11/26").contains("năm cần đủ 4 chữ số"))
        #expect(problem("hôm qua").contains("không phải là ngày"))
        #expect(problem("05/13/2026").contains("không có tháng 13"))
    }

    @Test func messagesHaveNoEnglishFieldNames() {
        for e in [CompletionError.missingEvidence(occurrence: nil), .missing(field: "note"), .tooLong(field: "evidence", max: 3),
                  .invalidCount(field: "reached", value: -1, max: 9)] {
            for english in ["(evidence)", "(note)", "(reached)", "counts:", "organisation: true"] {
                #expect(!e.description.contains(english), "\(e.description)")
            }
        }
    }
}
