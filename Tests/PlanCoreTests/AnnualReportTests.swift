import Foundation
import ICal
@testable import PlanCore
import Testing

/// The annual reports drafted from a constructed year of records: golden renderings (the plain
/// text of the document every output is made from), the numbers shared with the compliance and
/// indicator reports, and one record changing exactly the cells it should.
@Suite struct AnnualReportTests {
    static let today = day(16, 12, 2026)

    /// The compliance golden history, plus an obstacle, a training, figures, and an on-time report.
    static func year() async throws -> (Harness, [FigureRecord]) {
        let h = try await ComplianceGoldenTests.history()
        _ = try await h.service.recordAdHoc(.obstacle, unit: "mttq", details: .init(doneOn: day(3, 9, 2026), note: "Thiếu kinh phí in tài liệu tuyên truyền <bình đẳng giới> & tờ rơi"),
                                            recordedBy: "Cán bộ thử", now: noon(day(3, 9, 2026)), today: day(3, 9, 2026))
        _ = try await h.service.recordAdHoc(.training, unit: "mttq", details: .init(doneOn: day(20, 9, 2026), note: "Tập huấn cho cán bộ Mặt trận", participants: 40),
                                            recordedBy: "Cán bộ thử", now: noon(day(20, 9, 2026)), today: day(20, 9, 2026))
        try await h.done("annual-report/2026/mttq", by: "mttq", on: day(12, 12, 2026), today: day(12, 12, 2026))
        let figures = [
            FigureRecord(id: 1, plan: h.plan.id, target: "G3.T2", year: 2026, unit: "cong-an",
                         values: ["victims-detected": 12], note: "Số liệu Công an phường", recordedBy: "Cán bộ thử",
                         recordedAt: noon(day(10, 12, 2026))),
            FigureRecord(id: 2, plan: h.plan.id, target: "G3.T2", year: 2026, unit: "vhxh",
                         values: ["victims-supported": 9], note: "Số liệu Phòng Văn hóa - Xã hội", recordedBy: "Cán bộ thử",
                         recordedAt: noon(day(11, 12, 2026))),
        ]
        return (h, figures)
    }

    static func ward(_ h: Harness, _ figures: [FigureRecord]) async throws -> WardAnnualReport {
        WardAnnualReport(plan: h.plan, year: 2026, occurrences: h.service.occurrences, ledger: try await h.ledger,
                         figures: figures, today: today)
    }

    @Test func wardGolden() async throws {
        let (h, figures) = try await Self.year()
        let report = try await Self.ward(h, figures)
        try ComplianceGoldenTests.golden("annual-ward-2026.txt", report.document(plan: h.plan).plainText)
    }

    @Test func unitGolden() async throws {
        let (h, figures) = try await Self.year()
        let unit = try #require(h.plan.unit("mttq"))
        let report = WardAnnualReport.unit(unit, plan: h.plan, year: 2026, occurrences: h.service.occurrences,
                                           ledger: try await h.ledger, figures: figures, today: Self.today)
        #expect(report.obstacles.map(\.note) == ["Thiếu kinh phí in tài liệu tuyên truyền <bình đẳng giới> & tờ rơi"])
        #expect(report.activities.map(\.kind) == [.training])
        #expect(report.completions.map(\.occurrence) == ["dissemination/2026/mttq", "annual-report/2026/mttq"])
        try ComplianceGoldenTests.golden("annual-unit-mttq-2026.txt", report.document(plan: h.plan).plainText)
        // A unit supplying figures lists them with the year's values.
        let police = WardAnnualReport.unit(try #require(h.plan.unit("cong-an")), plan: h.plan, year: 2026,
                                           occurrences: h.service.occurrences, ledger: try await h.ledger, figures: figures,
                                           today: Self.today)
        #expect(police.figures.first { $0.figure == "victims-detected" }?.value == 12)
    }

    /// The report's numbers are the compliance and indicator reports' of the same records.
    @Test func sameNumbersAsComplianceAndIndicators() async throws {
        let (h, figures) = try await Self.year()
        let report = try await Self.ward(h, figures)
        let compliance = try await h.report(today: Self.today, year: 2026)
        #expect(try report.compliance.json() == compliance.json())
        let indicators = IndicatorReport(plan: h.plan, figures: figures, compliance: compliance, year: 2026)
        #expect(try report.indicators.json() == indicators.json())
        let g3 = try #require(report.indicators.lines.first { $0.target == "G3.T2" && $0.numerator == 9 })
        #expect(g3.value == 75)
        #expect(report.document(plan: h.plan).plainText.contains("G3.T2 | \(g3.label) | 75% |"))
        #expect(report.reportsOnTime.map(\.id).contains("mttq"))
        #expect(report.reportsNotOnTime.map(\.id).contains("cong-an"))
        #expect(report.reportsOnTime.map(\.id).contains("kthtdt"))
    }

