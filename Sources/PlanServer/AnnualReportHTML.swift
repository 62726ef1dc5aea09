import Foundation
import PlanCore

/// The annual reports as standalone HTML files, for `plancal report --format html`: the page the
/// dashboard shows, without its navigation and controls.
public struct AnnualReportHTML: Sendable {
    let views: Views

    /// Loads the templates.
    public init() async throws { views = try await Views() }

    /// The report as a complete HTML document.
    public func render(_ document: ReportDocument) -> String {
        let page = AnnualReportPage.build(document, chrome: .plain(title: "\(document.title) — \(document.subtitle)",
                                                                   heading: document.issuer), controls: nil)
        return views.html(page)
    }
}
