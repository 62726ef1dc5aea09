import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Figure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Ghi số liệu của một chỉ tiêu trong một năm (đơn vị cung cấp số liệu ghi).",
        discussion: """
            Mỗi số liệu là một tùy chọn mang mã của nó trong figures: của chỉ tiêu (xem plan.yaml), ví dụ:
              plancal figure G3.T2 --unit cong-an --year 2026 --victims-detected 12 \\
                --perpetrators-detected 4 --evidence https://bachdang.example/bao-cao-2026
            Cần --evidence (đường dẫn nguồn) hoặc --note (nguồn số liệu). Ghi lại để sửa: bản ghi sau thay số liệu trước, không bản ghi nào bị xóa. Giá trị viết bằng chữ số, phần thập phân sau dấu phẩy hoặc dấu chấm (không dùng số mũ hay hệ 16). Bị từ chối (không ghi gì): số liệu chỉ tiêu không khai báo, số liệu của đơn vị khác, số âm, số đếm không nguyên, số vượt mức tối đa (max: của số liệu trong kế hoạch, nếu không có thì dân số, nếu không có nữa thì 2^53 − 1), tử số của một tỷ lệ lớn hơn mẫu số (so với số liệu mới nhất các đơn vị đã ghi, kiểm tra cùng lúc với việc ghi).
            """)

    @Argument(help: ArgumentHelp("Mã chỉ tiêu, ví dụ G3.T2.", valueName: "target"))
    var target: String

    @Option(name: .long, help: ArgumentHelp("Đơn vị cung cấp số liệu.", valueName: "id"))
    var unit: String

    @Option(name: .long, help: ArgumentHelp("Năm của số liệu.", valueName: "yyyy"))
    var year: Int

    @OptionGroup var source: SourceOptions

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Các số liệu: --<mã số liệu> <giá trị>.", valueName: "figures"))
    var figures: [String] = []

    /// `--name value` or `--name=value` pairs; a decimal comma is accepted.
    static func values(_ words: [String]) throws -> [String: Double] {
        var out: [String: Double] = [:]
        var i = 0
        while i < words.count {
            let word = words[i]
            guard word.hasPrefix("--"), word.count > 2 else {
                throw CLIError("\"\(word)\": cần --<mã số liệu> <giá trị>, ví dụ --victims-detected 12")
            }
            var name = String(word.dropFirst(2)), text: String
            if let eq = name.firstIndex(of: "=") {
                text = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
                i += 1
            } else {
                guard i + 1 < words.count else { throw CLIError("--\(name): thiếu giá trị") }
                text = words[i + 1]
                i += 2
            }
            guard let v = FigureValue.parse(text) else {
                throw CLIError("--\(name): \"\(text)\" không phải là một số (viết chữ số, phần thập phân sau dấu phẩy hoặc dấu chấm, ví dụ 12 hoặc 3,5; không dùng số mũ hay hệ 16)")
            }
            guard out.updateValue(v, forKey: name) == nil else { throw CLIError("--\(name): được nhập hai lần") }
        }
        return out
    }

    func run() async throws {
        let plan = try planOptions.load()
        let targetID: TargetID, unitID: UnitID
        do {
            targetID = try FigureValidator.target(target, in: plan)
            unitID = try FigureValidator.unit(unit, in: plan)
        } catch let e as FigureError {
            throw CLIError("\(e.description) [--\(e.field)]")
        }
        let record = FigureRecord(plan: plan.id, target: targetID, year: year, unit: unitID, values: try Self.values(figures),
                                  evidenceURL: source.evidence, note: source.note, recordedBy: source.recordedBy.name,
                                  recordedAt: UTCDateTime(Date()))
        let today = try todayOption.resolve(plan)
        let repositories = try await store.open()
        let stored: FigureRecord
        do {
            // Checked under the store's lock for the target and year, with the insert.
            stored = try await FigureValidator.append(record, actor: unitID, plan: plan, to: repositories.figures)
        } catch let e as FigureError {
            throw CLIError("\(e.description) [--\(e.field)]")
        }
        let valid = stored
        // The validator accepted the unit: it is the plan's.
        let t = plan.target(targetID)
        print("Đã ghi số liệu năm \(year) của chỉ tiêu \(target) — \(plan.name(of: unitID)) (bản ghi số liệu số \(stored.id ?? 0)):")
        for key in valid.values.keys.sorted() {
            print("  \(t?.figure(key)?.label ?? key): \(IndicatorMeasure.decimal(valid.values[key] ?? 0))")
        }
        // The data reports these figures complete (`fulfilled_by: [figures]`) are done too.
        let service = try CompletionService(plan: plan, store: repositories.completions)
        let recorded = (try? await repositories.figures.figures(plan: plan.id)) ?? [stored]
        for r in await service.completeDataDuties(after: stored, figures: recorded, now: UTCDateTime(Date()), today: today) {
            print("Cũng hoàn thành: \(r.occurrenceID ?? "") (bản ghi số \(r.id ?? 0))")
        }
    }
}

struct Indicators: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Các chỉ tiêu của kế hoạch trong một năm: kết quả, mục tiêu, lộ trình, tình trạng.",
        discussion: """
            Mỗi chỉ tiêu (và mỗi phần của chỉ tiêu có hai con số): kết quả năm tính từ số liệu các đơn vị đã ghi (plancal figure), hoặc từ hồ sơ hoàn thành với các chỉ tiêu được theo dõi (G6); mục tiêu; lộ trình thẳng từ số liệu ban đầu; tình trạng: đạt, đúng lộ trình, chậm so với lộ trình, chưa đạt, chưa có số liệu, số liệu không hợp lệ (số liệu đã ghi ngoài giới hạn, hoặc kết quả quá lớn để hiển thị). CSV mã hóa UTF-8 có BOM.
            """)

    @OptionGroup var reportYear: ReportYearOption

    @Option(name: .long, help: "Định dạng: table (bảng), json hoặc csv.")
    var format: Compliance.Format = .table

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        let y = try reportYear.resolve(plan, today: today)
        let r = try await store.recorded(plan: plan, withFigures: true)
        let compliance = ComplianceReport(plan: plan, occurrences: r.occurrences, ledger: r.ledger, today: today, year: y)
        let report = IndicatorReport(plan: plan, figures: r.figures, compliance: compliance, year: y, baselines: r.baselines)
        switch format {
        case .table: print(report.table(plan: plan), terminator: "")
        case .json: print(try report.json())
        case .csv: FileHandle.standardOutput.write(Data(report.csv(plan: plan).utf8))
        }
    }
}

/// Where recorded numbers come from and who records them (`figure`, `baseline`).
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Đường dẫn nguồn số liệu (http hoặc https).", valueName: "url"))
    var evidence: String?

    @Option(name: .long, help: ArgumentHelp("Ghi chú về nguồn số liệu.", valueName: "text"))
    var note: String?

    @OptionGroup var recordedBy: RecorderOption
}
