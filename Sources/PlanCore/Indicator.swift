import Foundation

/// A named figure a target is computed from (e.g. G3.T2's "victims detected"), supplied each
/// year by one unit of the plan (section V).
public struct TargetFigure: Sendable, Equatable {
    /// Whether the figure is a whole count or a measured amount (e.g. hours per day).
    public enum Kind: String, Sendable, Equatable {
        /// A count of people, units or events: a whole number, never negative.
        case count
        /// A measured amount such as average hours: a decimal, never negative.
        case amount
    }

    /// Id, unique within its target, e.g. `victims-detected`; the CLI writes it `--victims-detected`.
    public var id: String
    /// What is counted, in Vietnamese.
    public var label: String
    /// The unit that supplies it.
    public var unit: UnitID
    /// Count or amount.
    public var kind: Kind
    /// Set when the document does not say who supplies it.
    public var assumption: String?
    /// The largest value accepted (`max:` in the plan file); nil: the plan's population, or
    /// without one `FigureValue.largest`.
    public var max: Double?

    /// A figure.
    public init(id: String, label: String, unit: UnitID, kind: Kind = .count, assumption: String? = nil, max: Double? = nil) {
        self.id = id
        self.label = label
        self.unit = unit
        self.kind = kind
        self.assumption = assumption
        self.max = max
    }
}

/// How a figure's value is written and bounded, the same in the API, the form, the CLI and the
/// plan file's `max:`.
public enum FigureValue {
    /// The largest value any figure takes: 2^53 − 1, the largest whole number a Double (and a
    /// JSON reader in JavaScript) holds exactly.
    public static let largest: Double = 9_007_199_254_740_991

    /// A number typed by a person: digits, at most one decimal comma or point followed by
    /// digits, an optional leading minus; spaces (thousands) ignored. No hexadecimal, no
    /// exponent, no `inf` or `nan` (Swift's `Double("0x10")` is 16); nil for anything else.
    public static func parse(_ text: String) -> Double? {
        let spaces: Set<Unicode.Scalar> = [" ", "\u{A0}", "\u{202F}", "\u{2009}"]
        var cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { !spaces.contains($0) }))
        cleaned = cleaned.replacingOccurrences(of: ",", with: ".")
        guard isPlainDecimal(cleaned) else { return nil }
        return Double(cleaned)
    }

    /// True for `-?[0-9]+(\.[0-9]+)?` (ASCII digits only).
    public static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
    }
}

/// What kind of number an indicator is.
public enum IndicatorMeasure: Sendable, Equatable {
    /// A share in percent: numerator / denominator × 100, e.g. G2.T3's 30%.
    case share
    /// A plain ratio: numerator / denominator, e.g. G3.T1's 1,4 lần.
    case ratio
    /// A rate per `per` of the denominator: numerator / denominator × per, e.g. G4.T2's
    /// 42/100.000 or G4.T1's 102–105 boys per 100 girls.
    case rate(per: Int)

    /// The factor the quotient is multiplied by.
    public var factor: Double {
        switch self {
        case .share: return 100
        case .ratio: return 1
        case .rate(let per): return Double(per)
        }
    }

    /// A value written the Vietnamese way: `75%`, `1,4 lần`, `42/100.000`.
    public func format(_ value: Double) -> String {
        let number = IndicatorMeasure.decimal(value)
        switch self {
        case .share: return "\(number)%"
        case .ratio: return "\(number) lần"
        case .rate(let per): return "\(number)/\(IndicatorMeasure.grouped(per))"
        }
    }

    /// At most two decimals, a decimal comma, no trailing zeros: `1,4`, `90`, `33,33`. A number
    /// too large for cents is written whole (from 10^13), or with an exponent (from 10^17).
    public static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "∞" : "-∞" }
        if abs(value) >= 1e17 { return "\(value)".replacingOccurrences(of: ".", with: ",") }
        if abs(value) >= 1e13 { return String(format: "%.0f", value) }
        let rounded = (value * 100).rounded() / 100
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        if text == "-0" { text = "0" }
        return text.replacingOccurrences(of: ".", with: ",")
    }

    /// Thousands grouped with dots: `100.000`.
    public static func grouped(_ value: Int) -> String {
        var digits = Array(String(value))
        var out = ""
        while digits.count > 3 {
            out = "." + String(digits.suffix(3)) + out
            digits.removeLast(3)
        }
        return String(digits) + out
    }
}

/// Which way an indicator's goal points (II.2: "đạt ít nhất", "dưới", "trên", "còn", "từ … đến").
public enum IndicatorDirection: String, Sendable, Equatable, CaseIterable {
    /// The value must reach the goal or more ("đạt", "ít nhất", "trở lên").
    case atLeast = "at_least"
    /// The value must come down to the goal or less ("giảm … còn").
    case atMost = "at_most"
    /// Strictly above the goal ("trên").
    case above
    /// Strictly below the goal ("dưới").
    case below
    /// Within a range, both ends included ("từ 102-105").
    case within

