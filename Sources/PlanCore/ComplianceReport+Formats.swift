import Foundation
import ICal

extension ComplianceReport.Quarter.State {
    /// Vietnamese label.
    public var label: String {
        switch self {
        case .met: return "Đạt"
        case .late: return "Trễ (đăng sau khi hết quý)"
        case .missed: return "Không đạt"
        case .open: return "Đang trong quý"
        }
    }
}

extension ComplianceReport {
    /// JSON with sorted keys (shape documented in the README).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private static func day(_ iso: String) -> String { CivilDate(parsing: iso)?.vietnamese ?? iso }

    /// A table for a terminal, in Vietnamese.
    public func table(plan: Plan) -> String {
        var out: [String] = []
        out.append("BÁO CÁO TIẾN ĐỘ MỤC TIÊU 6 — \(plan.issuer.uppercased())")
        out.append("Ngày báo cáo: \(ComplianceReport.day(today)); năm: \(year)")
        out.append("")
        out.append("Chỉ tiêu 3 (G6.T3): mỗi quý có 01 tin, bài về bình đẳng giới")
        for q in quarters {
            var line = "  \(ComplianceReport.pad(q.label, 12)) \(ComplianceReport.pad(q.state.label, 16))"
            let links = q.items.map { item in
                (item.url ?? item.note.map { "“\($0)”" } ?? "(không có đường dẫn)") + " (\(ComplianceReport.day(item.date)))"
            }
            if !links.isEmpty { line += " " + links.joined(separator: "; ") }
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        let met = quarters.filter { $0.state == .met }.count
        let ended = quarters.filter { $0.ends < today }
        let metEnded = ended.filter { $0.state == .met }.count
        out.append("  Đạt \(met)/\(quarters.count) quý; trong các quý đã kết thúc: \(metEnded)/\(ended.count).")
        out.append("")
        let d = dissemination
        out.append("Chỉ tiêu 2 (G6.T2): 100% tổ chức được phổ biến, cập nhật thông tin năm \(d.year)")
        out.append("  Đã phổ biến: \(d.informed)/\(d.total) tổ chức (\(Vietnamese.percent(d.share)))\(d.met ? " — Đạt" : " — Chưa đạt")")
        for o in d.organisations {
            let state = o.informedOn.map { "đã phổ biến ngày \(ComplianceReport.day($0))" } ?? "CHƯA phổ biến"
            out.append("  - \(ComplianceReport.pad(o.name, 42)) \(state)")
        }
        if !d.notCounted.isEmpty {
            out.append("  Không tính vào chỉ tiêu này (theo kế hoạch): \(d.notCounted.joined(separator: "; "))")
        }
        out.append("")
        out.append("Chỉ tiêu 1 (G6.T1): 80% người dân được tiếp cận kiến thức cơ bản về bình đẳng giới vào năm 2030")
        out.append("  Số lượt người dân được tiếp cận (cộng dồn): \(Vietnamese.number(reach.reached))")
        if let pop = reach.population, let share = reach.share {
            out.append("  Dân số: \(Vietnamese.number(pop)); tỷ lệ: \(Vietnamese.percent(share)); lộ trình đến hôm nay: \(Vietnamese.percent(reach.path)); mục tiêu: \(Vietnamese.percent(reach.goal))")
            out.append("  \(reach.onTrack == true ? "Đúng lộ trình" : "Chậm so với lộ trình")")
        } else {
            out.append("  Chưa tính được tỷ lệ: kế hoạch chưa có dân số của phường (plan.population). Lộ trình đến hôm nay: \(Vietnamese.percent(reach.path)).")
        }
        out.append("")
        out.append("Các đơn vị năm \(year): báo cáo năm (trước 15/12) và tỷ lệ đúng hạn")
        for u in units {
            let report = u.annualReport?.label ?? "—"
            let rate = u.onTimeRate.map { Vietnamese.percent($0) } ?? "—"
            out.append("  \(ComplianceReport.pad(u.name, 42)) báo cáo: \(ComplianceReport.pad(report, 20)) đúng hạn: \(u.onTime)/\(u.due) (\(rate)); trễ: \(u.late); quá hạn: \(u.overdue)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// CSV (UTF-8 with a byte-order mark, so spreadsheets keep the diacritics), one row per fact.
    /// Text cells are neutralised against formula injection (see `CSV`): notes come from anyone
    /// holding a unit's token.
    public func csv(plan: Plan) -> String {
        let text = CSV.text
        let day = ComplianceReport.day
        var rows: [[CSV.Cell]] = []
        for q in quarters {
            if q.items.isEmpty {
                rows.append([text("G6.T3"), text(q.label), text(""), text(q.state.label), text(q.state.rawValue),
                             CSV.number(0), text(""), text("")])
            }
            // An item counts (1) only where it meets the quarter: a late quarter lists the item
            // that came after it with 0, since it counts for the quarter it was published in.
            for item in q.items {
                rows.append([text("G6.T3"), text(q.label), text(plan.unit(item.unit)?.name ?? item.unit),
                             text(q.state.label), text(q.state.rawValue), CSV.number(q.state == .met ? 1 : 0),
                             text(day(item.date)), text(item.evidence ?? "")])
            }
        }
        for o in dissemination.organisations {
            rows.append([text("G6.T2"), text("năm \(dissemination.year)"), text(o.name),
                         text(o.informedOn == nil ? "Chưa phổ biến" : "Đã phổ biến"),
                         text(o.informedOn == nil ? "missing" : "informed"), CSV.number(o.informedOn == nil ? 0 : 1),
                         text(o.informedOn.map(day) ?? ""), text("")])
        }
        let track: (String, String) = reach.onTrack.map { $0 ? ("Đúng lộ trình", "on-track") : ("Chậm so với lộ trình", "behind") }
            ?? ("Chưa có dân số trong kế hoạch", "no-population")
        rows.append([text("G6.T1"), text("đến \(day(today))"), text("Số lượt người dân được tiếp cận (cộng dồn)"),
                     text(track.0), text(track.1), CSV.number(reach.reached), text(day(today)), text("")])
        for u in units {
            // The rate as a Vietnamese percentage ("14,3%"): a spreadsheet set to Vietnamese reads
            // it as a number, where "0.143" would be taken for 143.
            rows.append([text("annual-report"), text("năm \(year)"), text(u.name), text(u.annualReport?.label ?? ""),
                         text(u.annualReport?.rawValue ?? ""), CSV.number(u.onTimeRate.map { Vietnamese.percent($0) } ?? ""),
                         text(""), text("")])
        }
        return CSV.document(header: ["chi_tieu", "ky", "doi_tuong", "trang_thai", "ma_trang_thai", "gia_tri", "ngay", "minh_chung"],
                            rows: rows)
    }
}
