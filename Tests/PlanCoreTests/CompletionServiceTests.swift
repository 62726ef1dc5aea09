import Foundation
import ICal
@testable import PlanCore
import Testing

@Suite struct CompletionServiceTests {
    let h: Harness
    init() throws { h = try Harness.shipped() }

    static let today = day(1, 2, 2026)

    func markDone(_ id: String, unit: String = "vhxh", doneOn: CivilDate? = day(10, 1, 2026), evidence: String? = nil,
                  reached: Int? = nil, participants: Int? = nil, by: String = "Cán bộ thử", correct: Bool = false,
                  note: String? = "Phát trên loa truyền thanh của phường",
                  today: CivilDate = CompletionServiceTests.today) async throws -> CompletionService.Outcome {
        try await h.service.markDone(id, unit: unit,
                               details: .init(doneOn: doneOn, evidenceURL: evidence, note: note, reached: reached,
                                              participants: participants),
                               recordedBy: by, correct: correct, now: noon(today), today: today)
    }

    func suggestions(for id: String) async -> [String]? {
        do {
            _ = try await markDone(id)
            return nil
        } catch let CompletionError.unknownOccurrence(got, suggestions) {
            #expect(got == id)
            return suggestions
        } catch {
            Issue.record("expected unknownOccurrence, got \(error)")
            return nil
        }
    }

    @Test func unknownOccurrenceSuggestsNearestIds() async throws {
        let ids = Set(h.service.occurrences.map(\.id.rawValue))
        let s = try #require(await suggestions(for: "quarterly-news/2026-Q5"))
        #expect(!s.isEmpty && s.count <= 3)
        for id in s {
            #expect(id.hasPrefix("quarterly-news/2026-Q"), "\(id)")
            #expect(ids.contains(id))
        }
        #expect(try #require(await suggestions(for: "quarterly-news/2026-Q04")).first == "quarterly-news/2026-Q4")
        #expect(try #require(await suggestions(for: "anual-report/2026/cong-an")).first == "annual-report/2026/cong-an")
        #expect(try #require(await suggestions(for: "Quarterly-News/2026-Q4")).first == "quarterly-news/2026-Q4")
        // Nothing close: no suggestion.
        #expect(try #require(await suggestions(for: "completely-unrelated-thing")).isEmpty)
        #expect(try await h.store.records(plan: "bach-dang").isEmpty)
        // The message names the id and the suggestions.
        let message = CompletionError.unknownOccurrence("x", suggestions: ["a", "b"]).description
        #expect(message.contains("\"x\"") && message.contains("a, b"))
    }

