import Foundation

/// Reading how targets are tracked: a target's own `tracking: { rule: … }`, and the plan's
/// `tracking:` section (the subject, the annual report, and the older one-role-per-key form).
extension PlanBuilder {
    /// A target's `tracking:` map, e.g. `{ rule: share_reached, goal: 0.8, by: 2030 }`.
    /// `period` is the plan's years (nil when its header failed: `by` is then not checked).
    func readTargetTracking(_ m: inout YAMLMap, period: ClosedRange<Int>?, figures: [TargetFigure]) throws -> TrackingRule? {
        guard m.has("tracking") else { return nil }
        var t = try m.map("tracking")
        let name = try t.string("rule")
        let rule: TrackingRule
        switch name {
        case "per_quarter_with_evidence": rule = .newsEvery(.quarter)
        case "per_month_with_evidence": rule = .newsEvery(.month)
        case "every_organisation_yearly": rule = .everyOrganisationYearly
        case "figures":
            guard !figures.isEmpty else {
                throw t.error("rule", "rule: figures cần mục figures: của chỉ tiêu (các số liệu đơn vị cung cấp)")
            }
            rule = .figures
        case "share_reached":
            let goal = try PlanBuilder.share(&t, "goal", required: true) ?? 1
            let by = try t.optionalInt("by", range: 1900...9999) ?? period?.upperBound ?? 9999
            if let period, !period.contains(by) {
                throw t.error("by", "năm \(by) nằm ngoài thời gian của kế hoạch (\(period.lowerBound)–\(period.upperBound))")
            }
            rule = .shareReached(goal: goal, by: by)
        default:
            throw t.error("rule", "không có quy tắc theo dõi \"\(name)\" (các quy tắc: \(TrackingRule.names.joined(separator: ", ")))")
        }
        if case .shareReached = rule {
            try t.rejectUnknown(allowed: ["rule", "goal", "by", "notes"])
        } else {
            try t.rejectUnknown(allowed: ["rule", "notes"])
        }
        return rule
    }

    /// A share in (0, 1], e.g. `0.8` for 80%.
    static func share(_ m: inout YAMLMap, _ key: String, required: Bool) throws -> Double? {
        guard let text = try m.optionalString(key) else {
            if required { throw m.missing(key) }
            return nil
        }
        guard let g = Double(text), g > 0, g <= 1 else {
            throw m.error(key, "cần một tỷ lệ lớn hơn 0 và không quá 1 (ví dụ 0.8 cho 80%), nhưng gặp \"\(text)\"")
        }
        return g
    }

    /// The `tracking:` section: the plan's subject, its annual report and, in the older form,
    /// one target per role (`news_target`, `dissemination_target`, `reach_target` with
    /// `reach_goal`), read as those targets' rules. A target's rule is given once, either way.
    func readTracking(_ m: inout YAMLMap, targets: [PlanTarget], obligations: [Obligation],
                      checkReferences: Bool, lastYear: Int?) throws -> Tracking {
        var legacy: [TargetID: TrackingRule] = [:]
        func role(_ key: String, _ rule: TrackingRule) throws {
            guard let text = try m.optionalString(key) else { return }
            guard let target = targets.first(where: { $0.id.rawValue == text }) else {
                if checkReferences {
                    throw m.error(key, "không có chỉ tiêu \"\(text)\" (các chỉ tiêu: \(targets.map(\.id.rawValue).joined(separator: ", ")))")
                }
                return
            }
            let id = target.id
            if target.tracking != nil {
                throw m.error(key, "chỉ tiêu \(id) đã có tracking: riêng ở mục targets:; chỉ ghi cách theo dõi một lần")
            }
            if legacy[id] != nil {
                throw m.error(key, "chỉ tiêu \(id) đã được giao một vai trò khác trong tracking:")
            }
            legacy[id] = rule
        }
        let subject = try m.string("subject")
        try role("news_target", .newsEvery(.quarter))
        try role("dissemination_target", .everyOrganisationYearly)
        let goal = try PlanBuilder.share(&m, "reach_goal", required: false)
        try role("reach_target", .shareReached(goal: goal ?? 1, by: lastYear ?? 9999))
        if goal != nil, !m.has("reach_target") {
            throw m.error("reach_goal", "reach_goal chỉ dùng cùng reach_target")
        }
        let report = try m.optionalString("annual_report")
        if let report, checkReferences, !obligations.contains(where: { $0.id == report && $0.forEach != nil }) {
            let perUnit = obligations.filter { $0.forEach != nil }.map(\.id)
            throw m.error("annual_report", "không có nhiệm vụ theo từng đơn vị (for_each) có mã \"\(report)\" (các nhiệm vụ như vậy: \(perUnit.joined(separator: ", ")))")
        }
        try m.rejectUnknown(allowed: ["subject", "news_target", "dissemination_target", "reach_target", "reach_goal",
                                      "annual_report", "notes"])
        return Tracking(subject: subject, targets: PlanBuilder.trackedTargets(targets, legacy: legacy), annualReport: report)
    }

