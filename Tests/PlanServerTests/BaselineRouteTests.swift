import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlanCore
import Testing

@testable import PlanServer

/// The lead unit's baseline form on the indicators page, `POST /plans/<plan>/baselines` (issue 17).
@Suite("Baselines form")
struct BaselineRouteTests {
    static func row(_ html: String, _ id: String) -> String {
        html.components(separatedBy: "id=\"\(id)\"").dropFirst().first?.components(separatedBy: "</li>").first ?? ""
    }

    @Test("the lead records a baseline: the indicator goes from 'chưa đánh giá được lộ trình' to a path state")
    func leadRecordsBaseline() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let police = try await signIn(client, token: f.police)
            let lead = try await signIn(client, token: f.lead)
            #expect(try await post(client, "/plans/bach-dang/figures", [
                ("target", "G3.T2"), ("unit", "cong-an"), ("year", "2026"), ("values[victims-detected]", "10"), ("note", "Sổ"),
            ], as: police).status == .seeOther)
            #expect(try await post(client, "/plans/bach-dang/figures", [
                ("target", "G3.T2"), ("unit", "vhxh"), ("year", "2026"), ("values[victims-supported]", "8"), ("note", "Sổ"),
            ], as: lead).status == .seeOther)
            let before = try await get(client, "/plans/bach-dang/indicators?year=2026", as: lead)
            let beforeRow = Self.row(before.html, "ind-G3-T2-victims")
            #expect(beforeRow.contains("class=\"st not-judged\""))
            #expect(beforeRow.contains("chưa đánh giá được lộ trình"))
            #expect(beforeRow.contains("Lộ trình: —"))
            // The lead sees a baseline form per indicator with a path; not one for a range goal.
            #expect(before.html.contains("action=\"/plans/bach-dang/baselines\""))
            #expect(before.html.contains("id=\"baseline-G3-T2-victims\""))
            #expect(!before.html.contains("id=\"baseline-G4-T1-sex-ratio\""))
            // Another unit sees no baseline form.
            let policePage = try await get(client, "/plans/bach-dang/indicators?year=2026", as: police)
            #expect(!policePage.html.contains("action=\"/plans/bach-dang/baselines\""))
            let ok = try await post(client, "/plans/bach-dang/baselines", [
                ("target", "G3.T2"), ("indicator", "victims"), ("year", "2025"), ("value", "70"), ("pageYear", "2026"),
                ("evidence", "https://bachdang.example/so-lieu-2025"),
            ], as: lead)
            #expect(ok.status == .seeOther)
            #expect(ok.location?.hasPrefix("/plans/bach-dang/indicators?year=2026&ban-dau=") == true)
            let after = try await get(client, try #require(ok.location), as: lead)
            #expect(after.html.contains("Đã ghi số liệu ban đầu của G3.T2/victims: năm 2025, 70%"))
            let afterRow = Self.row(after.html, "ind-G3-T2-victims")
            // 70% in 2025 towards 90% by 2030: the path is 74% in 2026; 80% is on it.
            #expect(afterRow.contains("class=\"st on-path\""))
            #expect(afterRow.contains("Lộ trình: 74%"))
            #expect(afterRow.contains("Số liệu ban đầu: 70% (năm 2025)"))
            #expect(!afterRow.contains("chưa đánh giá được lộ trình"))
            // A correction (a later record) replaces it: 85% → path 86%, 80% is behind.
            #expect(try await post(client, "/plans/bach-dang/baselines", [
                ("target", "G3.T2"), ("indicator", "victims"), ("year", "2025"), ("value", "85,0"), ("note", "Sửa theo thống kê"),
            ], as: lead).status == .seeOther)
            try await client.execute(uri: "/api/bach-dang/indicators?year=2026", method: .get) { r in
                let obj = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any]
                let lines = obj?["lines"] as? [[String: Any]] ?? []
                let victims = lines.first { $0["target"] as? String == "G3.T2" && $0["indicator"] as? String == "victims" }
                #expect(victims?["baseline"] as? Double == 85 && victims?["baselineYear"] as? Int == 2025)
                #expect(victims?["state"] as? String == "behind")
            }
        }
        let stored = try await f.repositories.baselines.baselines(plan: "bach-dang")
        #expect(stored.map(\.value) == [70, 85])
        #expect(stored.first?.recordedBy == "Chị Lan")
    }

    @Test("another unit gets 403, a bad value 400 naming the field with what was typed; nothing is written")
    func refusals() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let police = try await signIn(client, token: f.police)
            let lead = try await signIn(client, token: f.lead)
            let base: [(String, String)] = [("target", "G3.T2"), ("indicator", "victims"), ("year", "2025"), ("note", "Thống kê")]
            let notLead = try await post(client, "/plans/bach-dang/baselines", base + [("value", "70")], as: police)
            #expect(notLead.status == .forbidden)
            #expect(notLead.html.contains("Chỉ đơn vị chủ trì"))
            let text = try await post(client, "/plans/bach-dang/baselines", base + [("value", "bảy mươi")], as: lead)
            #expect(text.status == .badRequest)
            #expect(text.html.contains("Chưa ghi được số liệu ban đầu"))
            #expect(text.html.contains("Giá trị số liệu ban đầu"))
            #expect(text.html.contains("value=\"bảy mươi\""), "what was typed comes back")
            #expect(text.html.contains("<details id=\"baseline-G3-T2-victims\" open>"))
            for typed in ["0x10", "1e3", "-5", "150"] {
                let bad = try await post(client, "/plans/bach-dang/baselines", base + [("value", typed)], as: lead)
                #expect(bad.status == .badRequest, "\(typed)")
                #expect(bad.html.contains("Giá trị số liệu ban đầu"), "\(typed)")
            }
            let future = try await post(client, "/plans/bach-dang/baselines", [
                ("target", "G3.T2"), ("indicator", "victims"), ("year", "2027"), ("value", "70"), ("note", "x"),
            ], as: lead)
            #expect(future.status == .badRequest)
            #expect(future.html.contains("sau năm hiện tại"))
            let range = try await post(client, "/plans/bach-dang/baselines", [
                ("target", "G4.T1"), ("indicator", "sex-ratio"), ("year", "2025"), ("value", "104"), ("note", "x"),
            ], as: lead)
            #expect(range.status == .badRequest)
            #expect(range.html.contains("không có lộ trình"))
            let noSource = try await post(client, "/plans/bach-dang/baselines", [
                ("target", "G3.T2"), ("indicator", "victims"), ("year", "2025"), ("value", "70"),
            ], as: lead)
            #expect(noSource.status == .badRequest)
            // The gate: no session, a wrong CSRF token, another origin.
            let fields = base + [("value", "70")]
            #expect(try await post(client, "/plans/bach-dang/baselines", fields, as: nil).status == .unauthorized)
            #expect(try await post(client, "/plans/bach-dang/baselines", fields, as: lead, csrf: "wrong").status == .forbidden)
            #expect(try await post(client, "/plans/bach-dang/baselines", fields, as: lead, origin: "https://evil.example").status == .forbidden)
        }
        #expect(try await f.repositories.baselines.baselines(plan: "bach-dang").isEmpty)
    }

    @Test("POST /api/<plan>/baselines: the lead's token records (201); another unit 403; bad values and duplicate keys 400")
    func api() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let uri = "/api/bach-dang/baselines"
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G2.T3", "indicator": "women-directors", "year": 2025, "value": 12.5,
                                                 "note": "Đăng ký kinh doanh"])) { r in
                #expect(r.status == .created)
                let obj = jsonObject(r.body)
                #expect(obj["value"] as? Double == 12.5 && obj["recordedBy"] as? String == "Chị Lan")
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.police),
                                     body: json(["target": "G2.T3", "indicator": "women-directors", "year": 2025, "value": 12,
                                                 "note": "x"])) { r in
                #expect(r.status == .forbidden)
                #expect(errorField(r.body) == "unit")
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G2.T3", "indicator": "women-directors", "year": 2025, "value": 101,
                                                 "note": "x"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "value")
            }
            let raw: [(String, String)] = [
                ("{\"target\": \"G2.T3\", \"indicator\": \"women-directors\", \"year\": 2025, \"value\": 10, \"value\": 90, \"note\": \"x\"}", "value"),
                ("{\"target\": \"G2.T3\", \"indicator\": \"women-directors\", \"year\": 2025, \"value\": 1e1, \"note\": \"x\"}", "value"),
                ("{\"target\": \"G2.T3\", \"indicator\": \"women-directors\", \"year\": 2025, \"valeu\": 10, \"note\": \"x\"}", "valeu"),
            ]
            for (body, field) in raw {
                try await client.execute(uri: uri, method: .post, headers: bearer(f.lead), body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest, "\(body)")
                    #expect(errorField(r.body) == field, "\(body)")
                }
            }
            try await client.execute(uri: uri, method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G4.T1", "indicator": "sex-ratio", "year": 2025, "value": 104,
                                                 "note": "x"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "indicator")
            }
        }
        #expect(try await f.repositories.baselines.baselines(plan: "bach-dang").map(\.value) == [12.5])
    }
}