    @Test func unknownUnit() async {
        await #expect(throws: CompletionError.unknownUnit("police", known: h.plan.allUnits.map(\.id.rawValue))) {
            _ = try await markDone("annual-report/2026/cong-an", unit: "police")
        }
    }

    @Test func unitNotInvolved() async {
        await #expect(throws: CompletionError.notInvolved(unit: "Ủy ban Mặt trận Tổ quốc Việt Nam phường",
                                                    occurrence: "Báo cáo kết quả thực hiện Kế hoạch về UBND phường (qua phòng Văn hóa - Xã hội) — năm 2026 — Công an phường",
                                                    allowed: ["Công an phường"])) {
            _ = try await markDone("annual-report/2026/cong-an", unit: "mttq")
        }
        await #expect(throws: CompletionError.self) { _ = try await markDone("quarterly-news/2025-Q4", unit: "cong-an") }
        #expect(CompletionError.notInvolved(unit: "a", occurrence: "b", allowed: []).field == "unit")
    }

    @Test func involvedUnitsMayRecord() async throws {
        // Owner, participant, and a participant through "all".
        for (id, unit, date) in [("annual-report/2025/cong-an", "cong-an", day(10, 12, 2025)),
                                 ("annual-report/2025/mttq", "vhxh", day(10, 12, 2025)),
                                 ("action-month/2025", "hoi-nong-dan", day(20, 11, 2025))] {
            guard case let .recorded(r) = try await markDone(id, unit: unit, doneOn: date) else {
                Issue.record("\(id) by \(unit) not recorded")
                continue
            }
            #expect(r.unit.rawValue == unit)
        }
        #expect(try await h.store.records(plan: "bach-dang").count == 3)
    }

    @Test func dateOutsidePlan() async {
        await #expect(throws: CompletionError.dateOutsidePlan(day(31, 12, 2024), start: day(1, 1, 2025), end: day(31, 12, 2030))) {
            _ = try await markDone("quarterly-news/2025-Q1", doneOn: day(31, 12, 2024))
        }
        await #expect(throws: CompletionError.dateOutsidePlan(day(1, 1, 2031), start: day(1, 1, 2025), end: day(31, 12, 2030))) {
            _ = try await markDone("quarterly-news/2030-Q4", doneOn: day(1, 1, 2031), today: day(2, 1, 2031))
        }
    }

    @Test func dateInFuture() async {
        await #expect(throws: CompletionError.dateInFuture(day(2, 2, 2026), today: day(1, 2, 2026))) {
            _ = try await markDone("quarterly-news/2026-Q1", doneOn: day(2, 2, 2026))
        }
    }

    @Test func noDateMeansToday() async throws {
        guard case let .recorded(r) = try await markDone("quarterly-news/2026-Q1", doneOn: nil) else {
            Issue.record("not recorded")
            return
        }
        #expect(r.doneOn == Self.today)
        #expect(r.recordedBy == "Cán bộ thử")
        #expect(r.plan == "bach-dang")
        #expect(r.occurrenceID == "quarterly-news/2026-Q1")
        #expect(r.id != nil)
    }

    @Test(arguments: ["ftp://x", "javascript:alert(1)", "https://", "http://exa mple.org/", "/relative/path", ""])
    func evidenceMustBeAnHTTPURL(_ url: String) async throws {
        await #expect(throws: CompletionError.invalidURL(url)) {
            _ = try await markDone("quarterly-news/2026-Q1", evidence: url)
        }
        #expect(try await h.store.records(plan: "bach-dang").isEmpty)
    }

    /// G6.T3 is judged on evidence: a link, or a note where the item has none.
    @Test func newsItemNeedsEvidence() async throws {
        for note in [nil, "", "   "] as [String?] {
            await #expect(throws: CompletionError.missingEvidence(occurrence: "Đăng 01 tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý I/2026")) {
                _ = try await markDone("quarterly-news/2026-Q1", note: note)
            }
        }
        #expect(try await h.store.records(plan: "bach-dang").isEmpty)
        // Other obligations need none.
        guard case .recorded = try await markDone("action-month/2025", doneOn: day(20, 11, 2025), note: nil) else {
            Issue.record("action month without evidence refused")
            return
        }
    }

    @Test func httpEvidenceIsKept() async throws {
        guard case let .recorded(r) = try await markDone("quarterly-news/2026-Q1", evidence: "https://bachdang.example/tin/1") else {
            Issue.record("not recorded")
            return
        }
        #expect(r.evidenceURL == "https://bachdang.example/tin/1")
    }

    @Test func negativeCountsRejected() async {
        await #expect(throws: CompletionError.invalidCount(field: "reached", value: -1, max: CompletionService.maxCount)) {
            _ = try await markDone("action-month/2025", doneOn: day(20, 11, 2025), reached: -1)
        }
        await #expect(throws: CompletionError.invalidCount(field: "participants", value: -5, max: CompletionService.maxCount)) {
            _ = try await markDone("action-month/2025", doneOn: day(20, 11, 2025), participants: -5)
        }
        await #expect(throws: CompletionError.invalidCount(field: "reached", value: 10_000_001, max: 10_000_000)) {
            _ = try await markDone("action-month/2025", doneOn: day(20, 11, 2025), reached: 10_000_001)
        }
    }

    @Test func secondDoneIsAlreadyRecorded() async throws {
        guard case let .recorded(first) = try await markDone("quarterly-news/2026-Q1", doneOn: day(10, 1, 2026)) else {
            Issue.record("first done not recorded")
            return
        }
        let second = try await markDone("quarterly-news/2026-Q1", doneOn: day(20, 1, 2026))
        #expect(second == .alreadyRecorded(first))
        #expect(try await h.store.records(plan: "bach-dang").count == 1)
        // Another unit's done is its own record (cong-an takes part in the action month).
        _ = try await markDone("action-month/2025", unit: "vhxh", doneOn: day(20, 11, 2025))
        guard case .recorded = try await markDone("action-month/2025", unit: "cong-an", doneOn: day(21, 11, 2025)) else {
            Issue.record("cong-an's own done not recorded")
            return
        }
        #expect(try await h.store.records(plan: "bach-dang").count == 3)
    }

    @Test func correctionAppendsASecondRecord() async throws {
        _ = try await markDone("quarterly-news/2026-Q1", doneOn: day(10, 1, 2026), evidence: "https://a.example/1")
        guard case let .recorded(fix) = try await markDone("quarterly-news/2026-Q1", doneOn: day(12, 1, 2026),
                                                      evidence: "https://a.example/2", correct: true) else {
            Issue.record("correction not recorded")
            return
        }
        let records = try await h.store.records(plan: "bach-dang")
        #expect(records.count == 2)
        #expect(records.map(\.action) == [.done, .done])
        let standing = try await h.ledger.completions(of: "quarterly-news/2026-Q1")
        #expect(standing.count == 1)
        #expect(standing.first?.record == fix)
        #expect(standing.first?.doneOn == day(12, 1, 2026))
    }

    @Test func undoWithoutDone() async throws {
        await #expect(throws: CompletionError.notDone(occurrence: "quarterly-news/2026-Q1", unit: "vhxh")) {
            _ = try await h.service.undo("quarterly-news/2026-Q1", unit: "vhxh", reason: "nhầm", recordedBy: "Cán bộ thử",
                                   now: noon(Self.today))
        }
        #expect(try await h.store.records(plan: "bach-dang").isEmpty)
    }

    @Test func undoByAUnitThatDidNotRecordIt() async throws {
        _ = try await markDone("action-month/2025", unit: "vhxh", doneOn: day(20, 11, 2025))
        // The message names who did record it, so the undo can be aimed right.
        await #expect(throws: CompletionError.notDone(occurrence: "action-month/2025", unit: "cong-an", doneBy: ["vhxh"])) {
            _ = try await h.service.undo("action-month/2025", unit: "cong-an", reason: "nhầm", recordedBy: "Cán bộ thử",
                                   now: noon(Self.today))
        }
    }

    @Test(arguments: ["", "   ", "\n\t"])
    func undoWithoutReason(_ reason: String) async throws {
        _ = try await markDone("quarterly-news/2026-Q1")
        await #expect(throws: CompletionError.missing(field: "reason")) {
            _ = try await h.service.undo("quarterly-news/2026-Q1", unit: "vhxh", reason: reason, recordedBy: "Cán bộ thử",
                                   now: noon(Self.today))
        }
        #expect(try await h.store.records(plan: "bach-dang").count == 1)
    }

    @Test func secondUndoIsNotDone() async throws {
        _ = try await markDone("quarterly-news/2026-Q1")
        _ = try await h.service.undo("quarterly-news/2026-Q1", unit: "vhxh", reason: "nhầm", recordedBy: "Cán bộ thử",
                               now: noon(Self.today))
        await #expect(throws: CompletionError.notDone(occurrence: "quarterly-news/2026-Q1", unit: "vhxh")) {
            _ = try await h.service.undo("quarterly-news/2026-Q1", unit: "vhxh", reason: "lần nữa", recordedBy: "Cán bộ thử",
                                   now: noon(Self.today))
        }
        // Done again after the undo is a new record.
        guard case .recorded = try await markDone("quarterly-news/2026-Q1") else {
            Issue.record("done after undo not recorded")
            return
        }
        #expect(try await h.store.records(plan: "bach-dang").count == 3)
    }

    @Test func recorderIsRequired() async {
        await #expect(throws: CompletionError.missing(field: "by")) { _ = try await markDone("quarterly-news/2026-Q1", by: "  ") }
        await #expect(throws: CompletionError.tooLong(field: "by", max: 200)) {
            _ = try await markDone("quarterly-news/2026-Q1", by: String(repeating: "a", count: 201))
        }
    }

    @Test func longNoteRejected() async {
        await #expect(throws: CompletionError.tooLong(field: "note", max: CompletionService.maxText)) {
            _ = try await h.service.markDone("quarterly-news/2026-Q1", unit: "vhxh",
                                       details: .init(doneOn: day(10, 1, 2026),
                                                      note: String(repeating: "ê", count: CompletionService.maxText + 1)),
                                       recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
    }

    /// The same ad hoc event twice is written once; a mistaken one can be withdrawn by its
    /// record number (an undo naming it), once, and then no longer counts.
    @Test func adHocDuplicateAndWithdrawal() async throws {
        func news(_ url: String?, note: String? = nil, on d: CivilDate = day(10, 1, 2026)) async throws -> CompletionService.Outcome {
            try await h.service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: d, evidenceURL: url, note: note),
                                      recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
        guard case let .recorded(first) = try await news("https://bachdang.example/tin/a") else {
            Issue.record("first not recorded")
            return
        }
        #expect(try await news("https://bachdang.example/tin/a") == .alreadyRecorded(first))
        guard case .recorded = try await news("https://bachdang.example/tin/b") else { Issue.record("another article refused"); return }
        guard case .recorded = try await news("https://bachdang.example/tin/a", on: day(11, 1, 2026)) else {
            Issue.record("another day refused")
            return
        }
        // Without a link, bulletins are told apart by their notes; the same one twice is one.
        guard case .recorded = try await news(nil, note: "Loa sáng"), case .recorded = try await news(nil, note: "Loa chiều") else {
            Issue.record("bulletins without a link refused")
            return
        }
        guard case .alreadyRecorded = try await news(nil, note: "  loa   SÁNG ") else { Issue.record("same bulletin twice written twice"); return }
        #expect(try await h.ledger.adHoc.count == 5)

        let undo = try await h.service.withdraw(record: first.id!, reason: "ghi nhầm", recordedBy: "y", now: noon(Self.today))
        #expect(undo.action == .undo && undo.withdraws == first.id && undo.unit == "vhxh" && undo.occurrenceID == nil)
        #expect(try await h.ledger.adHoc.count == 4)
        #expect(try await !h.ledger.adHoc.contains { $0.id == first.id })
        await #expect(throws: CompletionError.alreadyWithdrawn(first.id!)) {
            _ = try await h.service.withdraw(record: first.id!, reason: "lần nữa", recordedBy: "y", now: noon(Self.today))
        }
        // Withdrawn, the same article can be recorded again.
        guard case .recorded = try await news("https://bachdang.example/tin/a") else { Issue.record("re-record refused"); return }
        await #expect(throws: CompletionError.unknownRecord(999)) {
            _ = try await h.service.withdraw(record: 999, reason: "x", recordedBy: "y", now: noon(Self.today))
        }
        await #expect(throws: CompletionError.isWithdrawal(undo.id!)) {
            _ = try await h.service.withdraw(record: undo.id!, reason: "x", recordedBy: "y", now: noon(Self.today))
        }
        guard case let .recorded(done) = try await markDone("quarterly-news/2026-Q1") else { Issue.record("done"); return }
        await #expect(throws: CompletionError.notAdHoc(done.id!, occurrence: "quarterly-news/2026-Q1")) {
            _ = try await h.service.withdraw(record: done.id!, reason: "x", recordedBy: "y", now: noon(Self.today))
        }
        await #expect(throws: CompletionError.missing(field: "reason")) {
            _ = try await h.service.withdraw(record: first.id!, reason: " ", recordedBy: "y", now: noon(Self.today))
        }
    }

    /// iCalendar TEXT allows no control characters, and terminals would act on escapes.
    @Test(arguments: ["a\u{1b}[31mb", "x\u{7f}", "\u{0}", "tab\tand\nline are fine\u{85}"])
    func controlCharactersAreRefused(_ text: String) async throws {
        await #expect(throws: CompletionError.controlCharacters(field: "note")) {
            _ = try await markDone("quarterly-news/2026-Q1", evidence: "https://a.example/x", note: text)
        }
        await #expect(throws: CompletionError.controlCharacters(field: "by")) {
            _ = try await markDone("quarterly-news/2026-Q1", by: "Lan" + text)
        }
        #expect(try await h.store.records(plan: "bach-dang").isEmpty)
        guard case .recorded = try await markDone("quarterly-news/2026-Q1", note: "Dòng 1\nDòng 2\tcột") else {
            Issue.record("tab and line break refused in a note")
            return
        }
    }

    /// A completion whose occurrence the plan no longer has (a collective's members were
    /// listed since) is withdrawn by its record number, once.
    @Test func orphanedCompletionIsWithdrawnByNumber() async throws {
        let orphan = try await h.store.append(CompletionRecord(
            plan: "bach-dang", unit: "chi-bo", recordedBy: "x", recordedAt: noon(Self.today),
            kind: .done(occurrence: "dissemination/2026/cb-9", .init(on: day(10, 6, 2026))))) { _ in .append }.record
        let undo = try await h.service.withdraw(record: orphan.id!, reason: "chi bộ đã tách", recordedBy: "y", now: noon(Self.today))
        #expect(undo.action == .undo && undo.occurrenceID == "dissemination/2026/cb-9" && undo.unit == "chi-bo")
        #expect(try await h.ledger.completion(of: "dissemination/2026/cb-9", by: "chi-bo") == nil)
        await #expect(throws: CompletionError.alreadyWithdrawn(orphan.id!)) {
            _ = try await h.service.withdraw(record: orphan.id!, reason: "lần nữa", recordedBy: "y", now: noon(Self.today))
        }
    }

    @Test func adHocCountsFitTheirKind() async {
        await #expect(throws: CompletionError.countNotForKind(field: "organisations", kind: "tin, bài")) {
            _ = try await h.service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: day(10, 1, 2026), evidenceURL: "https://a.example/x",
                                                                             organisations: ["mttq"]),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
        await #expect(throws: CompletionError.countNotForKind(field: "reached", kind: "buổi tập huấn (dùng số người tham gia)")) {
            _ = try await h.service.recordAdHoc(.training, unit: "vhxh", details: .init(doneOn: day(10, 1, 2026), reached: 30),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
    }

    @Test func adHocChecks() async throws {
        await #expect(throws: CompletionError.missingEvidence(occurrence: nil)) {
            _ = try await h.service.recordAdHoc(.news, unit: "vhxh", details: .init(doneOn: day(10, 1, 2026)),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
        await #expect(throws: CompletionError.unknownOrganisation("ubnd")) {
            _ = try await h.service.recordAdHoc(.meeting, unit: "vhxh",
                                          details: .init(doneOn: day(10, 1, 2026), organisations: ["mttq", "ubnd"]),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
        await #expect(throws: CompletionError.unknownUnit("ubnd", known: h.plan.allUnits.map(\.id.rawValue))) {
            _ = try await h.service.recordAdHoc(.training, unit: "ubnd", details: .init(doneOn: day(10, 1, 2026)),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today)
        }
        let r = try await h.service.recordAdHoc(.meeting, unit: "hoi-lhpn",
                                          details: .init(doneOn: day(10, 1, 2026), reached: 120,
                                                         organisations: ["hoi-lhpn"]),
                                          recordedBy: "x", now: noon(Self.today), today: Self.today).record
        #expect(r.occurrenceID == nil)
        #expect(r.action == .meeting)
        #expect(try await h.ledger.adHoc.count == 1)
    }

    @Test func errorFields() async {
        #expect(CompletionError.unknownOccurrence("x", suggestions: []).field == "occurrence")
        #expect(CompletionError.dateInFuture(day(2, 1, 2026), today: day(1, 1, 2026)).field == "on")
        #expect(CompletionError.invalidURL("x").field == "evidence")
        #expect(CompletionError.invalidCount(field: "reached", value: -1, max: 1).field == "reached")
        #expect(CompletionError.missing(field: "reason").field == "reason")
    }
}