    /// Every tracked target in the file's order: its own rule, else the one the older form gave it.
    static func trackedTargets(_ targets: [PlanTarget], legacy: [TargetID: TrackingRule] = [:]) -> [TrackedTarget] {
        targets.compactMap { t in (t.tracking ?? legacy[t.id]).map { TrackedTarget(target: t.id, rule: $0) } }
    }
}

/// Reading an obligation's `fulfilled_by:`: what else fulfils its occurrences.
extension PlanBuilder {
    func readFulfilledBy(_ m: inout YAMLMap, id: String, figures: [FigureRef]) throws -> [Fulfilment] {
        let entries = try m.strings("fulfilled_by")
        var out: [Fulfilment] = []
        for text in entries {
            let f = Fulfilment(text)
            guard !out.contains(f) else { throw m.error("fulfilled_by", "\"\(text)\" được ghi hai lần") }
            if f == .figures, figures.isEmpty {
                throw m.error("fulfilled_by", "figures cần mục figures: của nhiệm vụ (các số liệu mà việc này báo cáo)")
            }
            if f == .occurrence(id) {
                throw m.error("fulfilled_by", "nhiệm vụ không thể được hoàn thành bởi chính nó (\"\(id)\")")
            }
            out.append(f)
        }
        return out
    }

    /// An obligation named in `fulfilled_by:` must exist (checked once all are read; not when
    /// one failed to load, whose id may be the one named).
    func checkFulfilmentReferences(_ obligations: [Obligation], places: [String: (line: Int?, field: String)],
                                   complete: Bool) -> [PlanIssue] {
        guard complete else { return [] }
        let ids = Set(obligations.map(\.id))
        var issues: [PlanIssue] = []
        for o in obligations {
            for case .occurrence(let other) in o.fulfilledBy where !ids.contains(other) {
                let at = places[o.id]
                issues.append(PlanIssue(
                    file: file, line: at?.line, field: at?.field,
                    message: "không có nhiệm vụ \"\(other)\" (fulfilled_by nhận \(Fulfilment.keywords.joined(separator: ", ")) hoặc mã một nhiệm vụ khác; các nhiệm vụ: \(obligations.map(\.id).joined(separator: ", ")))"))
            }
        }
        return issues
    }
}

/// Reading how a report is numbered and sent (`report_number_suffix`, `report_recipients`), in
/// the plan's header (the issuer's report) and on a unit (its own).
extension PlanBuilder {
    func readReportForm(_ m: inout YAMLMap) throws -> ReportForm {
        var form = ReportForm()
        if let suffix = try m.optionalString("report_number_suffix") {
            // Decree 30: the abbreviation of the issuing body, capitals (Vietnamese ones too), digits and '-'.
            guard (1...20).contains(suffix.count),
                  suffix.allSatisfy({ $0.isNumber || $0 == "-" || ($0.isLetter && $0.isUppercase) }) else {
                throw m.error("report_number_suffix",
                              "\"\(suffix)\" không phải là chữ viết tắt tên cơ quan ban hành (chữ in hoa, chữ số, '-'; tối đa 20 ký tự), ví dụ VHXH")
            }
            form.numberSuffix = suffix
        }
        if m.has("report_recipients") {
            let lines = try m.strings("report_recipients")
            guard !lines.isEmpty else { throw m.error("report_recipients", "cần ít nhất một nơi nhận, ví dụ \"- Lưu: VT.\"") }
            for line in lines where line.count > 200 || !Validation.isPrintable(line) {
                throw m.error("report_recipients", "\"\(line.prefix(60))\" không phải là một dòng nơi nhận (tối đa 200 ký tự, không có ký tự điều khiển)")
            }
            form.recipients = lines.map { $0.hasPrefix("-") ? $0 : "- " + $0 }
        }
        return form
    }
}
