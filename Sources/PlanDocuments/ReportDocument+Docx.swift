public import Foundation
public import PlanCore
import ZIPFoundation

/// Why a document could not be made.
public enum DocumentError: Error, CustomStringConvertible {
    /// A part of the template is missing from the bundle.
    case templateMissing(String)
    /// The archive could not be written.
    case archive(String)

    public var description: String {
        switch self {
        case let .templateMissing(part): return "thiếu phần \(part) của mẫu văn bản .docx"
        case let .archive(why): return "không tạo được tệp .docx: \(why)"
        }
    }
}

extension ReportDocument {
    /// The media type of a .docx file.
    public static let docxContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    /// The template's parts, in the order they are written: (file in `Template/`, path in the archive).
    /// `_rels/.rels` is kept as `_rels/rels.xml` in the sources so no resource is a hidden file.
    static let parts: [(source: String, entry: String)] = [
        ("[Content_Types].xml", "[Content_Types].xml"),
        ("_rels/rels.xml", "_rels/.rels"),
        ("docProps/core.xml", "docProps/core.xml"),
        ("docProps/app.xml", "docProps/app.xml"),
        ("word/document.xml", "word/document.xml"),
        ("word/styles.xml", "word/styles.xml"),
        ("word/settings.xml", "word/settings.xml"),
        ("word/_rels/document.xml.rels", "word/_rels/document.xml.rels"),
    ]

    /// Every entry's timestamp: fixed, so the same report gives the same bytes (the DOS epoch).
    static let entryDate = Date(timeIntervalSince1970: 315_532_800)

    /// The report as a .docx (Office Open XML): the template's parts with the body filled in,
    /// zipped in a fixed order with fixed timestamps. `created` is the day written in its
    /// properties (the report's "today"), so two runs with the same inputs give identical bytes.
    public func docx(created: String) throws -> Data {
        guard let dir = Bundle.module.url(forResource: "Template", withExtension: nil) else {
            throw DocumentError.templateMissing("Template")
        }
        let archive: Archive
        do { archive = try Archive(accessMode: .create) } catch { throw DocumentError.archive("\(error)") }
        for part in Self.parts {
            guard let raw = try? String(contentsOf: dir.appendingPathComponent(part.source), encoding: .utf8) else {
                throw DocumentError.templateMissing(part.source)
            }
            let text = raw
                .replacingOccurrences(of: "{{BODY}}", with: DocxBody(document: self).xml)
                .replacingOccurrences(of: "{{TITLE}}", with: DocxBody.escape("\(title) \(subtitle)"))
                .replacingOccurrences(of: "{{CREATOR}}", with: DocxBody.escape(issuer))
                .replacingOccurrences(of: "{{CREATED}}", with: "\(created)T00:00:00Z")
            let data = Data(text.utf8)
            do {
                try archive.addEntry(with: part.entry, type: .file, uncompressedSize: Int64(data.count),
                                     modificationDate: Self.entryDate, permissions: 0o644, compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            } catch { throw DocumentError.archive("\(error)") }
        }
        guard let bytes = archive.data else { throw DocumentError.archive("no data") }
        return bytes
    }
}

/// The WordprocessingML of a report's body (everything inside `<w:body>` before `<w:sectPr>`).
struct DocxBody {
    let document: ReportDocument

    /// The width of the text on an A4 page with 30 mm and 15 mm side margins, in twentieths of a point.
    static let textWidth = 11906 - 1701 - 851

    /// Text as XML character data: markup escaped, characters XML forbids dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            default:
                let v = scalar.value
                if v < 0x20 || (0xFFFE...0xFFFF).contains(v) || (0xD800...0xDFFF).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    struct Run {
        var text: String
        var bold = false
        var italic = false
        /// Half-points; nil: the style's.
        var size: Int?
    }

    static func run(_ r: Run) -> String {
        var props = ""
        if r.bold { props += "<w:b/><w:bCs/>" }
        if r.italic { props += "<w:i/><w:iCs/>" }
        if let s = r.size { props += "<w:sz w:val=\"\(s)\"/><w:szCs w:val=\"\(s)\"/>" }
        return "<w:r>\(props.isEmpty ? "" : "<w:rPr>\(props)</w:rPr>")<w:t xml:space=\"preserve\">\(escape(r.text))</w:t></w:r>"
    }

