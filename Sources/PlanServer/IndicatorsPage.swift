import Foundation
import ICal
import PlanCore

/// Every target's indicators for a year (issue 7 §1): the value, the 2030 goal, the path, the
/// state, and a small trend over the years with figures; then, for a signed-in unit, the forms
/// to record the year's figures it supplies (the lead unit: every unit's). Says what
/// `plancal indicators --year` and `GET /api/<plan>/indicators` say, from the same report.
struct IndicatorsPage: Page {
    static let template = "indicators"

    struct Row: Sendable {
        var rowID: String
        var targetID: String
        var section: String
        var label: String
        var valueText: String
        var hasValue: Bool
        var goalText: String
        var pathText: String
        /// e.g. `18,5% (năm 2025)`; nil without a baseline.
        var baselineText: String?
        var state: String
        var stateLabel: String
        var note: String?
        var suppliers: String
        var trend: Trend?
    }
    /// An inline SVG line over the years with a value (server-rendered; no script).
    struct Trend: Sendable {
        var svgTitle: String
        var svgID: String
        var polyline: String
        var points: [Point]
        var width: Int
        var height: Int
        /// Where the goal (the low end of a range) stands: a dashed line.
        var goalY: String
    }
    struct Point: Sendable {
        var cx: String
        var cy: String
    }
    /// One form: a target's figures supplied by one unit, for the page's year.
    struct FigureForm: Sendable {
        var formID: String
        var formHeading: String
        var targetID: String
        var unitID: String
        var unitName: String
        var fields: [Field]
        var evidence: String
        var note: String
        var open: Bool
    }
    struct Field: Sendable {
        var fieldID: String
        var fieldName: String
        var fieldLabel: String
        var fieldHint: String
        var fieldValue: String
    }
    /// What a refused form had typed, given back with the page.
    struct Typed: Sendable {
        var target: String
        var unit: String
        var values: [String: String]
        var evidence: String
        var note: String
    }

    /// What a refused baseline form had typed.
    struct BaselineTyped: Sendable {
        var target: String
        var indicator: String
        var year: String
        var value: String
        var evidence: String
        var note: String
    }
    /// The lead unit's form for one indicator's baseline.
    struct BaselineFormView: Sendable {
        var formID: String
        var formHeading: String
        var targetID: String
        var indicatorID: String
        var hint: String
        var yearValue: String
        var valueValue: String
        var evidence: String
        var note: String
        var open: Bool
    }

    var chrome: PageChrome
    var heading: String
    var year: Int
    var years: [SelectOption]
    var formAction: String
    var jsonLink: String
    var csvLink: String
    var rows: [Row]
    var legend: [Legend]
    var canRecord: Bool
    var figureAction: String
    var forms: [FigureForm]
    var hasForms: Bool
    var signInLink: String
    var signedIn: Bool
    var baselineAction: String
    var baselineForms: [BaselineFormView]
    var hasBaselineForms: Bool

    struct Legend: Sendable {
        var legendState: String
        var legendLabel: String
    }

    /// `reports` holds the indicator report of every year from the plan's start to `year`'s
    /// latest reachable one, for the trends; `report` is the year shown.
    static func build(plan: Plan, report: IndicatorReport, history: [IndicatorReport], chrome: PageChrome,
                      signedInUnit: UnitID?, typed: Typed?, baselineTyped: BaselineTyped? = nil) -> IndicatorsPage {
        let base = "/plans/\(plan.id)/indicators"
        let rows = report.lines.map { line -> Row in
            let key = "\(line.target)-\(line.indicator)"
            let series = history.compactMap { r -> (Int, Double)? in
                guard let l = r.lines.first(where: { $0.target == line.target && $0.indicator == line.indicator }),
                      let v = l.value else { return nil }
                return (r.year, v)
            }
            let suppliers = line.suppliers.compactMap { plan.unit($0)?.name }
            return Row(rowID: "ind-\(key)".replacingOccurrences(of: ".", with: "-"), targetID: line.target.rawValue,
                       section: line.section, label: line.label,
                       valueText: line.valueText, hasValue: line.value != nil, goalText: line.goalText,
                       pathText: line.path.map { Self.number($0, like: line) } ?? "—",
                       baselineText: line.baseline.map { v in
                           "\(Self.number(v, like: line))\(line.baselineYear.map { " (năm \($0))" } ?? "")"
                       },
                       state: line.state.rawValue, stateLabel: line.state.label, note: line.note,
                       suppliers: suppliers.isEmpty ? "từ hồ sơ ghi nhận" : suppliers.joined(separator: "; "),
                       trend: Self.trend(series, line: line, key: key))
        }
        let forms = signedInUnit.map { Self.forms(plan: plan, unit: $0, year: report.year, typed: typed) } ?? []
        let baselineForms = signedInUnit == plan.leadUnit?.id && signedInUnit != nil
            ? Self.baselineForms(plan: plan, report: report, typed: baselineTyped) : []
        return IndicatorsPage(
            chrome: chrome, heading: "Các chỉ tiêu năm \(report.year)", year: report.year,
            years: SelectOption.years(of: plan, selected: report.year),
            formAction: base, jsonLink: "/api/\(plan.id)/indicators?year=\(report.year)",
            csvLink: "/api/\(plan.id)/indicators.csv?year=\(report.year)", rows: rows,
            legend: IndicatorReport.State.allCases.map { Legend(legendState: $0.rawValue, legendLabel: $0.label) },
            canRecord: signedInUnit != nil, figureAction: "/plans/\(plan.id)/figures", forms: forms, hasForms: !forms.isEmpty,
            signInLink: "/plans/\(plan.id)/login", signedIn: signedInUnit != nil,
            baselineAction: "/plans/\(plan.id)/baselines", baselineForms: baselineForms, hasBaselineForms: !baselineForms.isEmpty)
    }

