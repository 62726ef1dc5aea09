import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Compliance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report Goal 6 compliance and each unit's on-time record.",
        discussion: """
            G6.T3: every quarter from the plan's start to the current one: met (with the article links), late, missed, or open. G6.T2: which organisations were informed in the year. G6.T1: residents reached against the population the plan gives, beside the straight-line path to 80% by the end of the plan. Units: the annual report and the on-time rate of their obligations. CSV is UTF-8 with a byte-order mark; JSON's shape is in the README.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Option(name: .long, help: ArgumentHelp("Report this year (default: the current one).", valueName: "yyyy"))
    var year: Int?

    @Option(name: .long, help: "table, json or csv.")
    var format: Format = .table

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() throws {
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        if let year, !(plan.start.year...plan.end.year).contains(year) {
            throw CLIError("--year \(year) nằm ngoài thời gian của kế hoạch (\(plan.start.year)–\(plan.end.year))")
        }
        let report = ComplianceReport(
            plan: plan, occurrences: try Schedule(plan: plan).occurrences(),
            ledger: CompletionLedger(records: try store.records(plan: plan.id)), today: today, year: year)
        switch format {
        case .table: print(report.table(plan: plan), terminator: "")
        case .json: print(try report.json())
        case .csv: FileHandle.standardOutput.write(Data(report.csv(plan: plan).utf8))
        }
    }
}