    /// A paragraph.
    static func paragraph(_ runs: [Run], style: String? = nil, align: String? = nil, after: Int? = nil,
                          firstLine: Int? = nil) -> String {
        var p = ""
        if let style { p += "<w:pStyle w:val=\"\(style)\"/>" }
        if let after { p += "<w:spacing w:before=\"0\" w:after=\"\(after)\"/>" }
        if let firstLine { p += "<w:ind w:firstLine=\"\(firstLine)\"/>" }
        if let align { p += "<w:jc w:val=\"\(align)\"/>" }
        return "<w:p>\(p.isEmpty ? "" : "<w:pPr>\(p)</w:pPr>")\(runs.map(run).joined())</w:p>"
    }

    /// The short line Decree 30 puts under the issuer, the motto and the title: an empty paragraph
    /// 3 pt high whose top border is narrowed by `indent` twips on each side.
    static func rule(indent: Int, after: Int = 60) -> String {
        "<w:p><w:pPr><w:pBdr><w:top w:val=\"single\" w:sz=\"6\" w:space=\"0\" w:color=\"000000\"/></w:pBdr><w:spacing w:before=\"20\" w:after=\"\(after)\" w:line=\"60\" w:lineRule=\"exact\"/><w:ind w:left=\"\(indent)\" w:right=\"\(indent)\"/><w:jc w:val=\"center\"/></w:pPr></w:p>"
    }

    static func cell(width: Int, _ content: String, shade: Bool = false) -> String {
        "<w:tc><w:tcPr><w:tcW w:w=\"\(width)\" w:type=\"dxa\"/>\(shade ? "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E7E6E6\"/>" : "")</w:tcPr>\(content)</w:tc>"
    }

    /// A table without borders (the header and signature blocks). Children of `w:tblPr` keep
    /// the schema's order (tblW, tblBorders, tblLayout, tblLook): Word refuses others.
    static func layout(widths: [Int], rows: [[String]]) -> String {
        let grid = widths.map { "<w:gridCol w:w=\"\($0)\"/>" }.joined()
        let body = rows.map { row in
            "<w:tr>" + zip(widths, row).map { cell(width: $0, $1) }.joined() + "</w:tr>"
        }.joined()
        return "<w:tbl><w:tblPr><w:tblW w:w=\"\(textWidth)\" w:type=\"dxa\"/><w:tblBorders><w:top w:val=\"nil\"/><w:left w:val=\"nil\"/><w:bottom w:val=\"nil\"/><w:right w:val=\"nil\"/><w:insideH w:val=\"nil\"/><w:insideV w:val=\"nil\"/></w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"0000\"/></w:tblPr><w:tblGrid>\(grid)</w:tblGrid>\(body)</w:tbl>"
    }

    /// Twips a token takes in the tables' 12 pt Times New Roman, estimated from its characters
    /// (digits half an em; the few narrow and wide ones apart), with the cell's margins (2 × 108)
    /// and a little slack for the renderer.
    static func tokenWidth(_ token: Substring) -> Int {
        var w = 0
        for c in token {
            switch c {
            case "0"..."9": w += 120
            case "/", ",", ".", ":", "-": w += 70
            case "%": w += 200
            default: w += c.isUppercase ? 170 : 130
            }
        }
        return w + 216 + 90
    }

    /// A value that must not break across lines: a date, a number, a percentage, a fraction
    /// (`15/12/2026`, `1.250`, `25,89%`, `7/7`).
    static func isUnbreakable(_ token: Substring) -> Bool {
        guard let first = token.first, first.isNumber else { return false }
        return token.allSatisfy { $0.isNumber || "/.,:%–-".contains($0) }
    }

