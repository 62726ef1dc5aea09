import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Compliance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Báo cáo tiến độ các chỉ tiêu được theo dõi và tỷ lệ đúng hạn của từng đơn vị.",
        discussion: """
            Các chỉ tiêu theo quy tắc tracking: của từng chỉ tiêu trong kế hoạch (kế hoạch kèm theo: G6.T3, G6.T2, G6.T1). Chỉ tiêu tin, bài: từng quý (hoặc từng tháng, với quy tắc theo tháng) từ đầu kế hoạch đến quý hiện tại (với --year: bốn quý của năm đó): đạt (kèm đường dẫn bài), trễ, không đạt, đang trong quý, chưa đến, hoặc trước khi theo dõi. Chỉ tiêu phổ biến: các tổ chức đã được phổ biến trong năm. Chỉ tiêu tiếp cận: số người dân được tiếp cận so với dân số trong kế hoạch, bên cạnh lộ trình thẳng đến mục tiêu (reach_goal) vào cuối kế hoạch; với một năm đã qua, tính đến hết năm đó. Các đơn vị: báo cáo năm (tình trạng, ngày nộp) và tỷ lệ đúng hạn, không tính việc trước khi theo dõi và việc không áp dụng (được liệt kê kèm lý do). Với --plans-dir: bảng tổng hợp, mỗi kế hoạch một dòng. CSV mã hóa UTF-8 có BOM; cấu trúc JSON xem README.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var reportYear: ReportYearOption

    var year: Int? { reportYear.year }

    @Option(name: .long, help: "Định dạng: table (bảng), json hoặc csv.")
    var format: Format = .table

    @Option(name: .long, help: ArgumentHelp("Thư mục chứa kế hoạch của nhiều phường, xã: in bảng tổng hợp, mỗi kế hoạch một dòng (thay cho --plan).", valueName: "dir"))
    var plansDir: String?

    @Option(name: .long, help: ArgumentHelp("Với --plans-dir: sắp xếp theo plan, quarters, informed, reach, reports, overdue hoặc fetch.", valueName: "column"))
    var sort: String = "plan"

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        if let plansDir {
            guard planOptions.plan.isEmpty else { throw CLIError("Dùng --plan hoặc --plans-dir, không dùng cả hai") }
            return try await city(plansDir)
        }
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        let year = try reportYear.given(plan)
        let recorded = try await store.recorded(plan: plan)
        let report = ComplianceReport(plan: plan, occurrences: recorded.occurrences, ledger: recorded.ledger,
                                      today: today, year: year)
        switch format {
        case .table: print(report.table(plan: plan), terminator: "")
        case .json: print(try report.json())
        case .csv: FileHandle.standardOutput.write(Data(report.csv(plan: plan).utf8))
        }
    }

    /// One row per plan below a folder, as the server's city page.
    func city(_ dir: String) async throws {
        guard let key = CityReport.SortKey(rawValue: sort) else {
            throw CLIError("--sort: không có cột \"\(sort)\" (\(CityReport.SortKey.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--plans-dir: không có thư mục \(dir)")
        }
        let repositories = try await store.openForReading()
        let lastFetches = try await repositories?.fetches.lastFetches() ?? [:]
        var plans: [(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, lastFetch: UTCDateTime?)] = []
        var failed: [String] = []
        var seen: [String: String] = [:]
        for path in PlanFiles.below(dir) {
            let plan: Plan
            do { plan = try PlanLoader.load(path: path) } catch let e as PlanError {
                failed.append(e.description)
                continue
            }
            if let other = seen[plan.id] { throw CLIError("\(path): mã kế hoạch \"\(plan.id)\" trùng với \(other)") }
            seen[plan.id] = path
            let records = try await repositories?.completions.records(plan: plan.id) ?? []
            let occurrences = try Schedule(plan: plan).occurrences()
            plans.append((plan, occurrences, CompletionLedger(records: records, plan: plan, occurrences: occurrences),
                          lastFetches[plan.id]))
        }
        guard let first = plans.first?.plan else { throw CLIError("--plans-dir: không có tệp kế hoạch đọc được trong \(dir)") }
        if let year, !plans.contains(where: { $0.plan.years.contains(year) }) {
            throw CLIError("--year \(year) nằm ngoài thời gian của mọi kế hoạch")
        }
        var report = CityReport(plans: plans, today: try todayOption.resolve(first), year: year)
        report.sort(by: key, descending: key == .overdue)
        for message in failed { FileHandle.standardError.write(Data("Bỏ qua: \(message)\n".utf8)) }
        switch format {
        case .table: print(report.table(), terminator: "")
        case .json: print(try report.json())
        case .csv: FileHandle.standardOutput.write(Data(report.csv().utf8))
        }
    }
}
