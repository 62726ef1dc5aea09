import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlanCore
import Testing

@testable import PlanServer

/// `POST /api/<plan>/figures` and `GET /api/<plan>/indicators` (issue 7, M2).
@Suite("Figures API")
struct FigureRouteTests {
    static func figures(_ body: [String: Any]) -> ByteBuffer { json(body) }

    @Test("a unit records its own figures; the indicators show them; refusals name the field and write nothing")
    func recordAndRefuse() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.police),
                                     body: json(["target": "G3.T2", "unit": "cong-an", "year": 2026,
                                                 "values": ["victims-detected": 10], "note": "Sổ theo dõi của Công an"])) { r in
                #expect(r.status == .created)
                let obj = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any]
                #expect(obj?["recordedBy"] as? String == "Anh Hùng")
            }
            // The police cannot record vhxh's figure, nor write for vhxh.
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.police),
                                     body: json(["target": "G3.T2", "unit": "cong-an", "year": 2026,
                                                 "values": ["victims-supported": 3], "note": "x"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "victims-supported")
            }
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.police),
                                     body: json(["target": "G3.T2", "unit": "vhxh", "year": 2026,
                                                 "values": ["victims-supported": 3], "note": "x"])) { r in
                #expect(r.status == .forbidden)
                #expect(errorField(r.body) == "unit")
            }
            // The lead unit records vhxh's part; a numerator above the police's denominator is refused.
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G3.T2", "unit": "vhxh", "year": 2026,
                                                 "values": ["victims-supported": 11], "note": "x"])) { r in
                #expect(r.status == .badRequest)
                #expect(errorField(r.body) == "victims-supported")
                #expect(String(buffer: r.body).contains("không được vượt mẫu số"))
            }
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G3.T2", "unit": "vhxh", "year": 2026,
                                                 "values": ["victims-supported": 9], "evidence": "https://bachdang.example/ho-tro"])) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/api/bach-dang/figures", method: .post, headers: bearer(f.lead),
                                     body: json(["target": "G9.T9", "unit": "vhxh", "year": 2026, "values": ["x": 1], "note": "x"])) { r in
                #expect(r.status == .notFound)
                #expect(errorField(r.body) == "target")
            }
            try await client.execute(uri: "/api/bach-dang/indicators?year=2026", method: .get) { r in
                #expect(r.status == .ok)
                let obj = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any]
                let lines = obj?["lines"] as? [[String: Any]] ?? []
                #expect(lines.count == 18)
                let victims = lines.first { $0["target"] as? String == "G3.T2" && $0["indicator"] as? String == "victims" }
                #expect(victims?["value"] as? Double == 90)
                #expect(victims?["state"] as? String == "met")
                #expect(victims?["numerator"] as? Double == 9 && victims?["denominator"] as? Double == 10)
            }
            try await client.execute(uri: "/api/bach-dang/indicators.csv?year=2026", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(String(buffer: r.body).contains("G3.T2,victims,"))
            }
        }
        let stored = try await f.repositories.figures.figures(plan: "bach-dang")
        #expect(stored.map(\.values) == [["victims-detected": 10], ["victims-supported": 9]])
    }
}
