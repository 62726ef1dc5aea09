import Foundation
import Hummingbird
import ICal
import PlanCore

/// What was typed into a form, given back with the page when the form is refused.
struct TypedForm: Sendable {
    var on = ""
    var evidence = ""
    var note = ""
    var reached = ""
    var participants = ""
    var reason = ""
    var organisations: [String] = []
    /// The unit already has a record of the day counting residents: ask whether it is one event.
    var askSameDay = false
}