    /// The Vietnamese wording before the goal: `ít nhất 30%`.
    public var phrase: String {
        switch self {
        case .atLeast: return "ít nhất"
        case .atMost: return "không quá"
        case .above: return "trên"
        case .below: return "dưới"
        case .within: return "trong khoảng"
        }
    }
}

/// Where an indicator's numbers come from.
public enum IndicatorSource: Sendable, Equatable {
    /// From yearly figures supplied by the units (numerator and denominator name figures of the target).
    case figures(numerator: String, denominator: String)
    /// From plancal's own completion records, by the target's role in `tracking:` (news each
    /// quarter, organisations informed, residents reached against the population).
    case records
}

/// A value known for one year: the starting point of the straight path to the goal.
public struct IndicatorBaseline: Sendable, Equatable {
    /// The year the value is for.
    public var year: Int
    /// The value, in the indicator's measure (percent for a share).
    public var value: Double

    /// A baseline.
    public init(year: Int, value: Double) {
        self.year = year
        self.value = value
    }
}

/// How a target is measured: one number with a goal, a direction and a year (section II.2).
/// A target the document gives two numbers for (G3.T2, G5.T1, G5.T2) has two indicators.
public struct Indicator: Sendable, Equatable {
    /// Id, unique within its target, e.g. `victims`.
    public var id: String
    /// What is measured, in Vietnamese.
    public var label: String
    /// Share, ratio or rate.
    public var measure: IndicatorMeasure
    /// Figures or records.
    public var source: IndicatorSource
    /// Which way the goal points.
    public var direction: IndicatorDirection
    /// The goal; for `within`, the lower end.
    public var goal: Double
    /// For `within`, the upper end; nil otherwise.
    public var goalHigh: Double?
    /// The year the goal is to be reached by; nil when it holds every year (`every_year`).
    public var byYear: Int?
    /// First year the goal holds every year when `byYear` is nil ("từ năm 2025 trở đi").
    public var fromYear: Int?
    /// The known starting value; nil when the document gives none.
    public var baseline: IndicatorBaseline?
    /// Set when something here is not the document's.
    public var assumption: String?

    /// The goal written the Vietnamese way: `ít nhất 30%`, `trong khoảng 102–105/100`.
    public var goalText: String {
        if direction == .within, let high = goalHigh {
            let low = IndicatorMeasure.decimal(goal)
            return "\(direction.phrase) \(low)–\(measure.format(high))"
        }
        return "\(direction.phrase) \(measure.format(goal))"
    }

    /// The value for a numerator and a denominator; nil when the denominator is zero.
    public func value(numerator: Double, denominator: Double) -> Double? {
        guard denominator > 0 else { return nil }
        return numerator / denominator * measure.factor
    }

    /// True when a value meets the goal.
    public func meets(_ value: Double) -> Bool {
        // Values are compared to two decimals, as they are shown.
        let v = (value * 100).rounded() / 100
        switch direction {
        case .atLeast: return v >= goal
        case .atMost: return v <= goal
        case .above: return v > goal
        case .below: return v < goal
        case .within: return v >= goal && v <= (goalHigh ?? goal)
        }
    }

    /// Where the straight path from the baseline to the goal stands at the end of `year`; nil
    /// without a baseline or a goal year, or before the baseline. For `within`, the goal holds
    /// every year, so there is no path.
    public func path(in year: Int) -> Double? {
        guard direction != .within, let baseline, let by = byYear, year >= baseline.year else { return nil }
        guard year < by, by > baseline.year else { return goal }
        let t = Double(year - baseline.year) / Double(by - baseline.year)
        return baseline.value + (goal - baseline.value) * t
    }

    /// True when a value is on or ahead of the path for `year` (nil: no path).
    public func onPath(_ value: Double, in year: Int) -> Bool? {
        guard let p = path(in: year) else { return nil }
        let v = (value * 100).rounded() / 100
        let q = (p * 100).rounded() / 100
        switch direction {
        case .atLeast, .above: return v >= q
        case .atMost, .below: return v <= q
        case .within: return nil
        }
    }
}

extension PlanTarget {
    /// The figure with an id.
    public func figure(_ id: String) -> TargetFigure? { figures.first { $0.id == id } }

    /// The units that supply this target's figures, in order of first mention.
    public var suppliers: [UnitID] {
        var seen: [UnitID] = []
        for f in figures where !seen.contains(f.unit) { seen.append(f.unit) }
        return seen
    }
}
