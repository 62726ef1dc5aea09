import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

/// The sign-in page.
struct LoginPage: Page {
    static let template = "login"
    var chrome: PageChrome
    /// Who issues tokens, for the hint.
    var leadName: String
    /// A token handed over in a sign-in link (`?ma=`), put in the field: signing in still
    /// takes a click (a link alone never signs anyone in).
    var presetToken: String
}
