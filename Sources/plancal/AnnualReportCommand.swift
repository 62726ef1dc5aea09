import ArgumentParser
import Foundation
import ICal
import PlanCore
import PlanDocuments
import PlanServer

/// `plancal report`: a unit's or the ward's annual report as a .docx or an HTML page.
/// (Named apart from the `Report` helpers of the other commands.)
struct AnnualReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Báo cáo năm của một đơn vị (--unit) hoặc của phường (--ward), dạng .docx hoặc HTML.",
        discussion: """
            Dự thảo lập từ các ghi nhận, theo thể thức văn bản hành chính (Nghị định 30/2020/NĐ-CP). Báo cáo của đơn vị: các nhiệm vụ đã hoàn thành (ngày, minh chứng), tin, bài, tuyên truyền, tập huấn và số người được tiếp cận, phần tham gia các hoạt động theo đợt, số liệu đơn vị cung cấp, việc chưa hoàn thành, vướng mắc đã nêu. Báo cáo của phường: kết quả từng đơn vị, tình hình gửi báo cáo năm và nội dung các đơn vị đã báo cáo, các hoạt động trong năm viết thành câu (ngày, đơn vị, số người, minh chứng), các chỉ tiêu theo dõi (tin, bài từng quý; tổ chức được phổ biến; người dân được tiếp cận), bảng các chỉ tiêu của kế hoạch. Các mục cuối được soạn sẵn từ dữ liệu: "Khó khăn, vướng mắc" (các vướng mắc đã ghi), "Kiến nghị, đề xuất" (kiến nghị trong ghi chú báo cáo năm của các đơn vị), "Phương hướng, nhiệm vụ năm sau" (các việc của kế hoạch năm sau); mỗi mục chừa một dòng cho điều dữ liệu không biết. Số báo cáo (Số: …/BC-…) và "Nơi nhận" theo report_number_suffix, report_recipients trong kế hoạch. Số liệu trùng với plancal compliance và plancal indicators của cùng năm.

            Ví dụ: plancal report --ward --year 2026 --out bao-cao-2026.docx
                   plancal report --unit mttq --year 2026 --format html --out mttq-2026.html
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case docx, html }

    @Option(name: .long, help: ArgumentHelp("Báo cáo của đơn vị này.", valueName: "id"))
    var unit: String?

    @Flag(name: .long, help: "Báo cáo của phường (tổng hợp các đơn vị).")
    var ward = false

    @OptionGroup var reportYear: ReportYearOption

    @Option(name: .long, help: "Định dạng: docx hoặc html.")
    var format: Format = .docx

    @Option(name: .long, help: ArgumentHelp("Ghi vào tệp này (mặc định: ra đầu ra chuẩn; .docx không ghi ra màn hình).", valueName: "path"))
    var out: String?

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        guard (unit != nil) != ward else {
            throw CLIError(ward ? "Dùng --unit hoặc --ward, không dùng cả hai" : "Cần --unit <mã đơn vị> hoặc --ward (báo cáo của phường)")
        }
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        let year = try reportYear.resolve(plan, today: today)
        let reportUnit: PlanUnit?
        do { reportUnit = try unit.map { try planUnit($0, in: plan) } } catch let e as CLIError {
            throw CLIError(e.description + " [--unit]")
        }
        if format == .docx, out == nil || out == "-", isatty(STDOUT_FILENO) != 0 {
            throw CLIError("Không ghi tệp .docx ra màn hình: dùng --out <tệp.docx> hoặc chuyển hướng (> tệp.docx) [--out]")
        }
        let r = try await store.recorded(plan: plan, withFigures: true)
        let document = reportUnit.map {
            WardAnnualReport.unit($0, plan: plan, year: year, occurrences: r.occurrences, ledger: r.ledger, figures: r.figures,
                                  today: today)
                .document(plan: plan)
        } ?? WardAnnualReport(plan: plan, year: year, occurrences: r.occurrences, ledger: r.ledger, figures: r.figures,
                             today: today, baselines: r.baselines)
            .document(plan: plan)
        let bytes: Data
        switch format {
        case .docx:
            do { bytes = try document.docx(created: today.iso) } catch let e as DocumentError { throw CLIError(e.description) }
        case .html:
            bytes = Data(try await AnnualReportHTML().render(document).utf8)
        }
        guard let out, out != "-" else {
            FileHandle.standardOutput.write(bytes)
            return
        }
        do {
            // Atomic: a reader never sees half a report, and a failed write leaves the old file.
            try bytes.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CLIError("--out: không ghi được tệp \(out): \(error.localizedDescription)")
        }
        print("Đã ghi báo cáo năm \(year) — \(reportUnit?.name ?? plan.issuer): \(out)")
    }
}
