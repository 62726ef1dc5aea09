import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ICal
import Logging
import PlanCore
import Testing

@testable import PlanServer

/// Issue 20: what an outside probe of the figures found, each case refused or answered right.
@Suite("Figures that cannot lie")
struct FigureHardeningTests {
    static let api = "/api/bach-dang/figures"

    static func post<C: TestClientProtocol>(_ client: C, _ token: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: api, method: .post, headers: bearer(token), body: ByteBuffer(string: body)) { r in
            (r.status, String(buffer: r.body))
        }
    }

    static func g1t1(_ leaders: String, _ total: String, year: Int = 2028) -> String {
        """
        {"target":"G1.T1","unit":"vhxh","year":\(year),"values":{"units-woman-leader":\(leaders),"units-total":\(total)},"note":"Sổ theo dõi"}
        """
    }

    @Test("in the same second, a later record is checked against the latest values by record order")
    func sameSecond() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            // Sent at once: the same `recordedAt` second, almost always.
            #expect(try await Self.post(client, f.lead, Self.g1t1("1", "3")).0 == .created)
            let bad = try await Self.post(client, f.lead, Self.g1t1("7", "0"))
            #expect(bad.0 == .badRequest && bad.1.contains("không được vượt mẫu số"), "\(bad)")
            #expect(try await Self.post(client, f.lead, Self.g1t1("2", "3")).0 == .created)
            // A correction of one part is checked against the other part's latest value (2, not 1).
            let partial = """
                {"target":"G1.T1","unit":"vhxh","year":2028,"values":{"units-total":1},"note":"x"}
                """
            #expect(try await Self.post(client, f.lead, partial).0 == .badRequest)
            #expect(try await Self.post(client, f.lead, Self.g1t1("1", "3")).0 == .created)
            // A non-lead unit alone: 5 detected, the lead records 3 supported, then 1 detected is refused.
            let police = """
                {"target":"G3.T2","unit":"cong-an","year":2026,"values":{"victims-detected":%d},"note":"x"}
                """
            #expect(try await Self.post(client, f.police, String(format: police, 5)).0 == .created)
            #expect(try await Self.post(client, f.lead, """
                {"target":"G3.T2","unit":"vhxh","year":2026,"values":{"victims-supported":3},"note":"x"}
                """).0 == .created)
            #expect(try await Self.post(client, f.police, String(format: police, 1)).0 == .badRequest)
        }
        let ledger = FigureLedger(try await f.repositories.figures.figures(plan: "bach-dang"))
        #expect(ledger.value("G1.T1", year: 2028, figure: "units-woman-leader") == 1)
        #expect(ledger.value("G1.T1", year: 2028, figure: "units-total") == 3)
        #expect(ledger.value("G3.T2", year: 2026, figure: "victims-detected") == 5)
    }

    @Test("two units racing on one share through the API: never both stored (100 rounds)")
    func shareRace() async throws {
        let f = try await Fixture()
        @Sendable func body(_ unit: String, _ figure: String, _ value: Int) -> String {
            "{\"target\":\"G3.T2\",\"unit\":\"\(unit)\",\"year\":2026,\"values\":{\"\(figure)\":\(value)},\"note\":\"x\"}"
        }
        try await f.app().test(.router) { client in
            var bothStored = 0
            for round in 0..<100 {
                // From 5 of 20: 15 supported is right against 20 detected, 10 detected against 5
                // supported; together 15 of 10 is not.
                #expect(try await Self.post(client, f.police, body("cong-an", "victims-detected", 20)).0 == .created)
                #expect(try await Self.post(client, f.lead, body("vhxh", "victims-supported", 5)).0 == .created)
                async let a = Self.post(client, f.lead, body("vhxh", "victims-supported", 15))
                async let b = Self.post(client, f.police, body("cong-an", "victims-detected", 10))
                let (ra, rb) = try await (a, b)
                #expect([ra.0, rb.0].filter { $0 == .created }.count == 1, "round \(round): \(ra.0), \(rb.0)")
                let ledger = FigureLedger(try await f.repositories.figures.figures(plan: "bach-dang"))
                let n = try #require(ledger.value("G3.T2", year: 2026, figure: "victims-supported"))
                let d = try #require(ledger.value("G3.T2", year: 2026, figure: "victims-detected"))
                if n > d { bothStored += 1 }
            }
            #expect(bothStored == 0)
        }
    }

    @Test("values are finite, whole counts below 2^53, within the maximum, written without exponent; duplicate keys refused")
    func values() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            func refused(_ body: String, field: String?, says: String, token: String? = nil) async throws {
                let (status, text) = try await Self.post(client, token ?? f.police, body)
                #expect(status == .badRequest, "\(body): \(status) \(text)")
                if let field { #expect(errorField(ByteBuffer(string: text)) == field, "\(body): \(text)") }
                #expect(text.contains(says), "\(body): \(text)")
            }
            let victims = "{\"target\":\"G3.T2\",\"unit\":\"cong-an\",\"year\":2026,\"values\":{\"victims-detected\":%@},\"note\":\"x\"}"
            func v(_ n: String) -> String { victims.replacingOccurrences(of: "%@", with: n) }
            try await refused(v("1e19"), field: "victims-detected", says: "không dùng số mũ")
            try await refused(v("1e300"), field: "victims-detected", says: "không dùng số mũ")
            try await refused(v("1E2"), field: "victims-detected", says: "không dùng số mũ")
            try await refused(v("10000000000000000000"), field: "victims-detected", says: "vượt mức tối đa")
            try await refused(v("9007199254740992"), field: "victims-detected", says: "2^53")
            try await refused("""
                {"target":"G4.T1","unit":"vhxh","year":2027,"values":{"boys-born":1e308,"girls-born":1},"note":"x"}
                """, field: "boys-born", says: "số mũ", token: f.lead)
            try await refused("""
                {"target":"G3.T1","unit":"vhxh","year":2027,"values":{"women-care-hours":\(String(repeating: "9", count: 400)),"men-care-hours":0.1},"note":"x"}
                """, field: nil, says: "JSON", token: f.lead)
            try await refused("""
                {"target":"G3.T2","unit":"cong-an","year":2026,"values":{"victims-detected":1},"values":{"victims-detected":9},"note":"x"}
                """, field: "values", says: "xuất hiện hai lần")
            try await refused("""
                {"target":"G3.T2","unit":"cong-an","year":2026,"values":{"victims-detected":1,"victims-detected":9},"note":"x"}
                """, field: "victims-detected", says: "values.victims-detected")
            try await refused("""
                {"target":"G3.T2","unit":"cong-an","year":2026,"values":{"victims-detected":1,"victims\\u002ddetected":9},"note":"x"}
                """, field: "victims-detected", says: "hai lần")
            // The largest whole count kept exactly is accepted.
            #expect(try await Self.post(client, f.police, v("9007199254740991")).0 == .created)
        }
        #expect(try await f.repositories.figures.figures(plan: "bach-dang").count == 1)
    }

    @Test("a figure's max: in the plan file, else the plan's population, bounds its values")
    func maximum() throws {
        var plan = try PlanLoader.load(path: planPath)
        let record = FigureRecord(plan: "bach-dang", target: "G3.T2", year: 2026, unit: "cong-an",
                                  values: ["victims-detected": 5001], note: "x", recordedBy: "A", recordedAt: UTCDateTime(secondsSinceEpoch: 0))
        #expect(throws: Never.self) { try FigureValidator.validate(record, actor: "cong-an", plan: plan, existing: []) }
        plan.population = 5000
        #expect(throws: FigureError.aboveMaximum(figure: "victims-detected", value: 5001, max: 5000, why: .population)) {
            try FigureValidator.validate(record, actor: "cong-an", plan: plan, existing: [])
        }
        let t = try #require(plan.targets.firstIndex { $0.id == "G3.T2" })
        let i = try #require(plan.targets[t].figures.firstIndex { $0.id == "victims-detected" })
        plan.targets[t].figures[i].max = 100
        let e = #expect(throws: FigureError.self) { try FigureValidator.validate(record, actor: "cong-an", plan: plan, existing: []) }
        #expect(e?.description.contains("vượt mức tối đa 100 (max: của số liệu trong tệp kế hoạch)") == true)
    }

    @Test("figures stored before these checks never fail the indicators: JSON, CSV and the page say \"số liệu không hợp lệ\"")
    func indicatorsNeverFail() async throws {
        let f = try await Fixture()
        // Written past the checks, as an older plancal could have.
        for (target, values): (TargetID, [String: Double]) in [("G4.T1", ["boys-born": 1e308, "girls-born": 1.0]),
                                 ("G3.T1", ["women-care-hours": 1e308, "men-care-hours": 0.1]),
                                 ("G3.T2", ["victims-detected": 1e300])] {
            _ = try await f.repositories.figures.append(FigureRecord(
                plan: "bach-dang", target: target, year: 2027, unit: target == "G3.T2" ? "cong-an" : "vhxh", values: values,
                note: "x", recordedBy: "cũ", recordedAt: UTCDateTime(secondsSinceEpoch: 1)))
        }
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/bach-dang/indicators?year=2027", method: .get) { r in
                #expect(r.status == .ok)
                let lines = (jsonObject(r.body)["lines"] as? [[String: Any]]) ?? []
                let bad = lines.filter { $0["state"] as? String == "invalid" }
                #expect(Set(bad.compactMap { $0["target"] as? String }) == ["G4.T1", "G3.T1", "G3.T2"])
                #expect(bad.allSatisfy { $0["valueText"] as? String == "số liệu không hợp lệ" && $0["value"] is NSNull })
            }
            try await client.execute(uri: "/api/bach-dang/indicators.csv?year=2027", method: .get) { r in
                #expect(r.status == .ok)
                let csv = String(buffer: r.body)
                #expect(csv.contains("số liệu không hợp lệ"))
                #expect(!csv.contains(String(repeating: "0", count: 30)), "a 301-digit number")
            }
            try await client.execute(uri: "/plans/bach-dang/indicators?year=2027", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("số liệu không hợp lệ"))
            }
        }
        // The CLI's JSON too.
        let plan = try PlanLoader.load(path: planPath)
        let compliance = ComplianceReport(plan: plan, occurrences: [], ledger: CompletionLedger(records: []), today: today, year: 2027)
        let report = IndicatorReport(plan: plan, figures: try await f.repositories.figures.figures(plan: "bach-dang"),
                                     compliance: compliance, year: 2027)
        #expect(try report.json().contains("\"state\" : \"invalid\""))
    }

    @Test("an accepted ratio whose quotient is beyond what can be shown is \"số liệu không hợp lệ\", not a failure")
    func quotientTooLarge() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let body = """
                {"target":"G4.T1","unit":"vhxh","year":2027,"values":{"boys-born":9007199254740991,"girls-born":1},"note":"x"}
                """
            #expect(try await Self.post(client, f.lead, body).0 == .created)
            try await client.execute(uri: "/api/bach-dang/indicators?year=2027", method: .get) { r in
                #expect(r.status == .ok)
                let line = ((jsonObject(r.body)["lines"] as? [[String: Any]]) ?? []).first { $0["target"] as? String == "G4.T1" }
                #expect(line?["state"] as? String == "invalid")
                #expect((line?["note"] as? String)?.contains("vượt quá giới hạn tính toán") == true)
            }
        }
    }

    @Test("the figures form reads digits only: 0x10, 1e3 and inf are refused naming the figure")
    func formStrict() {
        for text in ["0x10", "1e3", "inf", "nan", "1.2.3", "", "+5", "١٢"] {
            #expect(FigureValue.parse(text) == nil, "\(text)")
        }
        #expect(FigureValue.parse("1 200") == 1200)
        #expect(FigureValue.parse("3,5") == 3.5)
        #expect(FigureValue.parse("-2") == -2)
        #expect(throws: APIError.self) { try IndicatorController.values(["victims-detected": "0x10"], target: nil) }
    }
}
