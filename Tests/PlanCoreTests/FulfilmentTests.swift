import Foundation
import ICal
@testable import PlanCore
import Testing

/// One event, one entry, counted everywhere it serves (issue 17): an obligation's
/// `fulfilled_by:` says what else completes its occurrences, and every view reads the same ledger.
@Suite struct FulfilmentTests {
    static let orgs = ["vhxh", "kthtdt", "cong-an", "chi-bo", "mttq", "hoi-lhpn", "hoi-nong-dan"]

    func state(_ h: Harness, _ id: OccurrenceID, today: CivilDate) async throws -> OccurrenceState {
        let o = try #require(h.service.occurrences.first { $0.id == id })
        return OccurrenceState.of(o, ledger: try await h.ledger, today: today)
    }

    @Test func aMeetingCompletesTheDisseminationOfEachOrganisationItInformedAndItsUndoTakesThatBack() async throws {
        let h = try Harness.shipped()
        let meeting = try await h.adHoc(.meeting, by: "vhxh", on: day(10, 3, 2026), reached: 1250, organisations: ["cong-an", "mttq"])
        let ledger = try await h.ledger
        let congAn = try #require(h.service.occurrences.first { $0.id == "dissemination/2026/cong-an" })
        let done = try #require(ledger.done(congAn))
        #expect(done.via?.id == meeting.id)
        #expect(done.doneOn == day(10, 3, 2026))
        #expect(done.record.note == "Đã được phổ biến qua buổi tuyên truyền, phổ biến số \(meeting.id ?? 0) của Phòng Văn hóa - Xã hội (ngày 10/03/2026)")
        #expect(ledger.completions(of: congAn.id).isEmpty, "nothing is written for it: it is derived")
        #expect(try await state(h, "dissemination/2026/cong-an", today: day(1, 12, 2026)) == .doneOnTime)
        #expect(try await state(h, "dissemination/2026/kthtdt", today: day(1, 12, 2026)) == .overdue)
        // Another year's duty is not met by this year's meeting.
        #expect(try await state(h, "dissemination/2027/cong-an", today: day(1, 12, 2027)) == .overdue)
        // The history shows the link both ways.
        let history = CompletionHistory(plan: h.plan, occurrences: h.service.occurrences, records: ledger.records,
                                        fulfilled: ledger.fulfilled)
        let entry = try #require(history.entries.first { $0.record.id == meeting.id })
        #expect(entry.fulfils.map(\.id) == ["dissemination/2026/cong-an", "dissemination/2026/mttq"])
        #expect(history.line(entry).hasSuffix("→ cũng hoàn thành: dissemination/2026/cong-an, dissemination/2026/mttq"))
        // Withdrawing the meeting withdraws what it fulfilled.
        _ = try await h.service.withdraw(record: try #require(meeting.id), reason: "ghi nhầm", recordedBy: "t", now: noon(day(2, 12, 2026)))
        #expect(try await state(h, "dissemination/2026/cong-an", today: day(2, 12, 2026)) == .overdue)
        #expect(try await h.ledger.fulfilled.isEmpty)
    }

    @Test func theActionMonthsCompletionTakesOrganisationsAndCompletesItsPlanning() async throws {
        let h = try Harness.shipped()
        try await h.done("action-month/2026", by: "vhxh", on: day(15, 12, 2026), reached: 1250, organisations: ["kthtdt"])
        #expect(try await state(h, "dissemination/2026/kthtdt", today: day(16, 12, 2026)) == .doneLate,
                "informed on 15/12, after its day (30/06)")
        // The action month held shows it was planned: its planning item is done on that day, late (due 31/10).
        #expect(try await state(h, "action-month-planning/2026", today: day(16, 12, 2026)) == .doneLate)
        #expect(try await state(h, "action-month-planning/2027", today: day(16, 12, 2027)) == .overdue)
        let report = try await h.report(today: day(16, 12, 2026))
        #expect(report.dissemination?.organisations.first { $0.id == "kthtdt" }?.informedOn == "2026-12-15")
        // Only an obligation whose counts: name organisations takes them.
        await #expect(throws: CompletionError.countNotRecorded(field: "organisations", occurrence: "Đăng 01 tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý IV/2026")) {
            try await h.done("quarterly-news/2026-Q4", by: "vhxh", on: day(1, 12, 2026), evidence: "https://x.example/a",
                             organisations: ["kthtdt"])
        }
    }

    @Test func aNewsItemCompletesTheItemOfTheQuarterItWasPublishedIn() async throws {
        let h = try Harness.shipped()
        try await h.adHoc(.news, by: "mttq", on: day(5, 8, 2026), evidence: "https://x.example/tin")
        // Q2's item done late, on 03/07: published in Q3, it completes Q3's item as well.
        try await h.done("quarterly-news/2026-Q2", by: "vhxh", on: day(3, 7, 2026), evidence: "https://x.example/q2")
        let ledger = try await h.ledger
        let q3 = try #require(h.service.occurrences.first { $0.id == "quarterly-news/2026-Q3" })
        #expect(ledger.done(q3)?.doneOn == day(3, 7, 2026), "the earliest item of the quarter")
        #expect(try await state(h, "quarterly-news/2026-Q2", today: day(1, 12, 2026)) == .doneLate)
        #expect(try await state(h, "quarterly-news/2026-Q1", today: day(1, 12, 2026)) == .overdue)
        let report = try await h.report(today: day(1, 12, 2026), year: 2026)
        #expect(report.quarters.map(\.state) == [.missed, .late, .met, .open])
    }

    @Test func figuresCompleteTheirDataReportOnceAllAreRecorded() async throws {
        let h = try Harness.shipped()
        func figures(_ id: Int64, _ target: TargetID, _ values: [String: Double]) -> FigureRecord {
            FigureRecord(id: id, plan: "bach-dang", target: target, year: 2026, unit: "cong-an", values: values,
                         note: "Sổ theo dõi", recordedBy: "Anh Minh", recordedAt: noon(day(10, 12, 2026)))
        }
        let first = figures(1, "G3.T2", ["victims-detected": 5, "perpetrators-detected": 2])
        // G3.T3's figure is still missing: the report is not complete.
        #expect(await h.service.completeDataDuties(after: first, figures: [first], now: noon(day(10, 12, 2026)),
                                                   today: day(10, 12, 2026)).isEmpty)
        let second = figures(2, "G3.T3", ["trafficking-victims-in-need": 0])
        let done = await h.service.completeDataDuties(after: second, figures: [first, second], now: noon(day(10, 12, 2026)),
                                                      today: day(10, 12, 2026))
        #expect(done.map(\.occurrenceID) == ["data-report-violence/2026"])
        #expect(done.first?.unit == "cong-an" && done.first?.recordedBy == "Anh Minh")
        #expect(done.first?.note == "Đã ghi nhận qua bản ghi số liệu số 2 (chỉ tiêu G3.T3, năm 2026)")
        #expect(try await state(h, "data-report-violence/2026", today: day(16, 12, 2026)) == .doneOnTime)
        // A correction of the same figures records nothing more: the report is done already.
        #expect(await h.service.completeDataDuties(after: second, figures: [first, second], now: noon(day(11, 12, 2026)),
                                                   today: day(11, 12, 2026)).isEmpty)
    }

    @Test func fulfilledByIsCheckedWithItsLineAndField() {
        let base = TrackingRuleTests.twoNews
        let anchor = "    targets: [G1.T2]\n"
        for (bad, phrase) in [
            ("fulfilled_by: [tin-nam]", "không có nhiệm vụ \"tin-nam\" (fulfilled_by nhận meeting, news, figures hoặc mã một nhiệm vụ khác; các nhiệm vụ: tin-thang, tin-quy)"),
            ("fulfilled_by: [tin-quy]", "không thể được hoàn thành bởi chính nó"),
            ("fulfilled_by: [figures]", "figures cần mục figures: của nhiệm vụ"),
            ("fulfilled_by: [news, news]", "\"news\" được ghi hai lần"),
        ] {
            precondition(base.contains(anchor))
            IndicatorTests.expectRefused(base.replacingOccurrences(of: anchor, with: anchor + "    \(bad)\n"), lineOf: bad,
                                         field: "obligations[1].fulfilled_by", phrase: phrase)
        }
        // Another obligation's id, and the keywords, load.
        let good = base.replacingOccurrences(of: anchor, with: anchor + "    fulfilled_by: [news, tin-thang]\n")
        #expect((try? IndicatorTests.load(good))?.obligations.last?.fulfilledBy == [.news, .occurrence("tin-thang")])
    }

    /// Property: whatever activities are recorded, in any order, no view lists an occurrence as
    /// overdue while the records fulfil it, and the views agree with each other.
    @Test(arguments: 0..<40)
    func noDutyIsBothFulfilledAndOverdue(seed: UInt64) async throws {
        var rng = SplitMix(seed: seed)
        let h = try Harness.shipped()
        for _ in 0..<rng.int(1...8) {
            let d = day(rng.int(1...28), rng.int(1...12), rng.int(2025...2026))
            switch rng.int(0...3) {
            case 0:
                let orgs = Self.orgs.filter { _ in rng.int(0...2) == 0 }
                try await h.adHoc(.meeting, by: "vhxh", on: d, reached: rng.int(0...500), organisations: orgs.isEmpty ? ["mttq"] : orgs)
            case 1:
                try await h.adHoc(.news, by: "vhxh", on: d, evidence: "https://x.example/\(rng.int(0...1_000_000))")
            case 2:
                // The same item may come up twice: the second is "already recorded", as in life.
                let y = rng.int(2025...2026), on = day(rng.int(15...30), 11, y)
                _ = try await h.service.markDone("action-month/\(y)", unit: "vhxh",
                                                 details: .init(doneOn: on, reached: 10, organisations: [Self.orgs[rng.int(0...6)]]),
                                                 recordedBy: "t", now: noon(on), today: on)
            default:
                let q = rng.int(1...4), y = rng.int(2025...2026), on = day(rng.int(1...28), q * 3, y)
                _ = try await h.service.markDone("quarterly-news/\(y)-Q\(q)", unit: "vhxh",
                                                 details: .init(doneOn: on, evidenceURL: "https://x.example/q"),
                                                 recordedBy: "t", now: noon(on), today: on)
            }
        }
        let today = day(20, 12, 2026)
        let ledger = try await h.ledger
        let report = try await h.report(today: today, year: 2026)
        for o in h.service.occurrences where ledger.fulfilled[o.id] != nil {
            #expect(OccurrenceState.of(o, ledger: ledger, today: today) != .overdue, "\(o.id), seed \(seed)")
            #expect(OccurrenceState.of(o, ledger: ledger, today: today, for: o.owner).isDone, "\(o.id), seed \(seed)")
        }
        // G6.T2: an organisation informed in 2026 has its own 2026 dissemination done, and the other way round.
        for org in report.dissemination?.organisations ?? [] {
            let o = try #require(h.service.occurrences.first { $0.id.rawValue == "dissemination/2026/\(org.id)" })
            #expect((org.informedOn != nil) == (ledger.done(o) != nil), "\(org.id), seed \(seed)")
        }
        // G6.T3: a quarter met has its own item done.
        for q in report.quarters where q.state == .met {
            let o = try #require(h.service.occurrences.first { $0.id.rawValue == "quarterly-news/\(q.key)" })
            #expect(ledger.done(o) != nil, "\(q.key), seed \(seed)")
        }
        // The units' overdue counts are the items the status view calls overdue.
        for line in report.units {
            let owned = h.service.occurrences.filter { $0.owner == line.id && $0.last.year == 2026 && $0.tracked }
            let overdue = owned.filter { OccurrenceState.of($0, ledger: ledger, today: today) == .overdue }.count
            #expect(line.overdue == overdue, "\(line.id), seed \(seed)")
        }
    }
}

