import PlanCore

/// One `<option>` of a page's `<select>` (year, unit, kind): the templates read
/// `{{value}}`, `{{label}}` and `{{selected}}`.
struct SelectOption: Sendable {
    var value: String
    var label: String
    var selected: Bool

    /// The plan's years, the one shown selected.
    static func years(of plan: Plan, selected year: Int) -> [SelectOption] {
        plan.years.map { SelectOption(value: String($0), label: String($0), selected: $0 == year) }
    }
}
