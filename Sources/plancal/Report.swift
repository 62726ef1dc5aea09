import ArgumentParser
import Foundation
import ICal
import PlanCore

enum Report {
    /// Pads to a display width (Vietnamese letters with diacritics are one column each).
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tình trạng từng việc: hoàn thành đúng hạn, trễ hạn, quá hạn, đang diễn ra, sắp đến hạn, chưa đến hạn, không áp dụng, trước khi theo dõi.",
        discussion: "Với --unit, một việc của đơn vị khác mà đơn vị chỉ phối hợp hiện \"Phối hợp\" (không bao giờ là quá hạn của đơn vị), \"Đã tham gia\" khi đơn vị đã ghi nhận phần tham gia của mình, và trạng thái hoàn thành khi đơn vị chủ trì đã hoàn thành. Việc có hạn trước ngày bắt đầu theo dõi (plan.tracking_from) hiện \"Trước khi theo dõi\"; việc đơn vị chủ trì xác định không áp dụng (plancal waive) hiện \"Không áp dụng\".")

    @Option(name: .long, help: ArgumentHelp("Chỉ các việc của đơn vị này.", valueName: "id"))
    var unit: String?

    @Option(name: .long, help: ArgumentHelp("Chỉ các việc có hạn trong năm này (mặc định: tất cả).", valueName: "yyyy"))
    var year: Int?

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        let plan = try planOptions.load()
        let today = try todayOption.resolve(plan)
        let schedule = Schedule(plan: plan)
        let viewer = try unit.map { try planUnit($0, in: plan) }
        let unitName = viewer?.name
        try checkYear(year, in: plan)
        let records = try await store.records(plan: plan.id)
        let all = try schedule.occurrences()
        warnOrphans(occurrences: all, records: records)
        let ledger = CompletionLedger(records: records, plan: plan, occurrences: all)
        let items = (viewer.map { u in all.filter { schedule.involves($0, u.id) } } ?? all)
            .filter { year == nil || $0.last.year == year }
        print("Tình trạng công việc ngày \(today.vietnamese)\(unitName.map { " — \($0)" } ?? "")")
        var counts: [OccurrenceState: Int] = [:]
        // The id column starts after the longest state label ("Đề nghị, chưa ghi nhận").
        let labelWidth = OccurrenceState.allCases.map(\.label.count).max() ?? 19
        for o in items {
            let state = OccurrenceState.of(o, ledger: ledger, today: today, for: viewer?.id)
            counts[state, default: 0] += 1
            let done = ledger.done(o, for: viewer?.id).map { c in
                c.via != nil ? " (hoàn thành ngày \(c.doneOn.vietnamese) — \(c.record.note ?? ""))"
                    : o.doneBy.contains(c.unit) ? " (hoàn thành ngày \(c.doneOn.vietnamese))" : " (ngày \(c.doneOn.vietnamese))"
            } ?? ""
            print("\(o.last.vietnamese)  \(Report.pad(state.label, labelWidth))  \(o.id)\(done)")
            print("\(String(repeating: " ", count: 14 + labelWidth))\(o.isDeadline ? "Hạn: " : "")\(o.name(in: plan))")
        }
        print(OccurrenceState.allCases.map { "\($0.label): \(counts[$0] ?? 0)" }.joined(separator: "; "))
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lịch sử ghi nhận: mọi bản ghi, cũ nhất trước (không bản ghi nào bị xóa).",
        discussion: """
            Mỗi dòng cho biết bản ghi đã được thay (sửa) hay đã bị hủy, và bởi bản ghi nào. Lọc theo đơn vị (--unit; một đơn vị có thành viên gồm cả các thành viên), theo năm của ngày thực hiện (--year) và theo loại (--kind, lặp lại được): done (hoàn thành), undo (hủy), news (tin, bài), meeting (tuyên truyền, phổ biến), training (tập huấn), obstacle (vướng mắc), waive (không áp dụng). --format csv cho tệp CSV (UTF-8 có BOM).

            Ví dụ: plancal history --unit mttq --year 2026 --kind meeting --format csv > mttq-2026.csv
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, csv }

    @Argument(help: ArgumentHelp("Chỉ các bản ghi của việc này.", valueName: "occurrence-id"))
    var occurrence: String?

    @Option(name: .long, help: ArgumentHelp("Chỉ các bản ghi của đơn vị này.", valueName: "id"))
    var unit: String?

    @Option(name: .long, help: ArgumentHelp("Chỉ các bản ghi về một ngày của năm này.", valueName: "yyyy"))
    var year: Int?

    @Option(name: .long, help: ArgumentHelp("Chỉ loại này: done, undo, news, meeting, training, obstacle, waive.", valueName: "kind"))
    var kind: [String] = []

    @Option(name: .long, help: "Định dạng: text (mỗi bản ghi một dòng) hoặc csv.")
    var format: Format = .text

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let plan = try planOptions.load()
        if let occurrence {
            // Only the id is checked here: reading the history never creates the database.
            let service = try CompletionService(plan: plan, store: InMemoryCompletionRepository())
            _ = try await recording { try service.occurrence(occurrence) }
        }
        if let unit, plan.unit(named: unit) == nil { throw CLIError(unknownUnit(unit, plan)) }
        try checkYear(year, in: plan)
        var kinds: Set<CompletionRecord.Action>?
        if !kind.isEmpty {
            kinds = Set(try kind.flatMap { $0.split(separator: ",").map(String.init) }.map { text in
                guard let k = CompletionRecord.Action(rawValue: text) else {
                    throw CLIError("--kind: không có loại \"\(text)\" (\(CompletionRecord.Action.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return k
            })
        }
        let records = try await store.records(plan: plan.id)
        let occurrences = try Schedule(plan: plan).occurrences()
        let history = CompletionHistory(plan: plan, occurrences: occurrences, records: records,
                                        fulfilled: CompletionLedger(records: records, plan: plan, occurrences: occurrences).fulfilled)
        let entries = history.entries(.init(unit: unit, year: year, kinds: kinds, occurrence: occurrence))
        switch format {
        case .csv:
            FileHandle.standardOutput.write(Data(history.csv(entries).utf8))
        case .text:
            if entries.isEmpty { print(records.isEmpty ? "Chưa có bản ghi nào." : "Không có bản ghi nào khớp với điều kiện lọc.") }
            for e in entries { print(history.line(e)) }
        }
    }
}
