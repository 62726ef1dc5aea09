import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Baseline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Ghi số liệu ban đầu (năm và giá trị) của một chỉ số (đơn vị chủ trì ghi).",
        discussion: """
            Số liệu ban đầu là điểm xuất phát của lộ trình thẳng đến mục tiêu: một chỉ tiêu có mục tiêu cho năm sau chỉ được đánh giá theo lộ trình khi đã có số liệu ban đầu. Ví dụ:
              plancal baseline G2.T3 --indicator women-directors --year 2025 --value 18,5 \\
                --evidence https://bachdang.example/so-lieu-2025
            Giá trị theo đơn vị đo của chỉ số (phần trăm với một tỷ lệ). Cần --evidence (đường dẫn nguồn) hoặc --note (nguồn số liệu). Ghi lại để sửa: bản ghi sau (theo thứ tự bản ghi) thay bản ghi trước và thay cả baseline: trong tệp kế hoạch; không bản ghi nào bị xóa. Bị từ chối (không ghi gì): chỉ tiêu hoặc chỉ số không có, chỉ số không có lộ trình (mục tiêu là một khoảng, hoặc áp dụng mọi năm), năm ngoài thời gian kế hoạch hoặc sau năm hiện tại, giá trị âm, tỷ lệ trên 100, giá trị viết sai (chỉ chữ số, phần thập phân sau dấu phẩy hoặc dấu chấm).
            """)

    @Argument(help: ArgumentHelp("Mã chỉ tiêu, ví dụ G2.T3.", valueName: "target"))
    var target: String

    @Option(name: .long, help: ArgumentHelp("Mã chỉ số của chỉ tiêu (indicators: trong plan.yaml).", valueName: "id"))
    var indicator: String

    @Option(name: .long, help: ArgumentHelp("Năm của số liệu ban đầu.", valueName: "yyyy"))
    var year: Int

    @Option(name: .long, help: ArgumentHelp("Giá trị (phần trăm với một tỷ lệ), ví dụ 18,5.", valueName: "n"))
    var value: String

    @OptionGroup var source: SourceOptions

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        guard let v = FigureValue.parse(value) else {
            throw CLIError("--value: \"\(value)\" không phải là một số (viết chữ số, phần thập phân sau dấu phẩy hoặc dấu chấm, ví dụ 18 hoặc 18,5; không dùng số mũ hay hệ 16)")
        }
        guard let lead = plan.leadUnit else { throw CLIError("Kế hoạch không có đơn vị chủ trì (role: lead)") }
        let checked: BaselineRecord
        do {
            let record = BaselineRecord(plan: plan.id, target: try BaselineValidator.target(target, in: plan),
                                        indicator: indicator, year: year, value: v, evidenceURL: source.evidence,
                                        note: source.note, recordedBy: source.recordedBy.name, recordedAt: UTCDateTime(Date()))
            // Checked before the store is opened: a refusal writes nothing, not even a new database.
            checked = try BaselineValidator.validate(record, actor: lead.id, plan: plan, today: today)
        } catch let e as BaselineError {
            throw CLIError("\(e.description) [\(e.field == "target" ? "target" : "--" + e.field)]")
        }
        let repositories = try await store.open()
        let stored = try await repositories.baselines.append(checked)
        let label = plan.target(checked.target)?.indicators.first { $0.id == indicator }?.label ?? indicator
        let measure = plan.target(checked.target)?.indicators.first { $0.id == indicator }?.measure ?? .ratio
        print("Đã ghi số liệu ban đầu của chỉ số \(target)/\(indicator) (\(label)): năm \(year), \(measure.format(v)) (bản ghi số liệu ban đầu số \(stored.id ?? 0))")
    }
}
