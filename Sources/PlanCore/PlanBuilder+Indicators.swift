import Foundation

/// Reading a target's `figures:` and `indicators:` (how each target of section II.2 is measured).
extension PlanBuilder {
    /// The figures the units supply for a target, each naming its supplying unit.
    func readFigures(_ m: inout YAMLMap, units: Set<String>) throws -> [TargetFigure] {
        var figures: [TargetFigure] = []
        for var f in try m.maps("figures") {
            let id = try f.string("id")
            guard PlanBuilder.isFigureID(id) else {
                throw f.error("id", "\"\(id)\" không phải là mã số liệu hợp lệ (chữ thường không dấu, chữ số và '-', bắt đầu bằng chữ)")
            }
            guard !figures.contains(where: { $0.id == id }) else {
                throw f.error("id", "mã số liệu \"\(id)\" bị trùng trong chỉ tiêu này")
            }
            let label = try f.string("label")
            let unitText = try f.string("unit")
            guard units.contains(unitText), let unit = UnitID(rawValue: unitText) else {
                throw f.error("unit", "không có đơn vị \"\(unitText)\" (đơn vị cung cấp số liệu phải là một đơn vị ở mục units:, ví dụ cong-an)")
            }
            var kind = TargetFigure.Kind.count
            if let text = try f.optionalString("kind") {
                guard let k = TargetFigure.Kind(rawValue: text) else {
                    throw f.error("kind", "\"\(text)\" không hợp lệ (cần count: số đếm nguyên, hoặc amount: số đo có phần thập phân)")
                }
                kind = k
            }
            let assumption = try f.optionalString("assumption")
            var max: Double?
            if let text = try f.optionalString("max") {
                guard let m = FigureValue.parse(text), m > 0, m <= FigureValue.largest else {
                    throw f.error("max", "\"\(text)\" không hợp lệ (cần một số dương viết đầy đủ, không quá \(IndicatorMeasure.decimal(FigureValue.largest)), ví dụ max: 24)")
                }
                guard kind == .amount || m == m.rounded() else {
                    throw f.error("max", "\"\(text)\" không hợp lệ: số liệu đếm (kind: count) cần max là một số nguyên")
                }
                max = m
            }
            try f.rejectUnknown(allowed: ["id", "label", "unit", "kind", "assumption", "notes", "max"])
            figures.append(TargetFigure(id: id, label: label, unit: unit, kind: kind, assumption: assumption, max: max))
        }
        return figures
    }

    /// The indicators of a target. `period`: the plan's years, when the header could be read.
    func readIndicators(_ m: inout YAMLMap, figures: [TargetFigure], period: ClosedRange<Int>?) throws -> [Indicator] {
        var indicators: [Indicator] = []
        for var i in try m.maps("indicators") {
            let indicator = try readIndicator(&i, figures: figures, period: period)
            guard !indicators.contains(where: { $0.id == indicator.id }) else {
                throw i.error("id", "mã chỉ số \"\(indicator.id)\" bị trùng trong chỉ tiêu này")
            }
            indicators.append(indicator)
        }
        return indicators
    }

