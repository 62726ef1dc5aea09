import Foundation
import Hummingbird
import ICal
import PlanAPI
import PlanCore

/// What the checks every posted form passes decided: go on with the plan, the session and the
/// form, or answer with this refusal page.
enum FormGate<Form: PostedForm> {
    case pass(PlanRegistry.Entry, WebSession, Form)
    case refuse(Response)
}
