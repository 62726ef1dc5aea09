import Foundation
import ICal

extension ComplianceReport.Quarter.State {
    /// Vietnamese label, for a quarter.
    public var label: String { label(.quarter) }

    /// Vietnamese label, for a quarter or a month.
    public func label(_ period: TrackingRule.NewsPeriod) -> String {
        switch self {
        case .met: return "Đạt"
        case .late: return "Trễ (đăng sau khi hết \(period.word))"
        case .missed: return "Không đạt"
        case .open: return "Đang trong \(period.word)"
        case .future: return "Chưa đến"
        case .beforeTracking: return "Trước khi theo dõi"
        }
    }
}

extension ComplianceReport.Dissemination.State {
    /// Vietnamese label.
    public var label: String {
        switch self {
        case .met: return "Đạt"
        case .open: return "Chưa đạt"
        case .missed: return "Không đạt"
        case .future: return "Chưa đến"
        case .beforeTracking: return "Trước khi theo dõi"
        }
    }
}

extension ComplianceReport.Quarter {
    /// True when the quarter is judged: it has begun and ended after tracking started.
    public var isJudged: Bool { state != .future && state != .beforeTracking }
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
        let t = plan.tracking
        out.append("BÁO CÁO TIẾN ĐỘ — \(t.subject.uppercased()) — \(plan.issuer.uppercased())")
        out.append("Ngày báo cáo: \(ComplianceReport.day(today)); năm: \(year)")
        if let from = plan.trackingFrom {
            out.append("Theo dõi từ ngày \(from.vietnamese): việc có hạn trước ngày này không tính vào tỷ lệ.")
        }
        out.append("")
        for track in news {
            out += newsLines(track, heading: plan.target(track.target)?.heading ?? track.target.rawValue)
        }
        for d in disseminations {
            out += disseminationLines(d, heading: "\(plan.target(d.target)?.heading ?? d.target.rawValue) năm \(d.year)")
        }
        for reach in reaches {
            out += reachLines(reach, heading: plan.target(reach.target)?.heading ?? reach.target.rawValue)
        }
        out.append("Các đơn vị năm \(year): báo cáo năm và tỷ lệ đúng hạn")
        for u in units {
            let report = u.annualReport?.label ?? "—"
            let rate = u.onTimeRate.map { Vietnamese.percent($0) } ?? "—"
            let waived = u.waived > 0 ? "; không áp dụng: \(u.waived)" : ""
            if u.requested {
                out.append("  \(ComplianceReport.pad(u.name, 42)) báo cáo: \(ComplianceReport.pad(report, 20)) đề nghị: đã ghi nhận \(u.onTime + u.late)/\(u.due); chưa ghi nhận: \(u.pending)\(waived) (không tính tỷ lệ đúng hạn)")
                continue
            }
            out.append("  \(ComplianceReport.pad(u.name, 42)) báo cáo: \(ComplianceReport.pad(report, 20)) đúng hạn: \(u.onTime)/\(u.due) (\(rate)); trễ: \(u.late); quá hạn: \(u.overdue)\(waived)")
        }
        if !waived.isEmpty {
            out.append("")
            out.append("Không áp dụng năm \(year) (do đơn vị chủ trì xác định):")
            for w in waived {
                out.append("  - \(w.title): \(w.reason) (\(ComplianceReport.day(w.on)), \(w.by))")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func newsLines(_ track: NewsTrack, heading: String) -> [String] {
        var out = [heading]
        let quarters = track.periods, word = track.period.word
        let width = quarters.map(\.label.count).max().map { max($0, 12) } ?? 12
        for q in quarters {
            var line = "  \(ComplianceReport.pad(q.label, width)) \(ComplianceReport.pad(q.state.label(track.period), 16))"
            let links = q.items.map { item in
                (item.url ?? item.note.map { "“\($0)”" } ?? "(không có đường dẫn)") + " (\(ComplianceReport.day(item.date)))"
            }
            if !links.isEmpty { line += " " + links.joined(separator: "; ") }
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        let judged = quarters.filter(\.isJudged)
        let met = judged.filter { $0.state == .met }.count
        let ended = judged.filter { $0.ends < today }
        let metEnded = ended.filter { $0.state == .met }.count
        var summary = judged.isEmpty ? "  Chưa có \(word) nào để tính."
            : "  Đạt \(met)/\(judged.count) \(word); trong các \(word) đã kết thúc: \(metEnded)/\(ended.count)."
        let untracked = quarters.filter { $0.state == .beforeTracking }.count
        if untracked > 0 { summary += " \(untracked) \(word) trước khi theo dõi không tính." }
        out.append(summary)
        out.append("")
        return out
    }

    private func disseminationLines(_ d: Dissemination, heading: String) -> [String] {
        var out = [heading]
        out.append("  Đã phổ biến: \(d.informed)/\(d.total) tổ chức (\(Vietnamese.percent(d.share))) — \(d.state.label)")
        for o in d.organisations {
            let state = o.informedOn.map { "đã phổ biến ngày \(ComplianceReport.day($0))" } ?? "CHƯA phổ biến"
            out.append("  - \(ComplianceReport.pad(o.name, 42)) \(state)")
        }
        if !d.notCounted.isEmpty {
            out.append("  Không tính vào chỉ tiêu này (theo kế hoạch): \(d.notCounted.joined(separator: "; "))")
        }
        out.append("")
        return out
    }

    private func reachLines(_ reach: Reach, heading: String) -> [String] {
        var out = [heading]
        let to = reach.asOf == today ? "" : " đến \(ComplianceReport.day(reach.asOf))"
        out.append("  Số lượt người dân được tiếp cận (cộng dồn\(to)): \(Vietnamese.number(reach.reached))")
        if let pop = reach.population, let share = reach.share {
            out.append("  Dân số: \(Vietnamese.number(pop)); tỷ lệ: \(Vietnamese.percent(share)); lộ trình\(to.isEmpty ? " đến hôm nay" : to): \(Vietnamese.percent(reach.path)); mục tiêu: \(Vietnamese.percent(reach.goal))")
            out.append("  \(reach.onTrack == true ? "Đúng lộ trình" : "Chậm so với lộ trình")")
        } else {
            out.append("  Chưa tính được tỷ lệ: kế hoạch chưa có dân số của phường (plan.population). Lộ trình\(to.isEmpty ? " đến hôm nay" : to): \(Vietnamese.percent(reach.path)).")
        }
        out.append("")
        return out
    }

    /// CSV (UTF-8 with a byte-order mark, so spreadsheets keep the diacritics), one row per fact.
    /// Text cells that a spreadsheet would run as formulas are neutralised (`CSVCell`).
    public func csv(plan: Plan) -> String {
        let day = ComplianceReport.day
        var rows: [[CSVCell]] = [["chi_tieu", "ky", "doi_tuong", "trang_thai", "ma_trang_thai", "gia_tri", "ngay", "minh_chung",
                                  "ghi_chu"].map(CSVCell.text)]
        func row(_ cells: [CSVCell]) { rows.append(cells) }
        let t = plan.tracking
        for track in news {
            let news = track.target.rawValue
            for q in track.periods {
                let state = q.state.label(track.period)
                if q.items.isEmpty {
                    row([.text(news), .text(q.label), .text(""), .text(state), .text(q.state.rawValue), .number("0"), .text(""), .text(""), .text("")])
                }
                // An item counts (1) only where it meets the period: a late period lists the item
                // that came after it with 0, since it counts for the period it was published in.
                for item in q.items {
                    row([.text(news), .text(q.label), .text(plan.name(of: item.unit)), .text(state),
                         .text(q.state.rawValue), .number(q.state == .met ? "1" : "0"), .text(day(item.date)),
                         .text(item.url ?? ""), .text(item.url == nil ? item.note ?? "" : "")])
                }
            }
        }
        for d in disseminations {
            for o in d.organisations {
                row([.text(d.target.rawValue), .text("năm \(year)"), .text(o.name),
                     .text(o.informedOn == nil ? "Chưa phổ biến" : "Đã phổ biến"), .text(o.informedOn == nil ? "missing" : "informed"),
                     .number(o.informedOn == nil ? "0" : "1"), .text(o.informedOn.map(day) ?? ""), .text(""), .text("")])
            }
            row([.text(d.target.rawValue), .text("năm \(year)"), .text("Tổng số tổ chức được phổ biến"),
                 .text(d.state.label), .text(d.state.rawValue), .number(Vietnamese.percent(d.share)), .text(""), .text(""),
                 .text("\(d.informed)/\(d.total) tổ chức")])
        }
        for reach in reaches {
            let target = reach.target.rawValue
            let track: (String, String) = reach.onTrack.map { $0 ? ("Đúng lộ trình", "on-track") : ("Chậm so với lộ trình", "behind") }
                ?? ("Chưa có dân số trong kế hoạch", "no-population")
            row([.text(target), .text("đến \(day(reach.asOf))"), .text("Số lượt người dân được tiếp cận (cộng dồn)"), .text(track.0),
                 .text(track.1), .number(String(reach.reached)), .text(day(reach.asOf)), .text(""), .text("")])
        }
        // Each annual report: its own state, the day it was done, its due day (and a waiver's reason).
        for u in units where t.annualReport != nil {
            guard let state = u.annualReport else { continue }
            var note = u.annualReportDue.map { "hạn \(day($0))" } ?? ""
            if let why = u.annualReportWaiver { note += "; không áp dụng: \(why)" }
            row([.text(t.annualReport ?? ""), .text("năm \(year)"), .text(u.name), .text(state.label), .text(state.rawValue),
                 .number(state.isDone ? "1" : "0"), .text(u.annualReportOn.map(day) ?? ""), .text(""), .text(note)])
        }
        // The rate as a Vietnamese percentage ("14,3%"): a spreadsheet set to Vietnamese reads
        // it as a number, where "0.143" would be taken for 143.
        for u in units {
            var counts = "đúng hạn \(u.onTime)/\(u.due); trễ \(u.late); quá hạn \(u.overdue)"
                + (u.waived > 0 ? "; không áp dụng \(u.waived)" : "")
            if u.requested {
                counts = "đề nghị (không tính tỷ lệ): đã ghi nhận \(u.onTime + u.late)/\(u.due); chưa ghi nhận \(u.pending)"
                    + (u.waived > 0 ? "; không áp dụng \(u.waived)" : "")
            }
            let (label, code) = u.requested ? ("Đề nghị, không tính tỷ lệ", "requested")
                : u.onTimeRate == nil ? ("Chưa có việc đến hạn", "none-due") : ("Tỷ lệ đúng hạn", "on-time-rate")
            row([.text("ty-le-dung-han"), .text("năm \(year)"), .text(u.name), .text(label),
                 .text(code), u.onTimeRate.map { .number(Vietnamese.percent($0)) } ?? .text(""),
                 .text(""), .text(""), .text(counts)])
        }
        for w in waived {
            row([.text("khong-ap-dung"), .text("năm \(year)"), .text(plan.name(of: w.unit)), .text("Không áp dụng"),
                 .text("waived"), .text(""), .text(day(w.on)), .text(""), .text("\(w.title): \(w.reason) (\(w.by))")])
        }
        return CSVCell.document(rows)
    }
}
