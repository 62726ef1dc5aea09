import Foundation

/// Every indicator of every target for one year: the value from the figures the units recorded
/// (or, for a target with a tracking role, from the compliance report of the same records), the
/// goal, the straight path from the baseline, and where it stands.
public struct IndicatorReport: Sendable, Encodable {
    /// Where an indicator stands in the year.
    public enum State: String, Sendable, Encodable, CaseIterable {
        /// The goal is met.
        case met
        /// Not met yet, but on or ahead of the straight path from the baseline.
        case onPath = "on-path"
        /// Behind the path.
        case behind
        /// Not met, and no path to judge against (no baseline, or a goal for every year).
        case notMet = "not-met"
        /// Not met yet, for a goal of a later year with no baseline: no path to judge the year
        /// against, so it is neither behind nor "not met" (neutral, never red).
        case notJudged = "not-judged"
        /// No value for the year.
        case noData = "no-data"
        /// The figures recorded cannot give a value (one is not a usable number, or the
        /// quotient is beyond what can be shown): "số liệu không hợp lệ".
        case invalid

        /// The Vietnamese label.
        public var label: String {
            switch self {
            case .met: return "đạt"
            case .onPath: return "đúng lộ trình"
            case .behind: return "chậm so với lộ trình"
            case .notMet: return "chưa đạt"
            case .notJudged: return "chưa đánh giá được lộ trình (chưa có số liệu ban đầu)"
            case .noData: return "chưa có số liệu"
            case .invalid: return "số liệu không hợp lệ"
            }
        }
    }

    /// One indicator's line.
    public struct Line: Sendable, Encodable {
        public var target: TargetID
        public var indicator: String
        public var section: String
        public var label: String
        /// Unit ids supplying the figures; empty for a records-based indicator.
        public var suppliers: [UnitID]
        /// `figures` or `records`.
        public var source: String
        public var numerator: Double?
        public var denominator: Double?
        /// In the indicator's measure (percent for a share); nil without data.
        public var value: Double?
        /// e.g. `75%`, or `chưa có số liệu`.
        public var valueText: String
        public var direction: String
        public var goal: Double
        public var goalHigh: Double?
        /// e.g. `ít nhất 30%`.
        public var goalText: String
        /// The goal's year; nil when it holds every year.
        public var by: Int?
        /// Where the straight path stands at the year's end; nil without one.
        public var path: Double?
        public var baseline: Double?
        public var baselineYear: Int?
        public var state: State
        public var stateLabel: String
        /// Why a value is missing or what it is counted from, in Vietnamese; nil otherwise.
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case target, indicator, section, label, suppliers, source, numerator, denominator, value, valueText,
                 direction, goal, goalHigh, goalText, by, path, baseline, baselineYear, state, stateLabel, note
        }

