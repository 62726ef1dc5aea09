import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlanCore
import Testing

@testable import PlanServer

/// `GET /plans/<plan>/indicators` and its figures form `POST /plans/<plan>/figures` (issue 7 §1).
@Suite("Indicators page")
struct IndicatorPageTests {
    @Test("every target is listed with its value or 'chưa có số liệu', goal and state; the dashboard links to it")
    func pageListsEveryTarget() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let page = try await get(client, "/plans/bach-dang/indicators?year=2026")
            #expect(page.status == .ok)
            let plan = try PlanLoader.load(path: planPath)
            for target in plan.targets {
                for indicator in target.indicators {
                    let id = "ind-\(target.id)-\(indicator.id)".replacingOccurrences(of: ".", with: "-")
                    #expect(page.html.contains("id=\"\(id)\""), "\(id) missing")
                }
            }
            #expect(page.html.contains("chưa có số liệu"))
            #expect(page.html.contains("ít nhất 90%"))
            // Not signed in: no form, a way to sign in.
            #expect(!page.html.contains("action=\"/plans/bach-dang/figures\""))
            #expect(page.html.contains("đăng nhập"))
            let dashboard = try await get(client, "/plans/bach-dang")
            #expect(dashboard.html.contains("href=\"/plans/bach-dang/indicators\""))
            // A year outside the plan: today's year, with a note.
            let outside = try await get(client, "/plans/bach-dang/indicators?year=2040")
            #expect(outside.status == .ok)
            #expect(outside.html.contains("không thuộc kế hoạch"))
        }
    }

    @Test("a unit records its figures with the form: the page shows the value, its state and an accessible SVG trend")
    func formRecordsFigures() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let police = try await signIn(client, token: f.police)
            let page = try await get(client, "/plans/bach-dang/indicators?year=2026", as: police)
            // The police's own figures only: G3.T2 and G3.T3's, not vhxh's.
            #expect(page.html.contains("id=\"figures-G3-T2-cong-an\""))
            #expect(!page.html.contains("id=\"figures-G3-T2-vhxh\""))
            #expect(!page.html.contains("id=\"figures-G1-T1-vhxh\""))
            let ok = try await post(client, "/plans/bach-dang/figures", [
                ("target", "G3.T2"), ("unit", "cong-an"), ("year", "2026"),
                ("values[victims-detected]", "10"), ("values[perpetrators-detected]", ""), ("note", "Sổ theo dõi của Công an"),
            ], as: police)
            #expect(ok.status == .seeOther)
            #expect(ok.location?.hasPrefix("/plans/bach-dang/indicators?year=2026&so-lieu=") == true)
            let lead = try await signIn(client, token: f.lead)
            let leadPage = try await get(client, "/plans/bach-dang/indicators?year=2026", as: lead)
            #expect(leadPage.html.contains("id=\"figures-G3-T2-vhxh\""))
            #expect(leadPage.html.contains("id=\"figures-G3-T2-cong-an\""))
            let done = try await post(client, "/plans/bach-dang/figures", [
                ("target", "G3.T2"), ("unit", "vhxh"), ("year", "2026"), ("values[victims-supported]", "9"),
                ("evidence", "https://bachdang.example/ho-tro"),
            ], as: lead)
            #expect(done.status == .seeOther)
            let shown = try await get(client, try #require(done.location), as: lead)
            #expect(shown.html.contains("Đã ghi số liệu G3.T2 năm 2026"))
            let row = try #require(shown.html.components(separatedBy: "id=\"ind-G3-T2-victims\"").dropFirst().first?
                .components(separatedBy: "</li>").first)
            #expect(row.contains("<strong>90%</strong>"))
            #expect(row.contains("class=\"st met\""))
            #expect(row.contains("role=\"img\""))
            #expect(row.contains("<title id=\"trend-G3-T2-victims-title\">Xu hướng G3.T2"))
            #expect(row.contains("năm 2026: 90%"))
        }
        let stored = try await f.repositories.figures.figures(plan: "bach-dang")
        #expect(stored.map(\.values) == [["victims-detected": 10], ["victims-supported": 9]])
    }

    @Test("refused figures come back in Vietnamese naming the field, with what was typed; nothing is written")
    func refusals() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let police = try await signIn(client, token: f.police)
            let base: [(String, String)] = [("target", "G3.T2"), ("unit", "cong-an"), ("year", "2026"), ("note", "Sổ theo dõi")]
            let negative = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", "-3")], as: police)
            #expect(negative.status == .badRequest)
            #expect(negative.html.contains("Chưa ghi được số liệu"))
            #expect(negative.html.contains("victims-detected"))
            #expect(negative.html.contains("không được âm"))
            #expect(negative.html.contains("value=\"-3\""), "what was typed comes back")
            let text = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", "mười")], as: police)
            #expect(text.status == .badRequest)
            #expect(text.html.contains("không phải là một số"))
            // Digits only (Swift's Double reads "0x10" as 16), and no count beyond 2^53 − 1.
            for typed in ["0x10", "1e3", "inf"] {
                let strict = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", typed)], as: police)
                #expect(strict.status == .badRequest, "\(typed)")
                #expect(strict.html.contains("không phải là một số"), "\(typed)")
            }
            let huge = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", "10000000000000000000")], as: police)
            #expect(huge.status == .badRequest)
            #expect(huge.html.contains("vượt mức tối đa"))
            let whole = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", "2,5")], as: police)
            #expect(whole.status == .badRequest)
            #expect(whole.html.contains("cần một số nguyên"))
            // Another unit's figure, and writing for another unit.
            let other = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-supported]", "3")], as: police)
            #expect(other.status == .badRequest)
            #expect(other.html.contains("victims-supported"))
            let forVhxh = try await post(client, "/plans/bach-dang/figures", [
                ("target", "G3.T2"), ("unit", "vhxh"), ("year", "2026"), ("values[victims-supported]", "3"), ("note", "x"),
            ], as: police)
            #expect(forVhxh.status == .forbidden)
            let empty = try await post(client, "/plans/bach-dang/figures", base + [("values[victims-detected]", "")], as: police)
            #expect(empty.status == .badRequest)
            #expect(empty.html.contains("Chưa nhập số liệu nào"))
            // The gate: no session, a wrong CSRF token, another origin.
            let fields = base + [("values[victims-detected]", "4")]
            #expect(try await post(client, "/plans/bach-dang/figures", fields, as: nil).status == .unauthorized)
            #expect(try await post(client, "/plans/bach-dang/figures", fields, as: police, csrf: "wrong").status == .forbidden)
            #expect(try await post(client, "/plans/bach-dang/figures", fields, as: police, origin: "https://evil.example").status == .forbidden)
        }
        #expect(try await f.repositories.figures.figures(plan: "bach-dang").isEmpty)
    }

    @Test("the page model builds without HTTP; a trend needs a value")
    func pageModel() throws {
        let plan = try PlanLoader.load(path: planPath)
        let compliance = ComplianceReport(plan: plan, occurrences: try Schedule(plan: plan).occurrences(),
                                          ledger: CompletionLedger(records: []), today: today, year: 2026)
        let report = IndicatorReport(plan: plan, figures: [], compliance: compliance, year: 2026)
        let page = IndicatorsPage.build(plan: plan, report: report, history: [report], chrome: .plain(title: "x"),
                                        signedInUnit: "vhxh", typed: nil)
        #expect(page.rows.count == report.lines.count)
        #expect(page.rows.allSatisfy { $0.trend == nil || $0.hasValue })
        // The lead unit fills every unit's figures: one form per target and supplier.
        let pairs = Set(plan.targets.flatMap { t in t.figures.map { "\(t.id)/\($0.unit)" } })
        #expect(page.forms.count == pairs.count)
    }
}
