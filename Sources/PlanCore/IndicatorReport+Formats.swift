import Foundation

extension IndicatorReport {
    /// Pretty JSON with sorted keys (the shape README documents).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The path at the year's end, written in the indicator's measure; `—` without one.
    func pathText(_ line: Line, _ plan: Plan) -> String {
        guard let p = line.path, let i = plan.target(line.target)?.indicators.first(where: { $0.id == line.indicator }) else {
            return "—"
        }
        return i.measure.format(p)
    }

    /// A terminal table: one line per indicator, with its state in words.
    public func table(plan: Plan) -> String {
        var out = "Các chỉ tiêu năm \(year) — \(plan.title)\n\n"
        for line in lines {
            let who = line.suppliers.isEmpty ? "từ hồ sơ hoàn thành" : "số liệu: " + line.suppliers.map(\.rawValue).joined(separator: ", ")
            out += "\(line.target) \(line.label)\n"
            out += "  Kết quả: \(line.valueText) | Mục tiêu: \(line.goalText)\(line.by.map { " vào năm \($0)" } ?? " hằng năm")"
            out += " | Lộ trình: \(pathText(line, plan)) | \(line.stateLabel)\n"
            out += "  \(who)\(line.baseline == nil ? "; chưa có số liệu ban đầu (văn bản không nêu)" : "")"
            out += line.note.map { "; \($0)" } ?? ""
            out += "\n"
        }
        return out
    }

    /// CSV (UTF-8 with BOM, CRLF), every text cell through `CSVCell`.
    public func csv(plan: Plan) -> String {
        var rows: [[CSVCell]] = [["chi_tieu", "chi_so", "noi_dung", "don_vi_cung_cap", "tu_so", "mau_so", "ket_qua",
                                  "muc_tieu", "nam_dat", "lo_trinh", "trang_thai", "ma_trang_thai", "ghi_chu"].map(CSVCell.text)]
        func number(_ v: Double?) -> CSVCell { .number(v.map(IndicatorMeasure.decimal) ?? "") }
        for l in lines {
            rows.append([.text(l.target.rawValue), .text(l.indicator), .text(l.label), .text(l.suppliers.map(\.rawValue).joined(separator: " ")),
                         number(l.numerator), number(l.denominator), .text(l.valueText), .text(l.goalText),
                         .number(l.by.map(String.init) ?? ""), .text(pathText(l, plan)), .text(l.stateLabel),
                         .text(l.state.rawValue), .text(l.note ?? "")])
        }
        return CSVCell.document(rows)
    }
}