    /// One more record (the Women's Union's report, on time) changes exactly the lines about it.
    @Test func oneRecordChangesExpectedCells() async throws {
        let (h, figures) = try await Self.year()
        let before = try await Self.ward(h, figures).document(plan: h.plan).plainText
        try await h.done("annual-report/2026/hoi-lhpn", by: "hoi-lhpn", on: day(13, 12, 2026), today: day(13, 12, 2026))
        let after = try await Self.ward(h, figures).document(plan: h.plan).plainText
        let old = before.split(separator: "\n", omittingEmptySubsequences: false)
        let new = after.split(separator: "\n", omittingEmptySubsequences: false)
        let removed = old.filter { !new.contains($0) }, added = new.filter { !old.contains($0) }
        let name = "Hội Liên hiệp Phụ nữ phường"
        // Its row in the units' table, the on-time list and the count of the requested units
        // not heard from (the Women's Union is one, V.6); its line among them goes.
        #expect(added.count == 4, "\(added)")
        #expect(added.contains("- \(name) gửi báo cáo ngày 13/12/2026."), "what each unit reported, written out")
        #expect(removed.count == 4, "\(removed)")
        // Two items done: its report, and its dissemination, which the meeting of 02/06 that informed it fulfils.
        #expect(added.contains { $0.hasPrefix("7 | \(name) | 2 |") && $0.hasSuffix("Hoàn thành đúng hạn (ngày 13/12/2026)") })
        #expect(added.contains { $0.hasPrefix("Gửi đúng hạn") && $0.contains(name) })
        #expect(added.contains { $0.hasPrefix("Đơn vị được đề nghị báo cáo, chưa nhận được đúng hạn: 1 đơn vị") })
        #expect(removed.contains { $0.hasPrefix("- \(name): Đề nghị, chưa ghi nhận") })
    }

    @Test func documentLayout() async throws {
        let (h, figures) = try await Self.year()
        let doc = try await Self.ward(h, figures).document(plan: h.plan)
        #expect(doc.issuer == "ỦY BAN NHÂN DÂN PHƯỜNG BẠCH ĐẰNG")
        #expect(doc.number == "Số: …/BC-UBND")
        #expect(doc.placeDate == "Bạch Đằng, ngày … tháng … năm 2026")
        #expect(doc.recipient == "Kính gửi: Ủy ban nhân dân thành phố Hải Phòng")
        #expect(doc.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])
        #expect(doc.sections.map(\.id) == ["units", "tracked", "indicators", "obstacles", "proposals", "next-year"])
        #expect(doc.sections.map(\.number) == ["I", "II", "III", "IV", "V", "VI"])
        #expect(doc.fileStem == "bao-cao-nam-2026-bach-dang")
        let unit = WardAnnualReport.unit(try #require(h.plan.unit("hoi-nong-dan")), plan: h.plan, year: 2026,
                                         occurrences: h.service.occurrences, ledger: try await h.ledger, figures: [],
                                         today: Self.today).document(plan: h.plan)
        #expect(unit.superior == "UBND PHƯỜNG BẠCH ĐẰNG")
        #expect(unit.issuer == "HỘI NÔNG DÂN PHƯỜNG")
        #expect(unit.recipient == "Kính gửi: Ủy ban nhân dân phường Bạch Đằng (qua Phòng Văn hóa - Xã hội)")
        #expect(unit.sections.map(\.title).suffix(3) == ["KHÓ KHĂN, VƯỚNG MẮC", "KIẾN NGHỊ, ĐỀ XUẤT", "PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027"])
    }

    /// A plan without `place`, `reports_to` or indicators: the committee's area dates the report,
    /// no "Kính gửi", and the indicator section says there is nothing to measure.
    @Test func minimalPlan() async throws {
        let plan = try PlanLoader.load(path: TestSupport.fixture("minimal.yaml"))
        #expect(plan.place == nil && plan.reportsTo == nil)
        let doc = WardAnnualReport(plan: plan, year: 2026, occurrences: try Schedule(plan: plan).occurrences(),
                                   ledger: CompletionLedger(records: []), figures: [], today: Self.today).document(plan: plan)
        #expect(doc.placeDate == "Phường Thử, ngày … tháng … năm 2026")
        #expect(doc.number == "Số: …/BC-UBND" && doc.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])
        #expect(doc.recipient == nil)
        #expect(doc.sections.map(\.id) == ["units", "tracked", "indicators", "obstacles", "proposals", "next-year"])
        #expect(doc.sections[2].blocks == [.paragraph("Kế hoạch chưa nêu cách đo các chỉ tiêu (targets[].indicators).")])
        let shipped = try TestSupport.shippedPlan()
        #expect(shipped.place == "Bạch Đằng" && shipped.reportsTo == "Ủy ban nhân dân thành phố Hải Phòng")
    }
}
