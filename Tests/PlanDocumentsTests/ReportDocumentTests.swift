import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PlanCore
@testable import PlanDocuments
import Testing
import ZIPFoundation

/// The .docx writer: the template's parts in a fixed order, the body escaped and well-formed,
/// and the same report giving the same bytes.
@Suite struct ReportDocumentTests {
    static let sample = ReportDocument(
        superior: "UBND PHƯỜNG THỬ", issuer: "PHÒNG <THỬ> & \"KIỂM\"", number: "Số: …/BC", placeDate: "Thử, ngày … tháng … năm 2026",
        title: "BÁO CÁO", subtitle: "Kết quả thực hiện Kế hoạch thử năm 2026", recipient: "Kính gửi: Ủy ban nhân dân phường Thử",
        intro: ["Mở đầu có ký tự điều khiển \u{07} và 'nháy'."],
        sections: [
            .init(number: "I", title: "KẾT QUẢ", blocks: [
                .heading("1. Bảng"),
                .table(.init(columns: ["STT", "Nội dung"], widths: [1, 5], rows: [["1", "a < b && c > d"], ["2", "dòng 1\ndòng 2"]])),
                .item("một việc"), .paragraph("Một đoạn."), .blank,
            ], id: "results"),
        ],
        recipients: ["- Như trên;", "- Lưu: VT."], signature: ["THỦ TRƯỞNG ĐƠN VỊ"], signatureNote: "(Ký, ghi rõ họ tên)",
        fileStem: "thu")

    static func entries(_ data: Data) throws -> [(path: String, text: String)] {
        let archive = try Archive(data: data, accessMode: .read)
        return try archive.map { entry in
            var out = Data()
            _ = try archive.extract(entry) { out.append($0) }
            return (entry.path, String(decoding: out, as: UTF8.self))
        }
    }

    @Test func sameInputsSameBytes() throws {
        let a = try Self.sample.docx(created: "2026-12-16")
        let b = try Self.sample.docx(created: "2026-12-16")
        #expect(a == b)
        #expect(a.prefix(2) == Data("PK".utf8))
        #expect(try Self.sample.docx(created: "2026-12-17") != a)
    }

    @Test func partsInFixedOrder() throws {
        let entries = try Self.entries(try Self.sample.docx(created: "2026-12-16"))
        #expect(entries.map(\.path) == ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
                                        "word/document.xml", "word/styles.xml", "word/settings.xml", "word/_rels/document.xml.rels"])
        let archive = try Archive(data: try Self.sample.docx(created: "2026-12-16"), accessMode: .read)
        for entry in archive { #expect(entry.fileAttributes[.modificationDate] as? Date == ReportDocument.entryDate) }
        for (path, text) in entries {
            #expect(!text.contains("{{"), "\(path) still has a placeholder")
            let parser = XMLParser(data: Data(text.utf8))
            #expect(parser.parse(), "\(path) is not well-formed XML: \(String(describing: parser.parserError))")
        }
    }

    @Test func bodyEscapedAndLaidOut() throws {
        let xml = try #require(try Self.entries(try Self.sample.docx(created: "2026-12-16")).first { $0.path == "word/document.xml" }?.text)
        #expect(xml.contains("PHÒNG &lt;THỬ&gt; &amp; &quot;KIỂM&quot;"))
        #expect(xml.contains("a &lt; b &amp;&amp; c &gt; d"))
        #expect(!xml.contains("\u{07}"))
        #expect(xml.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
        #expect(xml.contains("Độc lập - Tự do - Hạnh phúc"))
        #expect(xml.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"))
        #expect(xml.contains("<w:tblHeader/>"))
        // A cell's lines are paragraphs of their own.
        #expect(xml.contains(">dòng 1</w:t>") && xml.contains(">dòng 2</w:t>"))
        #expect(xml.contains("Nơi nhận:"))
        // Word's order inside tblPr, and a body that ends on a paragraph.
        #expect(xml.contains("</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"))
        #expect(xml.contains("</w:tbl><w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\"/></w:pPr></w:p><w:sectPr>"))
    }
}
