public import ICal

// The annual reports laid out as documents (Decree 30/2020/NĐ-CP). Every name, section and
// date comes from the plan and the records; the wording is the offices' usual one.

extension ReportDocument {
    /// How a People's Committee's name may begin (both spellings of "Ủy", and the abbreviation).
    static let committeePrefixes = ["Ủy ban nhân dân", "Uỷ ban nhân dân", "UBND"]

    /// The issuer without the committee's prefix (`phường Bạch Đằng`), or nil when it is not a committee.
    static func committeePlace(_ issuer: String) -> Substring? {
        for prefix in committeePrefixes where issuer.lowercased().hasPrefix(prefix.lowercased() + " ") {
            return issuer.dropFirst(prefix.count + 1)
        }
        return nil
    }

    /// `Ủy ban nhân dân …` as offices abbreviate it on the line above a unit's name.
    static func abbreviated(_ issuer: String) -> String { committeePlace(issuer).map { "UBND \($0)" } ?? issuer }

    /// True when the issuer is a People's Committee (its reports are numbered …/BC-UBND and signed "TM.").
    static func isCommittee(_ issuer: String) -> Bool { committeePlace(issuer) != nil }

    /// `Bạch Đằng, ngày … tháng … năm 2026`: the plan's `place`, else the committee's area (`Phường Thử`).
    static func placeDate(_ plan: Plan, today: CivilDate) -> String {
        let area = committeePlace(plan.issuer).map { $0.prefix(1).uppercased() + $0.dropFirst() } ?? plan.issuer
        return "\(plan.place ?? area), ngày … tháng … năm \(today.year)"
    }

    static func subtitle(_ plan: Plan, year: Int) -> String { "Kết quả thực hiện \(plan.title) năm \(year)" }

    /// The closing sections, drafted from the records: the obstacles units raised, the proposals
    /// in their reports, next year's tasks from the plan; a line is left for what the data cannot know.
    static func closing(obstacles: [String], proposals: [String] = [], nextYearTasks: [String] = [], from number: Int,
                        nextYear: Int, plan: Plan) -> [Section] {
        let next = nextYear <= plan.end.year ? "PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM \(nextYear)" : "PHƯƠNG HƯỚNG NĂM TỚI"
        let tasks: [Block] = nextYearTasks.isEmpty ? [] : [.paragraph("Tiếp tục thực hiện các nhiệm vụ của kế hoạch năm \(nextYear):")]
            + nextYearTasks.map(Block.item)
        return [
            Section(number: Vietnamese.roman(number), title: "KHÓ KHĂN, VƯỚNG MẮC",
                    blocks: obstacles.map(Block.item) + [.blank], id: "obstacles"),
            Section(number: Vietnamese.roman(number + 1), title: "KIẾN NGHỊ, ĐỀ XUẤT",
                    blocks: proposals.map(Block.item) + [.blank], id: "proposals"),
            Section(number: Vietnamese.roman(number + 2), title: next, blocks: tasks + [.blank], id: "next-year"),
        ]
    }

    static func evidence(_ url: String?, _ note: String?) -> String {
        [url, note].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    static func count(_ n: Int?) -> String { n.map(Vietnamese.number) ?? "" }
}

extension UnitAnnualReport.Activity {
    /// What the record is, in words: `Tin, bài`, `Buổi tuyên truyền, phổ biến`, …
    var kindLabel: String {
        let label = kind.label
        return label.prefix(1).uppercased() + label.dropFirst()
    }

