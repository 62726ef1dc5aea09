import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Compliance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Báo cáo tiến độ Mục tiêu 6 và tỷ lệ đúng hạn của từng đơn vị.",
        discussion: """
            G6.T3: từng quý từ đầu kế hoạch đến quý hiện tại: đạt (kèm đường dẫn bài), trễ, không đạt, hoặc đang trong quý. G6.T2: các tổ chức đã được phổ biến trong năm. G6.T1: số người dân được tiếp cận so với dân số trong kế hoạch, bên cạnh lộ trình thẳng đến 80% vào cuối kế hoạch. Các đơn vị: báo cáo năm và tỷ lệ đúng hạn. CSV mã hóa UTF-8 có BOM; cấu trúc JSON xem README.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Option(name: .long, help: ArgumentHelp("Năm báo cáo (mặc định: năm hiện tại).", valueName: "yyyy"))
    var year: Int?

    @Option(name: .long, help: "Định dạng: table (bảng), json hoặc csv.")
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
        let records = try store.records(plan: plan.id)
        let occurrences = try Schedule(plan: plan).occurrences()
        warnOrphans(occurrences: occurrences, records: records)
        let report = ComplianceReport(plan: plan, occurrences: occurrences, ledger: CompletionLedger(records: records),
                                      today: today, year: year)
        switch format {
        case .table: print(report.table(plan: plan), terminator: "")
        case .json: print(try report.json())
        case .csv: FileHandle.standardOutput.write(Data(report.csv(plan: plan).utf8))
        }
    }
}
