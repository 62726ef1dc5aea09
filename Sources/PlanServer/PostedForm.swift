import Foundation
import Hummingbird
import ICal
import PlanAPI
import PlanCore

/// A form posted from one of plancal's pages: it carries the session's CSRF token.
protocol PostedForm: Decodable, Sendable {
    var csrf: String? { get }
}