/// A small deterministic generator for the property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Counts in the reports match the records (issue 17): news items, meetings and trainings recorded
/// on the unit's own items count with its ad hoc ones; a duty another record fulfilled is listed
/// once, with the note naming that record.
@Suite struct ReportCountTests {
    @Test func theWardTableCountsEveryNewsItemMeetingAndTraining() async throws {
        let h = try Harness.shipped()
        for q in 1...4 {
            try await h.done("quarterly-news/2026-Q\(q)", by: "vhxh", on: day(10, q * 3, 2026), evidence: "https://x.example/\(q)")
        }
        try await h.done("training/2026", by: "vhxh", on: day(20, 9, 2026), participants: 65)
        try await h.adHoc(.meeting, by: "vhxh", on: day(10, 3, 2026), reached: 1250, organisations: FulfilmentTests.orgs)
        let ward = WardAnnualReport(plan: h.plan, year: 2026, occurrences: h.service.occurrences, ledger: try await h.ledger,
                                    figures: [], today: day(16, 12, 2026))
        let vhxh = try #require(ward.units.first { $0.unitID == "vhxh" })
        #expect(vhxh.activityCount == 6, "four news items, the training and the meeting")
        let text = ward.document(plan: h.plan).plainText
        #expect(text.contains("1 | Phòng Văn hóa - Xã hội | 6 | 6 | 1.250 |"), "\(text)")
        // The police's dissemination, done by the meeting, is in its report once, saying by what.
        let congAn = try #require(ward.units.first { $0.unitID == "cong-an" })
        let informed = congAn.completions.filter { $0.occurrence == "dissemination/2026/cong-an" }
        #expect(informed.count == 1 && informed.first?.isFulfilled == true)
        #expect(informed.first?.note?.hasPrefix("Đã được phổ biến qua buổi tuyên truyền, phổ biến số 6 của Phòng Văn hóa - Xã hội") == true)
        #expect(congAn.activityCount == 0, "the meeting counts where it was recorded")
    }
}

