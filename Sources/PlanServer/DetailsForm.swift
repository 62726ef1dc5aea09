import Foundation
import Hummingbird
import ICal
import PlanCore

/// A posted form carrying a record's details as typed (the item's own form, the ad hoc record form).
protocol DetailsForm {
    var on: String? { get }
    var evidence: String? { get }
    var note: String? { get }
    var reached: String? { get }
    var participants: String? { get }
    var organisations: [String]? { get }
    var sameDay: String? { get }
}

extension DetailsForm {
    /// The details typed, checked as far as a form can (days, numbers); the domain checks the rest.
    func details(dayLabel: String) throws -> CompletionService.Details {
        CompletionService.Details(
            doneOn: try FormInput.day(on, label: dayLabel), evidenceURL: FormInput.text(evidence), note: FormInput.text(note),
            reached: try FormInput.count(reached, field: "reached"),
            participants: try FormInput.count(participants, field: "participants"),
            organisations: FormInput.list(organisations), sameDayReach: FormInput.sameDay(sameDay))
    }
}
