import Foundation
import ICal
import PlanCore

/// Who may change a record from the browser: the unit that made it, or the lead unit; a
/// waiver only the lead unit. Undo records and records already replaced or withdrawn are final.
enum RecordPermission {
    static func mayChange(_ entry: CompletionHistory.Entry, token: UnitToken?, plan: Plan) -> Bool {
        guard let token, entry.standing else { return false }
        let lead = token.unit == plan.leadUnit?.id
        if entry.record.action == .waive { return lead }
        return lead || token.unit == entry.record.unit
    }
}