/// The report's number suffix and "Nơi nhận" come from the plan (issue 17), checked on load.
@Suite struct ReportFormTests {
    @Test func theShippedPlanNumbersAndAddressesItsReports() throws {
        let plan = try TestSupport.shippedPlan()
        #expect(plan.reportForm.number() == "Số: …/BC-UBND")
        #expect(plan.reportForm.recipients?.last == "- Lưu: VT, VHXH.")
        #expect(plan.unit("cong-an")?.reportForm.number() == "Số: …/BC-CAP")
        #expect(plan.unit("chi-bo")?.reportForm.number() == "Số: …/BC", "no suffix given: the plain number")
    }

    @Test func aBadSuffixOrRecipientListIsRefusedWithItsLine() {
        let base = TrackingRuleTests.twoNews
        let anchor = "    name: \"Công an phường\"\n"
        for (bad, field, phrase) in [
            ("    report_number_suffix: ca-p", "units[1].report_number_suffix", "không phải là chữ viết tắt tên cơ quan ban hành"),
            ("    report_recipients: []", "units[1].report_recipients", "cần ít nhất một nơi nhận"),
        ] {
            IndicatorTests.expectRefused(base.replacingOccurrences(of: anchor, with: anchor + bad + "\n"), lineOf: bad,
                                         field: field, phrase: phrase)
        }
        let good = base.replacingOccurrences(of: anchor, with: anchor + "    report_number_suffix: CAP\n    report_recipients: [\"Như trên;\", \"- Lưu: VT.\"]\n")
        let unit = (try? IndicatorTests.load(good))?.unit("cong-an")
        #expect(unit?.reportForm == ReportForm(numberSuffix: "CAP", recipients: ["- Như trên;", "- Lưu: VT."]))
    }
}

