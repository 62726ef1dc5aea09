import Foundation
import ICal
import PlanCore

/// Every state an item can be in, with what it means: the legend beside every list of states.
struct StateLegend: Sendable {
    struct Entry: Sendable {
        var state: String
        var label: String
        var meaning: String
    }
    var entries: [Entry]

    static let all = StateLegend(entries: OccurrenceState.allCases.map {
        Entry(state: $0.rawValue, label: $0.label, meaning: $0.meaning)
    })
}