    /// A line for the obstacles section.
    func obstacleLine(_ unitName: String?) -> String {
        (unitName.map { "\($0), " } ?? "") + "ngày \(day.vietnamese): \(note ?? "")"
            + (resolution.map { " — Đã giải quyết ngày \($0.day.vietnamese): \($0.how)" } ?? " — Chưa giải quyết")
    }
}

extension ComplianceReport.UnitLine {
    /// `Hoàn thành đúng hạn (ngày 10/12/2026)`, `Quá hạn (hạn 14/12/2026)`, `Không phải nộp`.
    public var annualReportText: String {
        guard let state = annualReport else { return "Không phải nộp" }
        if let on = annualReportOn.flatMap(CivilDate.init(parsing:)) { return "\(state.label) (ngày \(on.vietnamese))" }
        if let w = annualReportWaiver { return "\(state.label): \(w)" }
        if let due = annualReportDue.flatMap(CivilDate.init(parsing:)) { return "\(state.label) (hạn \(due.vietnamese))" }
        return state.label
    }

    /// `80% (4/5 việc đến hạn; trễ 1; quá hạn 0)`, or `—` when nothing fell due.
    public var onTimeText: String {
        if requested { return "Đề nghị, không tính tỷ lệ" }
        guard let rate = onTimeRate else { return "— (chưa có việc đến hạn)" }
        return "\(Vietnamese.percent(rate)) (\(onTime)/\(due) việc đến hạn; trễ \(late); quá hạn \(overdue))"
    }
}

extension ComplianceReport.Reach {
    /// The G6.T1 sentence of the reports: reached so far, and the share against the path when the
    /// population is known.
    public var summary: String {
        let day = CivilDate(parsing: asOf)?.vietnamese ?? asOf
        var text = "Số lượt người dân được tiếp cận (cộng dồn đến \(day)): \(Vietnamese.number(reached))."
        if let pop = population, let share {
            text += " Dân số: \(Vietnamese.number(pop)); tỷ lệ: \(Vietnamese.percent(share)); lộ trình: \(Vietnamese.percent(path)) — \(onTrack == true ? "đúng lộ trình" : "chậm so với lộ trình")."
        } else {
            text += " Chưa tính được tỷ lệ: kế hoạch chưa có dân số của phường. Lộ trình: \(Vietnamese.percent(path))."
        }
        return text
    }
}

extension UnitAnnualReport {
    /// The unit's report as a document.
    public func document(plan: Plan) -> ReportDocument {
        typealias Doc = ReportDocument
        var results: [Doc.Block] = [.heading("1. Các nhiệm vụ đã hoàn thành")]
        if completions.isEmpty {
            results.append(.paragraph("Chưa ghi nhận nhiệm vụ nào hoàn thành trong năm \(year)."))
        } else {
            results.append(.table(Doc.Table(
                columns: ["STT", "Nhiệm vụ", "Căn cứ", "Hạn", "Ngày hoàn thành", "Kết quả, minh chứng"],
                widths: [8, 32, 12, 12, 12, 24],
                rows: completions.enumerated().map { i, c in
                    var result = Doc.evidence(c.evidence, c.note)
                    if let r = c.reached { result += (result.isEmpty ? "" : "; ") + "tiếp cận \(Vietnamese.number(r)) người" }
                    if !c.isOwn { result = "Phần tham gia" + (result.isEmpty ? "" : ": ") + result }
                    return ["\(i + 1)", c.title, c.section, c.due.vietnamese,
                            c.doneOn.vietnamese + (c.isOwn && c.doneOn > c.due ? " (trễ hạn)" : ""), result]
                })))
        }
        results.append(.heading("2. Tin, bài, tuyên truyền, phổ biến và tập huấn đã ghi nhận"))
        if activities.isEmpty {
            results.append(.paragraph("Chưa ghi nhận hoạt động nào trong năm \(year)."))
        } else {
            results.append(.table(Doc.Table(
                columns: ["STT", "Hoạt động", "Ngày", "Nội dung, minh chứng", "Số người được tiếp cận", "Số người tham dự"],
                widths: [8, 18, 12, 38, 12, 12],
                rows: activities.enumerated().map { i, a in
                    var what = Doc.evidence(a.evidence, a.note)
                    if !a.organisations.isEmpty { what += (what.isEmpty ? "" : "; ") + "tổ chức được phổ biến: " + a.organisations.joined(separator: ", ") }
                    return ["\(i + 1)", a.kindLabel, a.day.vietnamese, what, Doc.count(a.reached), Doc.count(a.participants)]
                })))
        }
        results.append(.heading("3. Tham gia các hoạt động theo đợt"))
        results += campaigns.isEmpty ? [Doc.Block.paragraph("Không có hoạt động theo đợt trong năm \(year).")]
            : campaigns.map { Doc.Block.item("\($0.title) (đến ngày \($0.due.vietnamese)): \($0.state.label)") }
        results.append(.heading("4. Số liệu đơn vị cung cấp"))
        if figures.isEmpty {
            results.append(.paragraph("Đơn vị không được giao cung cấp số liệu chỉ tiêu."))
        } else {
            results.append(.table(Doc.Table(
                columns: ["STT", "Chỉ tiêu", "Số liệu", "Năm \(year)"], widths: [8, 14, 58, 20],
                rows: figures.enumerated().map { i, f in
                    ["\(i + 1)", f.target.rawValue, f.label, f.value.map(IndicatorMeasure.decimal) ?? "chưa có số liệu"]
                })))
        }
        results.append(.heading("5. Đánh giá chung"))
        results.append(.paragraph("Tổng số lượt người dân được tiếp cận: \(Vietnamese.number(reached))."))
        if let line { results.append(.paragraph("Tỷ lệ hoàn thành đúng hạn: \(line.onTimeText).")) }

        let openBlocks: [Doc.Block] = open.isEmpty ? [.paragraph("Không có nhiệm vụ nào còn tồn đọng.")]
            : [.table(Doc.Table(columns: ["STT", "Nhiệm vụ", "Hạn", "Tình trạng"], widths: [8, 56, 16, 20],
                                rows: open.enumerated().map { i, o in ["\(i + 1)", o.title, o.due.vietnamese, o.state.label] }))]
        let lead = plan.leadUnit
        return ReportDocument(
            superior: Doc.abbreviated(plan.issuer).uppercased(), issuer: unitName.uppercased(),
            number: (plan.unit(unitID)?.reportForm ?? ReportForm()).number(),
            placeDate: Doc.placeDate(plan, today: today), title: "BÁO CÁO", subtitle: Doc.subtitle(plan, year: year),
            recipient: "Kính gửi: \(plan.issuer)" + (lead.map { $0.id == unitID ? "" : " (qua \($0.name))" } ?? ""),
            intro: ["Thực hiện \(plan.title), \(unitName) báo cáo kết quả thực hiện năm \(year) (số liệu ghi nhận đến ngày \(today.vietnamese)) như sau:"],
            sections: [
                .init(number: "I", title: "KẾT QUẢ THỰC HIỆN", blocks: results, id: "results"),
                .init(number: "II", title: "NHIỆM VỤ CHƯA HOÀN THÀNH", blocks: openBlocks, id: "open"),
            ] + Doc.closing(obstacles: obstacles.map { $0.obstacleLine(nil) }, nextYearTasks: nextYearTasks, from: 3,
                            nextYear: year + 1, plan: plan),
            recipients: plan.unit(unitID)?.reportForm.recipients ?? ["- Như trên;", "- Lưu: VT."],
            signature: ["THỦ TRƯỞNG ĐƠN VỊ"], signatureNote: "(Ký, ghi rõ họ tên)",
            fileStem: "bao-cao-nam-\(year)-\(plan.id)-\(unitID)")
    }
}

extension WardAnnualReport {
    /// The ward's report as a document.
    public func document(plan: Plan) -> ReportDocument {
        typealias Doc = ReportDocument
        var results: [Doc.Block] = [.heading("1. Kết quả của các đơn vị")]
        results.append(.table(Doc.Table(
            columns: ["STT", "Đơn vị", "Nhiệm vụ hoàn thành", "Tin, bài, tuyên truyền, tập huấn", "Người dân được tiếp cận",
                      "Tỷ lệ đúng hạn", "Báo cáo năm"],
            widths: [8, 20, 11, 13, 11, 17, 20],
            rows: units.enumerated().map { i, u in
                ["\(i + 1)", u.unitName, "\(u.completions.filter(\.isOwn).count)", "\(u.activityCount)", Vietnamese.number(u.reached),
                 u.line?.onTimeText ?? "—", u.line?.annualReportText ?? "Không phải nộp"]
            })))
        results.append(.heading("2. Tình hình gửi báo cáo năm \(year)"))
        let due = compliance.units.compactMap(\.annualReportDue).first.flatMap(CivilDate.init(parsing:))
        let names = { (lines: [ComplianceReport.UnitLine]) in lines.isEmpty ? "không có" : lines.map(\.name).joined(separator: "; ") }
        results.append(.paragraph("Gửi đúng hạn\(due.map { " (hạn \($0.vietnamese))" } ?? ""): \(reportsOnTime.count) đơn vị: \(names(reportsOnTime))."))
        results.append(.paragraph("Chưa gửi hoặc gửi trễ hạn: \(reportsNotOnTime.count) đơn vị" + (reportsNotOnTime.isEmpty ? "." : ":")))
        results += reportsNotOnTime.map { .item("\($0.name): \($0.annualReportText)") }
        if !requestsNotOnTime.isEmpty {
            results.append(.paragraph("Đơn vị được đề nghị báo cáo, chưa nhận được đúng hạn: \(requestsNotOnTime.count) đơn vị:"))
            results += requestsNotOnTime.map { .item("\($0.name): \($0.annualReportText)") }
        }
        if !reported.isEmpty {
            results.append(.paragraph("Nội dung các đơn vị đã báo cáo:"))
            results += reported.map(Doc.Block.item)
        }
        // The year's activities written out, each with its day, organiser, reach and link.
        results.append(.heading("3. Các hoạt động đã thực hiện trong năm \(year)"))
        let sentences = activitySentences
        results += sentences.isEmpty ? [.paragraph("Chưa có hoạt động nào được ghi nhận trong năm.")] : sentences.map(Doc.Block.item)
        if !possibleDoubleCounts.isEmpty {
            results.append(.paragraph("Lưu ý về số người được tiếp cận (có thể một sự kiện được ghi hai lần):"))
            results += possibleDoubleCounts.map(Doc.Block.item)
        }

        var tracked: [Doc.Block] = []
        var n = 0
        let day = { (iso: String) in CivilDate(parsing: iso)?.vietnamese ?? iso }
        for track in compliance.news {
            n += 1
            tracked.append(.heading("\(n). \(plan.target(track.target)?.heading ?? track.target.rawValue)"))
            tracked.append(.table(Doc.Table(
                columns: [track.period == .quarter ? "Quý" : "Tháng", "Tình trạng", "Tin, bài"], widths: [18, 18, 64],
                rows: track.periods.map { q in
                    [q.label, q.state.label(track.period),
                     q.items.isEmpty ? "—" : q.items.map { "ngày \(day($0.date)): \($0.evidence ?? "")" }.joined(separator: "\n")]
                })))
            let judged = track.periods.filter(\.isJudged)
            tracked.append(.paragraph("Đạt \(judged.filter { $0.state == .met }.count)/\(judged.count) \(track.period.word) được theo dõi."))
        }
        for d in compliance.disseminations {
            n += 1
            tracked.append(.heading("\(n). \(plan.target(d.target)?.heading ?? d.target.rawValue)"))
            tracked.append(.paragraph("Năm \(d.year): \(d.informed)/\(d.total) tổ chức được phổ biến (\(Vietnamese.percent(d.share))) — \(d.state.label)."))
            tracked.append(.table(Doc.Table(
                columns: ["STT", "Tổ chức", "Ngày được phổ biến"], widths: [8, 62, 30],
                rows: d.organisations.enumerated().map { i, o in ["\(i + 1)", o.name, o.informedOn.map(day) ?? "chưa phổ biến"] })))
            if !d.notCounted.isEmpty {
                tracked.append(.paragraph("Không tính vào chỉ tiêu này (theo kế hoạch): \(d.notCounted.joined(separator: "; "))."))
            }
        }
        for r in compliance.reaches {
            n += 1
            tracked.append(.heading("\(n). \(plan.target(r.target)?.heading ?? r.target.rawValue)"))
            tracked.append(.paragraph(r.summary))
        }
        let trackedSections = plan.tracking.targets.filter(\.rule.countsRecords).compactMap { plan.target($0.target)?.section }
        let sectionRef = Array(Set(trackedSections)).sorted().joined(separator: ", ")

        let indicatorTable = Doc.Table(
            columns: ["Chỉ tiêu", "Nội dung", "Kết quả năm \(year)", "Mục tiêu", "Lộ trình", "Tình trạng"],
            widths: [9, 37, 14, 16, 10, 14],
            rows: indicators.lines.map { l in
                [l.target.rawValue, l.label, l.valueText, l.goalText + (l.by.map { " vào năm \($0)" } ?? " hằng năm"),
                 indicators.pathText(l, plan), l.stateLabel]
            })

        var sections: [Doc.Section] = [.init(number: "I", title: "KẾT QUẢ THỰC HIỆN CỦA CÁC ĐƠN VỊ", blocks: results, id: "units")]
        if !tracked.isEmpty {
            sections.append(.init(number: Vietnamese.roman(sections.count + 1),
                                  title: "CÁC CHỈ TIÊU THEO DÕI THƯỜNG XUYÊN" + (sectionRef.isEmpty ? "" : " (MỤC \(sectionRef))"),
                                  blocks: tracked, id: "tracked"))
        }
        sections.append(.init(number: Vietnamese.roman(sections.count + 1), title: "CÁC CHỈ TIÊU CỦA KẾ HOẠCH",
                              blocks: indicatorTable.rows.isEmpty ? [.paragraph("Kế hoạch chưa nêu cách đo các chỉ tiêu (targets[].indicators).")]
                                  : [.table(indicatorTable)], id: "indicators"))
        sections += Doc.closing(obstacles: obstacles.map { $0.obstacleLine(plan.name(of: $0.unit)) }, proposals: proposals,
                                nextYearTasks: nextYearTasks, from: sections.count + 1,
                                nextYear: year + 1, plan: plan)
        let committee = Doc.isCommittee(plan.issuer)
        return ReportDocument(
            superior: nil, issuer: plan.issuer.uppercased(), number: plan.reportForm.number(fallback: committee ? "UBND" : nil),
            placeDate: Doc.placeDate(plan, today: today), title: "BÁO CÁO", subtitle: Doc.subtitle(plan, year: year),
            recipient: plan.reportsTo.map { "Kính gửi: \($0)" },
            intro: ["Thực hiện \(plan.title), \(plan.issuer) báo cáo kết quả thực hiện năm \(year) (tổng hợp từ báo cáo và số liệu các đơn vị ghi nhận đến ngày \(today.vietnamese)) như sau:"],
            sections: sections,
            recipients: plan.reportForm.recipients
                ?? (plan.reportsTo == nil ? [] : ["- Như trên;"]) + (plan.leadUnit.map { ["- \($0.name);"] } ?? []) + ["- Lưu: VT."],
            signature: committee ? ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] : ["THỦ TRƯỞNG CƠ QUAN"],
            signatureNote: "(Ký, ghi rõ họ tên, đóng dấu)", fileStem: "bao-cao-nam-\(year)-\(plan.id)")
    }
}