/// One event recorded twice must not count its residents twice (issue 17): a second record of
/// the unit's day that counts residents asks whether it is the same event.
@Suite struct SameDayReachTests {
    @Test func aSecondRecordOfTheDayWithResidentsAsksAndCountsOnceForOneEvent() async throws {
        let h = try Harness.shipped()
        let meeting = try await h.adHoc(.meeting, by: "vhxh", on: day(20, 11, 2026), reached: 1250, organisations: ["mttq"])
        let details = CompletionService.Details(doneOn: day(20, 11, 2026), reached: 1250)
        func done(_ choice: SameDayReach?) async throws -> CompletionService.Outcome {
            var d = details
            d.sameDayReach = choice
            return try await h.service.markDone("action-month/2026", unit: "vhxh", details: d, recordedBy: "t",
                                                now: noon(day(20, 11, 2026)), today: day(20, 11, 2026), known: try await h.ledger)
        }
        await #expect(throws: CompletionError.sameDayReach(earlier: try #require(meeting.id), reached: 1250, day: day(20, 11, 2026))) {
            _ = try await done(nil)
        }
        guard case .recorded(let record) = try await done(.sameEvent) else { Issue.record("not recorded"); return }
        #expect(record.reached == nil)
        #expect(record.note == "Cùng sự kiện với bản ghi số \(meeting.id ?? 0): 1.250 người được tiếp cận đã tính ở đó, không tính lại.")
        let report = try await h.report(today: day(1, 12, 2026))
        #expect(report.reach?.reached == 1250, "one event, counted once")
        #expect(SameDayReach.unconfirmedPairs(in: try await h.ledger, year: 2026).isEmpty)
    }

    @Test func twoEventsOfOneDayAreBothCountedOnceConfirmed() async throws {
        let h = try Harness.shipped()
        try await h.adHoc(.meeting, by: "to-dan-pho", on: day(5, 6, 2026), reached: 300, organisations: ["hoi-lhpn"])
        var d = CompletionService.Details(doneOn: day(5, 6, 2026), reached: 200, sameDayReach: .separateEvent)
        d.note = "Buổi chiều, khu dân cư số 3"
        guard case .recorded(let second) = try await h.service.recordAdHoc(.meeting, unit: "to-dan-pho", details: d, recordedBy: "t",
                                                                             now: noon(day(5, 6, 2026)), today: day(5, 6, 2026),
                                                                             known: try await h.ledger) else { return }
        #expect(second.reached == 200 && second.reason?.hasPrefix("Sự kiện khác với bản ghi số") == true)
        #expect(try await h.report(today: day(1, 12, 2026)).reach?.reached == 500)
        #expect(SameDayReach.unconfirmedPairs(in: try await h.ledger, year: 2026).isEmpty)
    }

    @Test func theStoreAsksToo_andTheSameCommandTwiceIsStillWrittenOnce() async throws {
        let h = try Harness.shipped()
        let first = try await h.adHoc(.meeting, by: "vhxh", on: day(3, 3, 2026), reached: 80, organisations: ["mttq"])
        // Run again as it was: already recorded, no question.
        let again = try await h.service.recordAdHoc(.meeting, unit: "vhxh",
                                                    details: .init(doneOn: day(3, 3, 2026), reached: 80, organisations: ["mttq"]),
                                                    recordedBy: "t", now: noon(day(3, 3, 2026)), today: day(3, 3, 2026))
        guard case .alreadyRecorded(let earlier) = again else { Issue.record("\(again)"); return }
        #expect(earlier.id == first.id)
        // Another meeting of the day with residents, the caller knowing nothing: the store's check asks.
        await #expect(throws: CompletionError.sameDayReach(earlier: try #require(first.id), reached: 80, day: day(3, 3, 2026))) {
            _ = try await h.service.recordAdHoc(.meeting, unit: "vhxh", details: .init(doneOn: day(3, 3, 2026), reached: 40),
                                                recordedBy: "t", now: noon(day(3, 3, 2026)), today: day(3, 3, 2026))
        }
    }

    @Test func theWardReportSaysWhereOneEventMayBeCountedTwice() async throws {
        let h = try Harness.shipped()
        // Two records of one day with residents, written before plancal asked (straight to the store).
        for (i, n) in [(1, 1250), (2, 1250)] {
            _ = try await h.store.append(CompletionRecord(
                plan: "bach-dang", unit: "vhxh", recordedBy: "t", recordedAt: noon(day(20, 11, 2026)),
                kind: .adHoc(.meeting, .init(on: day(20, 11, 2026), note: "buổi \(i)", reached: n)))) { _ in .append }
        }
        let ward = WardAnnualReport(plan: h.plan, year: 2026, occurrences: h.service.occurrences, ledger: try await h.ledger,
                                    figures: [], today: day(16, 12, 2026))
        let text = ward.document(plan: h.plan).plainText
        #expect(text.contains("Lưu ý về số người được tiếp cận (có thể một sự kiện được ghi hai lần):"))
        #expect(text.contains("- Ngày 20/11/2026, Phòng Văn hóa - Xã hội có hai bản ghi cùng ghi số người được tiếp cận: bản ghi số 1 (1.250 người) và bản ghi số 2 (1.250 người)"))
    }
}
