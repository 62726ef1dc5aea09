import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

// Typed page models: each page is a struct built by a pure function from domain values and
// rendered by the Mustache template named by `template`. Tests build them without HTTP.

/// A page rendered by a template.
protocol Page: Sendable {
    /// The template's name (in `Templates/`).
    static var template: String { get }
}