        /// Unknowns are null, never left out: the JSON shape is fixed.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(target, forKey: .target)
            try c.encode(indicator, forKey: .indicator)
            try c.encode(section, forKey: .section)
            try c.encode(label, forKey: .label)
            try c.encode(suppliers, forKey: .suppliers)
            try c.encode(source, forKey: .source)
            try c.encode(numerator, forKey: .numerator)
            try c.encode(denominator, forKey: .denominator)
            try c.encode(value.map(IndicatorReport.round2), forKey: .value)
            try c.encode(valueText, forKey: .valueText)
            try c.encode(direction, forKey: .direction)
            try c.encode(goal, forKey: .goal)
            try c.encode(goalHigh, forKey: .goalHigh)
            try c.encode(goalText, forKey: .goalText)
            try c.encode(by, forKey: .by)
            try c.encode(path.map(IndicatorReport.round2), forKey: .path)
            try c.encode(baseline, forKey: .baseline)
            try c.encode(baselineYear, forKey: .baselineYear)
            try c.encode(state, forKey: .state)
            try c.encode(stateLabel, forKey: .stateLabel)
            try c.encode(note, forKey: .note)
        }
    }

    public var plan: String
    public var year: Int
    public var lines: [Line]

    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }

    /// The largest value (in the indicator's measure) a line shows: beyond it, cents no longer
    /// round-trip and a page or a CSV would print a number no one can read.
    static let largestValue = 1e15

    /// The report for `year`. `compliance` is the compliance report of the same year and
    /// records (for the targets measured from records). `baselines`: the baselines the lead unit
    /// recorded; an indicator's latest one (by record order) replaces the plan file's `baseline:`.
    public init(plan: Plan, figures: [FigureRecord], compliance: ComplianceReport, year: Int,
                baselines: [BaselineRecord] = []) {
        self.plan = plan.id
        self.year = year
        let ledger = FigureLedger(figures.filter { $0.plan == plan.id })
        let recorded = BaselineRecord.latest(baselines.filter { $0.plan == plan.id })
        lines = plan.targets.flatMap { target in
            target.indicators.map { planned in
                var indicator = planned
                if let r = recorded[BaselineRecord.key(target.id, planned.id)], planned.direction != .within {
                    indicator.baseline = r.baseline
                }
                return IndicatorReport.line(plan, target, indicator, ledger: ledger, compliance: compliance, year: year)
            }
        }
    }

    static func line(_ plan: Plan, _ target: PlanTarget, _ indicator: Indicator, ledger: FigureLedger,
                     compliance: ComplianceReport, year: Int) -> Line {
        var numerator: Double? = nil, denominator: Double? = nil, value: Double? = nil
        var path = indicator.path(in: year)
        var note: String? = nil
        var invalid: String? = nil
        let sourceName: String
        switch indicator.source {
        case let .figures(num, den):
            sourceName = "figures"
            numerator = ledger.value(target.id, year: year, figure: num)
            denominator = ledger.value(target.id, year: year, figure: den)
            let unusable = [(num, numerator), (den, denominator)].filter { $0.1.map { !TargetFigure.usable($0) } ?? false }
            if !unusable.isEmpty {
                // Recorded before the values were bounded: shown as invalid, never computed with.
                invalid = "số liệu đã ghi không hợp lệ: " + unusable.map { id, v in
                    "\(target.figure(id)?.label ?? id) = \(IndicatorMeasure.decimal(v ?? 0))"
                }.joined(separator: "; ")
                if let n = numerator, !TargetFigure.usable(n) { numerator = nil }
                if let d = denominator, !TargetFigure.usable(d) { denominator = nil }
            } else if let n = numerator, let d = denominator {
                value = indicator.value(numerator: n, denominator: d)
                if value == nil { note = "mẫu số bằng 0" }
            } else {
                let missing = [(num, numerator), (den, denominator)].filter { $0.1 == nil }
                    .compactMap { target.figure($0.0) }.map { "\($0.label) (\($0.unit))" }
                note = "thiếu: " + missing.joined(separator: "; ")
            }
        case .records:
            sourceName = "records"
            (numerator, denominator, value, note) = recordsValue(plan, target, compliance)
            // A reach target's path is the compliance report's straight line, once the plan has a
            // baseline for it (the document gives none for G6.T1: no path before one is recorded).
            if indicator.baseline != nil, let reach = compliance.reaches.first(where: { $0.target == target.id }) {
                path = reach.path * 100
            }
        }
        if let v = value, !(v.isFinite && abs(v) < largestValue) {
            invalid = "kết quả \(IndicatorMeasure.decimal(v)) vượt quá giới hạn tính toán (\(IndicatorMeasure.decimal(largestValue)))"
            value = nil
        }
        let state: State
        if let invalid {
            state = .invalid
            note = invalid
        } else if let value {
            if indicator.meets(value) {
                state = .met
            } else if let on = indicator.onPath(value, in: year), let _ = path {
                state = on ? .onPath : .behind
            } else if case .shareReached = plan.tracking.rule(of: target.id), let p = path {
                state = (value * 100).rounded() >= (p * 100).rounded() ? .onPath : .behind
            } else if path == nil, indicator.baseline == nil, let by = indicator.byYear, year < by {
                // A goal for a later year, and nothing to draw the path from: not judged yet.
                state = .notJudged
            } else {
                state = .notMet
            }
        } else {
            state = .noData
        }
        return Line(target: target.id, indicator: indicator.id, section: target.section, label: indicator.label,
                    suppliers: target.suppliers, source: sourceName, numerator: numerator, denominator: denominator,
                    value: value, valueText: value.map(indicator.measure.format) ?? (state == .invalid ? state.label : State.noData.label),
                    direction: indicator.direction.rawValue, goal: indicator.goal, goalHigh: indicator.goalHigh,
                    goalText: indicator.goalText, by: indicator.byYear, path: path,
                    baseline: indicator.baseline?.value, baselineYear: indicator.baseline?.year,
                    state: state, stateLabel: state.label, note: note)
    }

    /// A records-based indicator's numbers, from the compliance report (II.2.6).
    static func recordsValue(_ plan: Plan, _ target: PlanTarget, _ compliance: ComplianceReport)
        -> (Double?, Double?, Double?, String?) {
        if let track = compliance.news.first(where: { $0.target == target.id }) {
            let word = track.period.word
            let judged = track.periods.filter { [.met, .late, .missed].contains($0.state) }
            guard !judged.isEmpty else { return (nil, nil, nil, "chưa có \(word) nào kết thúc trong thời gian theo dõi") }
            let met = judged.filter { $0.state != .missed }.count
            return (Double(met), Double(judged.count), Double(met) / Double(judged.count) * 100,
                    "số \(word) có tin, bài trên số \(word) đã kết thúc")
        }
        if let d = compliance.disseminations.first(where: { $0.target == target.id }) {
            guard d.state != .future, d.state != .beforeTracking, d.total > 0 else {
                return (nil, nil, nil, "năm chưa được theo dõi")
            }
            return (Double(d.informed), Double(d.total), d.share * 100, "số tổ chức được phổ biến trên tổng số tổ chức")
        }
        if let r = compliance.reaches.first(where: { $0.target == target.id }) {
            guard let share = r.share, let population = r.population else {
                return (Double(r.reached), nil, nil, "kế hoạch chưa có dân số (plan.population)")
            }
            return (Double(r.reached), Double(population), share * 100, "lượt người được tiếp cận trên dân số")
        }
        return (nil, nil, nil, nil)
    }
}
