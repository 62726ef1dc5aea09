import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlanCore
import Testing

@testable import PlanServer

@Suite("Annual report routes")
struct AnnualReportRouteTests {
    @Test("the ward's and a unit's annual report as pages, with the download buttons; no sign-in needed")
    func pages() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/plans/bach-dang/annual-report?year=2026", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
                #expect(html.contains("ỦY BAN NHÂN DÂN PHƯỜNG BẠCH ĐẰNG"))
                #expect(html.contains("Kết quả thực hiện Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới"))
                #expect(html.contains("href=\"/plans/bach-dang/annual-report.docx?year=2026\""))
                #expect(html.contains("/api/bach-dang/compliance.csv?year=2026"))
                #expect(html.contains("id=\"annual-indicators\""))
                #expect(html.contains("@page{size:A4"))
            }
            try await client.execute(uri: "/plans/bach-dang/annual-report?year=2026&unit=mttq", method: .get) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM PHƯỜNG"))
                #expect(html.contains("/plans/bach-dang/units/mttq/history.csv?year=2026"))
                #expect(html.contains("annual-report.docx?year=2026&amp;unit=mttq"))
            }
            try await client.execute(uri: "/plans/bach-dang/annual-report?year=2026&unit=khong-co", method: .get) { r in
                #expect(r.status == .notFound)
            }
            // The dashboard and the unit pages link to it.
            try await client.execute(uri: "/plans/bach-dang", method: .get) { r in
                #expect(String(buffer: r.body).contains("id=\"annual-report-link\" href=\"/plans/bach-dang/annual-report\""))
            }
            try await client.execute(uri: "/plans/bach-dang/units/mttq", method: .get) { r in
                #expect(String(buffer: r.body).contains("/plans/bach-dang/annual-report?year=2026&amp;unit=mttq"))
            }
        }
    }

    @Test("the .docx download: an attachment with an ASCII name and its UTF-8 name, the same bytes twice")
    func docx() async throws {
        let f = try await Fixture()
        try await f.app().test(.router) { client in
            let first = try await client.execute(uri: "/plans/bach-dang/annual-report.docx?year=2026&unit=vhxh", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == ReportDocument.docxContentType)
                let disposition = r.headers[.contentDisposition] ?? ""
                #expect(disposition.hasPrefix("attachment; filename=\"bao-cao-nam-2026-bach-dang-vhxh.docx\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o"))
                #expect(disposition.unicodeScalars.allSatisfy { $0.isASCII })
                #expect(Array(r.body.readableBytesView.prefix(2)) == Array("PK".utf8))
                return Data(r.body.readableBytesView)
            }
            try await client.execute(uri: "/plans/bach-dang/annual-report.docx?year=2026&unit=vhxh", method: .get) { r in
                #expect(Data(r.body.readableBytesView) == first)
            }
            try await client.execute(uri: "/plans/bach-dang/annual-report.docx?year=2040", method: .get) { r in
                #expect(r.status == .notFound)
            }
        }
    }
}