    /// A value in the line's measure, as its value is written (`45%`, `1,4 lần`, `104/100`).
    static func number(_ v: Double, like line: IndicatorReport.Line) -> String {
        let text = IndicatorMeasure.decimal(v)
        if line.valueText.hasSuffix("%") || line.goalText.hasSuffix("%") { return text + "%" }
        return text
    }

    /// The trend of one indicator: a polyline over the years with a value, scaled to the
    /// values and the goal, with a `<title>` saying every point for screen readers.
    static func trend(_ series: [(year: Int, value: Double)], line: IndicatorReport.Line, key: String) -> Trend? {
        guard !series.isEmpty else { return nil }
        let width = 160, height = 48, pad = 6.0
        let values = series.map(\.value) + [line.goal] + (line.goalHigh.map { [$0] } ?? [])
        let low = min(values.min() ?? 0, 0), high = max(values.max() ?? 1, low + 1)
        let years = series.map(\.year)
        let first = years.first!, span = max(1, (years.last! - first))
        func x(_ year: Int) -> Double {
            series.count == 1 ? Double(width) / 2 : pad + Double(year - first) / Double(span) * (Double(width) - 2 * pad)
        }
        func y(_ v: Double) -> Double { Double(height) - pad - (v - low) / (high - low) * (Double(height) - 2 * pad) }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }
        let points = series.map { Point(cx: f(x($0.year)), cy: f(y($0.value))) }
        let said = series.map { "năm \($0.year): \(number($0.value, like: line))" }.joined(separator: "; ")
        return Trend(svgTitle: "Xu hướng \(line.target) — \(line.label): \(said); mục tiêu \(line.goalText)",
                     svgID: "trend-\(key)".replacingOccurrences(of: ".", with: "-"),
                     polyline: points.map { "\($0.cx),\($0.cy)" }.joined(separator: " "), points: points,
                     width: width, height: height, goalY: f(y(line.goal)))
    }

    /// The forms a signed-in unit may fill: the figures it supplies; the lead unit, every unit's.
    static func forms(plan: Plan, unit: UnitID, year: Int, typed: Typed?) -> [FigureForm] {
        let lead = unit == plan.leadUnit?.id
        var out: [FigureForm] = []
        for target in plan.targets {
            var suppliers: [UnitID] = []
            for f in target.figures where !suppliers.contains(f.unit) { suppliers.append(f.unit) }
            for supplier in suppliers where lead || supplier == unit {
                let mine = typed.flatMap { $0.target == target.id.rawValue && $0.unit == supplier.rawValue ? $0 : nil }
                let fields = target.figures.filter { $0.unit == supplier }.map { f in
                    Field(fieldID: "fig-\(target.id)-\(supplier)-\(f.id)".replacingOccurrences(of: ".", with: "-"),
                          fieldName: "values[\(f.id)]", fieldLabel: f.label,
                          fieldHint: f.kind == .count ? "số nguyên" : "số thập phân, ví dụ 2,5",
                          fieldValue: mine?.values[f.id] ?? "")
                }
                let name = plan.name(of: supplier)
                out.append(FigureForm(formID: "figures-\(target.id)-\(supplier)".replacingOccurrences(of: ".", with: "-"),
                                      formHeading: "\(target.id) — \(name)", targetID: target.id.rawValue, unitID: supplier.rawValue,
                                      unitName: name, fields: fields, evidence: mine?.evidence ?? "", note: mine?.note ?? "",
                                      open: mine != nil))
            }
        }
        return out
    }

    /// The lead unit's baseline forms: one per indicator with a goal year and no range (those
    /// without a baseline first, open when refused).
    static func baselineForms(plan: Plan, report: IndicatorReport, typed: BaselineTyped?) -> [BaselineFormView] {
        var out: [BaselineFormView] = []
        for target in plan.targets {
            for indicator in target.indicators where indicator.direction != .within && indicator.byYear != nil {
                let line = report.lines.first { $0.target == target.id && $0.indicator == indicator.id }
                let mine = typed.flatMap { $0.target == target.id.rawValue && $0.indicator == indicator.id ? $0 : nil }
                let key = "baseline-\(target.id)-\(indicator.id)".replacingOccurrences(of: ".", with: "-")
                let current = line?.baseline.map { v in
                    "hiện có: \(indicator.measure.format(v))\(line?.baselineYear.map { " (năm \($0))" } ?? "")"
                } ?? "chưa có"
                let unit = indicator.measure == .share ? "phần trăm, từ 0 đến 100" : "theo đơn vị đo của chỉ số"
                out.append(BaselineFormView(
                    formID: key, formHeading: "\(target.id) — \(indicator.label) (\(current))", targetID: target.id.rawValue,
                    indicatorID: indicator.id, hint: "Giá trị \(unit); ví dụ 18,5",
                    yearValue: mine?.year ?? "", valueValue: mine?.value ?? "",
                    evidence: mine?.evidence ?? "", note: mine?.note ?? "", open: mine != nil))
            }
        }
        return out
    }
}