    private func readIndicator(_ m: inout YAMLMap, figures: [TargetFigure], period: ClosedRange<Int>?) throws -> Indicator {
        let id = try m.string("id")
        guard PlanBuilder.isFigureID(id) else {
            throw m.error("id", "\"\(id)\" không phải là mã chỉ số hợp lệ (chữ thường không dấu, chữ số và '-', bắt đầu bằng chữ)")
        }
        let label = try m.string("label")

        let measureText = try m.string("measure")
        let measure: IndicatorMeasure
        switch measureText {
        case "share", "ratio":
            if m.has("per") { throw m.error("per", "chỉ dùng per với measure: rate") }
            measure = measureText == "share" ? .share : .ratio
        case "rate":
            guard let per = try m.optionalInt("per", range: 1...10_000_000) else {
                throw m.error("measure", "measure: rate cần trường per (ví dụ per: 100000 cho tỷ lệ trên 100.000)")
            }
            measure = .rate(per: per)
        default:
            throw m.error("measure", "\"\(measureText)\" không hợp lệ (cần share: tỷ lệ phần trăm, ratio: số lần, hoặc rate: trên một số, kèm per)")
        }

        let sourceText = try m.optionalString("source") ?? "figures"
        let numerator = try m.optionalString("numerator")
        let denominator = try m.optionalString("denominator")
        let source: IndicatorSource
        switch sourceText {
        case "figures":
            guard let numerator else {
                throw denominator == nil ? m.missing("numerator")
                    : m.error("denominator", "có mẫu số (denominator) mà thiếu tử số (numerator)")
            }
            guard let denominator else {
                throw m.error("numerator", "có tử số (numerator) mà thiếu mẫu số (denominator)")
            }
            for (key, name) in [("numerator", numerator), ("denominator", denominator)]
            where !figures.contains(where: { $0.id == name }) {
                let known = figures.map(\.id)
                throw m.error(key, "không có số liệu \"\(name)\" trong figures: của chỉ tiêu này"
                              + (known.isEmpty ? " (chỉ tiêu chưa khai báo số liệu nào)" : " (các số liệu: \(known.joined(separator: ", ")))"))
            }
            guard numerator != denominator else {
                throw m.error("denominator", "tử số và mẫu số phải là hai số liệu khác nhau")
            }
            source = .figures(numerator: numerator, denominator: denominator)
        case "records":
            if numerator != nil { throw m.error("numerator", "chỉ số tính từ hồ sơ hoàn thành (source: records) không có tử số") }
            if denominator != nil { throw m.error("denominator", "chỉ số tính từ hồ sơ hoàn thành (source: records) không có mẫu số") }
            source = .records
        default:
            throw m.error("source", "\"\(sourceText)\" không hợp lệ (cần figures: từ số liệu các đơn vị cung cấp, hoặc records: từ hồ sơ hoàn thành)")
        }

        let directionText = try m.string("direction")
        guard let direction = IndicatorDirection(rawValue: directionText) else {
            throw m.error("direction", "\"\(directionText)\" không hợp lệ (cần một trong: \(IndicatorDirection.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard m.has("goal") else { throw m.missing("goal") }
        let goalTexts = try m.strings("goal")
        let goals = try goalTexts.map { text -> Double in
            guard let v = Double(text), v.isFinite, v >= 0 else {
                throw m.error("goal", "cần một số không âm (dấu chấm thập phân, ví dụ 1.4), nhưng gặp \"\(text)\"")
            }
            return v
        }
        let goal: Double
        var goalHigh: Double? = nil
        if direction == .within {
            guard goals.count == 2, goals[0] < goals[1] else {
                throw m.error("goal", "direction: within cần khoảng hai số tăng dần, ví dụ goal: [102, 105]")
            }
            goal = goals[0]
            goalHigh = goals[1]
        } else {
            guard goals.count == 1 else {
                throw m.error("goal", "direction: \(direction.rawValue) cần đúng một số (chỉ within mới dùng khoảng [thấp, cao])")
            }
            goal = goals[0]
        }
        if measure == .share, (goalHigh ?? goal) > 100 {
            throw m.error("goal", "tỷ lệ phần trăm (measure: share) không quá 100, nhưng gặp \(IndicatorMeasure.decimal(goalHigh ?? goal))")
        }

        let years = period ?? 1900...2200
        let byYear = try m.optionalInt("by", range: years)
        let everyYear = try m.bool("every_year", default: false)
        let fromYear = try m.optionalInt("from", range: years)
        switch (byYear, everyYear) {
        case (nil, false):
            throw m.error("by", "cần by: <năm phải đạt> (ví dụ 2030), hoặc every_year: true khi mục tiêu giữ mỗi năm")
        case (.some, true):
            throw m.error("every_year", "chỉ dùng một trong hai: by (năm phải đạt) hoặc every_year: true")
        default: break
        }
        if fromYear != nil, !everyYear { throw m.error("from", "from chỉ dùng cùng every_year: true") }

        // The document gives no baselines; `baseline: null` must be written so the absence is said.
        guard m.has("baseline") else {
            throw m.error("id", "thiếu trường baseline (số liệu ban đầu; ghi baseline: null khi văn bản không nêu)")
        }
        var baseline: IndicatorBaseline? = nil
        if let node = m.node("baseline") {
            var b = try YAMLMap(node, file: m.file, path: YAMLMap.join(m.path, "baseline"))
            guard let year = try b.optionalInt("year", range: years) else { throw b.missing("year") }
            guard let text = try b.optionalString("value") else { throw b.missing("value") }
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw b.error("value", "cần một số không âm, nhưng gặp \"\(text)\"")
            }
            if measure == .share, value > 100 {
                throw b.error("value", "tỷ lệ phần trăm (measure: share) không quá 100, nhưng gặp \(text)")
            }
            try b.rejectUnknown(allowed: ["year", "value", "source", "notes"])
            if let byYear, year >= byYear {
                throw b.error("year", "năm của số liệu ban đầu (\(year)) phải trước năm phải đạt (by: \(byYear))")
            }
            baseline = IndicatorBaseline(year: year, value: value)
        }
        let assumption = try m.optionalString("assumption")
        try m.rejectUnknown(allowed: ["id", "label", "measure", "per", "source", "numerator", "denominator", "direction",
                                      "goal", "by", "every_year", "from", "baseline", "assumption", "notes"])
        return Indicator(id: id, label: label, measure: measure, source: source, direction: direction, goal: goal,
                         goalHigh: goalHigh, byYear: byYear, fromYear: everyYear ? fromYear : nil,
                         baseline: baseline, assumption: assumption)
    }
}