    /// Column widths in twips: the table's relative widths, widened where a column holds a
    /// value that must stay on one line (a date never wraps), the room taken from the columns
    /// that can spare it. Sums to the text width.
    static func columnWidths(_ t: ReportDocument.Table) -> [Int] {
        let total = max(1, t.widths.reduce(0, +))
        var widths = t.widths.map { $0 * textWidth / total }
        let minimum = t.widths.indices.map { i in
            ([t.columns[i]] + t.rows.compactMap { i < $0.count ? $0[i] : nil })
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }) }
                .filter(isUnbreakable).map(tokenWidth).max() ?? 0
        }
        for _ in 0..<widths.count {
            let short = widths.indices.filter { widths[$0] < minimum[$0] }
            guard !short.isEmpty else { break }
            var needed = 0
            for i in short { needed += minimum[i] - widths[i]; widths[i] = minimum[i] }
            // Take it from the other columns in proportion to what each has above its own minimum.
            let donors = widths.indices.filter { !short.contains($0) && widths[$0] > minimum[$0] }
            let spare = donors.map { widths[$0] - max(minimum[$0], 600) }.reduce(0) { $0 + max(0, $1) }
            guard spare > 0 else { break }
            for i in donors {
                let give = max(0, widths[i] - max(minimum[i], 600)) * min(needed, spare) / spare
                widths[i] -= give
            }
        }
        // Rounding: the last column takes what is left, so the table is exactly the text width.
        widths[widths.count - 1] += textWidth - widths.reduce(0, +)
        return widths
    }

    /// A data table: borders, a bold shaded header row repeated on every page.
    static func table(_ t: ReportDocument.Table) -> String {
        let widths = columnWidths(t)
        let grid = widths.map { "<w:gridCol w:w=\"\($0)\"/>" }.joined()
        func cellText(_ text: String, bold: Bool) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { paragraph([Run(text: String($0), bold: bold)], style: "TableText", align: bold ? "center" : nil) }
                .joined()
        }
        let header = "<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"
            + zip(widths, t.columns).map { cell(width: $0, cellText($1, bold: true), shade: true) }.joined() + "</w:tr>"
        let rows = t.rows.map { row in
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + zip(widths, row).map { cell(width: $0, cellText($1, bold: false)) }.joined() + "</w:tr>"
        }.joined()
        return "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"\(textWidth)\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\"/></w:tblPr><w:tblGrid>\(grid)</w:tblGrid>\(header)\(rows)</w:tbl>"
            + paragraph([], after: 0)
    }

    var xml: String {
        let d = document
        let left = 3800, right = Self.textWidth - 3800
        let size13 = 26
        var issuerCell = ""
        if let superior = d.superior { issuerCell += Self.paragraph([Run(text: superior, size: size13)], align: "center", after: 0) }
        issuerCell += Self.paragraph([Run(text: d.issuer, bold: true, size: size13)], align: "center", after: 0) + Self.rule(indent: 1200)
        let nationCell = Self.paragraph([Run(text: ReportDocument.nation, bold: true, size: 24)], align: "center", after: 0)
            + Self.paragraph([Run(text: ReportDocument.motto, bold: true, size: size13)], align: "center", after: 0)
            + Self.rule(indent: 1250)
        let numberCell = Self.paragraph([Run(text: d.number, size: size13)], align: "center", after: 0)
        let dateCell = Self.paragraph([Run(text: d.placeDate, italic: true, size: size13)], align: "center", after: 0)
        var out = Self.layout(widths: [left, right], rows: [[issuerCell, nationCell], [numberCell, dateCell]])
        out += Self.paragraph([Run(text: d.title)], style: "Title")
        out += Self.paragraph([Run(text: d.subtitle, bold: true)], align: "center", after: 0)
        out += Self.rule(indent: 3400, after: 240)
        if let recipient = d.recipient { out += Self.paragraph([Run(text: recipient)], align: "center") }
        out += d.intro.map { Self.paragraph([Run(text: $0)], firstLine: 567) }.joined()
        for s in d.sections {
            out += Self.paragraph([Run(text: "\(s.number). \(s.title)")], style: "Heading1")
            for b in s.blocks {
                switch b {
                case let .heading(t): out += Self.paragraph([Run(text: t)], style: "Heading2")
                case let .paragraph(t): out += Self.paragraph([Run(text: t)], firstLine: 567)
                case let .item(t): out += Self.paragraph([Run(text: "- \(t)")], firstLine: 567)
                case let .table(t): out += Self.table(t)
                case .blank:
                    // Two dotted lines to write on: 32 ellipses (1 em each) fill a 160 mm line at 14 pt.
                    let dots = Self.paragraph([Run(text: String(repeating: "…", count: 32))], align: "left")
                    out += dots + dots
                }
            }
        }
        let recipientsCell = Self.paragraph([Run(text: ReportDocument.recipientsLabel, bold: true, italic: true, size: 24)], align: "left", after: 0)
            + d.recipients.map { Self.paragraph([Run(text: $0, size: 22)], align: "left", after: 0) }.joined()
        let signCell = d.signature.map { Self.paragraph([Run(text: $0, bold: true)], align: "center", after: 0) }.joined()
            + Self.paragraph([Run(text: d.signatureNote, italic: true)], align: "center", after: 0)
        out += Self.paragraph([], after: 0)
        out += Self.layout(widths: [Self.textWidth / 2, Self.textWidth - Self.textWidth / 2], rows: [[recipientsCell, signCell]])
        // The body ends with a paragraph, as Word writes it (a document may not end on a table).
        return out + Self.paragraph([], after: 0)
    }
}
