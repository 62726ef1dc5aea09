import Foundation
import PlanCore

/// A unit's or the ward's annual report as a page to read and to print on A4: the same layout
/// as the .docx (`ReportDocument`), with the choice of year and unit and the downloads above it
/// (hidden in print).
struct AnnualReportPage: Page {
    static let template = "annual-report"
    struct Row: Sendable { var cells: [String] }
    struct TableView: Sendable {
        var columns: [String]
        var rows: [Row]
    }
    /// One block; exactly one field is set (Mustache has no enums).
    struct BlockView: Sendable {
        var heading: String?
        var paragraph: String?
        var item: String?
        var table: TableView?
        var blank = false
    }
    struct SectionView: Sendable {
        var sectionID: String
        var sectionTitle: String
        var blocks: [BlockView]
    }
    struct Download: Sendable {
        var downloadLabel: String
        var downloadHref: String
        var downloadID: String
    }
    /// The choice of year and unit, and the downloads; nil in a standalone file (`plancal report`).
    struct Controls: Sendable {
        var formAction: String
        var years: [SelectOption]
        var units: [SelectOption]
        var downloads: [Download]
    }
    var chrome: PageChrome
    var controls: Controls?
    var superior: String?
    var issuer: String
    var number: String
    var nation: String
    var motto: String
    var placeDate: String
    var title: String
    var subtitle: String
    var recipient: String?
    var intro: [String]
    var sections: [SectionView]
    var recipientsLabel: String
    var recipients: [String]
    var signature: [String]
    var signatureNote: String

    static func build(_ d: ReportDocument, chrome: PageChrome, controls: Controls?) -> AnnualReportPage {
        let sections = d.sections.map { s in
            SectionView(sectionID: "annual-\(s.id)", sectionTitle: "\(s.number). \(s.title)", blocks: s.blocks.map { b in
                switch b {
                case let .heading(t): return BlockView(heading: t)
                case let .paragraph(t): return BlockView(paragraph: t)
                case let .item(t): return BlockView(item: t)
                case .blank: return BlockView(blank: true)
                case let .table(t):
                    return BlockView(table: TableView(columns: t.columns, rows: t.rows.map { Row(cells: $0) }))
                }
            })
        }
        return AnnualReportPage(
            chrome: chrome, controls: controls, superior: d.superior, issuer: d.issuer, number: d.number,
            nation: ReportDocument.nation, motto: ReportDocument.motto, placeDate: d.placeDate, title: d.title,
            subtitle: d.subtitle, recipient: d.recipient, intro: d.intro, sections: sections,
            recipientsLabel: ReportDocument.recipientsLabel, recipients: d.recipients, signature: d.signature,
            signatureNote: d.signatureNote)
    }

    /// The controls of the dashboard's page: years of the plan, the ward or one of its units,
    /// the .docx of what is shown and the CSVs of the same year.
    static func controls(plan: Plan, year: Int, unit: PlanUnit?, docxHref: String) -> Controls {
        let base = "/plans/\(plan.id)"
        var downloads = [Download(downloadLabel: "Tải báo cáo (.docx)", downloadHref: docxHref, downloadID: "download-docx")]
        if let unit {
            downloads.append(Download(downloadLabel: "Tải lịch sử ghi nhận (CSV)",
                                      downloadHref: "\(base)/units/\(unit.id)/history.csv?year=\(year)", downloadID: "download-history-csv"))
        }
        downloads += [
            Download(downloadLabel: "Tải báo cáo tiến độ (CSV)", downloadHref: "/api/\(plan.id)/compliance.csv?year=\(year)",
                     downloadID: "download-compliance-csv"),
            Download(downloadLabel: "Tải các chỉ tiêu (CSV)", downloadHref: "/api/\(plan.id)/indicators.csv?year=\(year)",
                     downloadID: "download-indicators-csv"),
        ]
        let units = [SelectOption(value: "", label: "\(plan.issuer) (tổng hợp)", selected: unit == nil)]
            + plan.allUnits.map { SelectOption(value: $0.id.rawValue, label: $0.name, selected: $0.id == unit?.id) }
        return Controls(formAction: "\(base)/annual-report",
                        years: SelectOption.years(of: plan, selected: year),
                        units: units, downloads: downloads)
    }
}
