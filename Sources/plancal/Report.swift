import ArgumentParser
import Foundation
import ICal
import PlanCore

enum Report {
    static func actionLabel(_ a: CompletionRecord.Action) -> String {
        switch a {
        case .done: return "hoàn thành"
        case .undo: return "hủy hoàn thành"
        case .news: return "tin, bài"
        case .meeting: return "buổi tuyên truyền"
        case .training: return "buổi tập huấn"
        }
    }

    /// Pads to a display width (Vietnamese letters with diacritics are one column each).
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tình trạng từng việc: hoàn thành đúng hạn, trễ hạn, quá hạn, đang diễn ra, sắp đến hạn, chưa đến hạn.",
        discussion: "Với --unit, một việc mà đơn vị chỉ phối hợp hiện \"Đã tham gia\" khi đơn vị đã ghi nhận phần tham gia của mình, và hiện trạng thái hoàn thành khi đơn vị chủ trì đã hoàn thành.")

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
        if let unit, plan.unit(unit) == nil { throw CLIError(unknownUnit(unit, plan)) }
        if let year, !(plan.start.year...plan.end.year).contains(year) {
            throw CLIError("--year \(year) nằm ngoài thời gian của kế hoạch (\(plan.start.year)–\(plan.end.year))")
        }
        let records = try await store.records(plan: plan.id)
        let all = try schedule.occurrences()
        warnOrphans(occurrences: all, records: records)
        let ledger = CompletionLedger(records: records)
        let items = (unit.map { u in all.filter { schedule.involves($0, u) } } ?? all)
            .filter { year == nil || $0.last.year == year }
        print("Tình trạng công việc ngày \(today.vietnamese)\(unit.map { " — \(plan.unit($0)!.name)" } ?? "")")
        var counts: [OccurrenceState: Int] = [:]
        for o in items {
            let state = OccurrenceState.of(o, ledger: ledger, today: today, for: unit)
            counts[state, default: 0] += 1
            let done = ledger.done(o, for: unit).map { c in
                o.doneBy.contains(c.unit) ? " (hoàn thành ngày \(c.doneOn.vietnamese))" : " (ngày \(c.doneOn.vietnamese))"
            } ?? ""
            print("\(o.last.vietnamese)  \(Report.pad(state.label, 19))  \(o.id)\(done)")
            print("\(String(repeating: " ", count: 33))\(o.isDeadline ? "Hạn: " : "")\(o.name(in: plan))")
        }
        print(OccurrenceState.allCases.map { "\($0.label): \(counts[$0] ?? 0)" }.joined(separator: "; "))
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lịch sử ghi nhận: mọi bản ghi, cũ nhất trước (không bản ghi nào bị xóa).")

    @Argument(help: ArgumentHelp("Chỉ các bản ghi của việc này.", valueName: "occurrence-id"))
    var occurrence: String?

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let plan = try planOptions.load()
        var records = try await store.records(plan: plan.id)
        if let occurrence {
            // Only the id is checked here: reading the history never creates the database.
            let service = try CompletionService(plan: plan, store: InMemoryCompletionRepository())
            _ = try await recording { try service.occurrence(occurrence) }
            records = records.filter { $0.occurrenceID == occurrence }
        }
        if records.isEmpty { print("Chưa có bản ghi nào.") }
        let occurrences = Dictionary(uniqueKeysWithValues: try Schedule(plan: plan).occurrences().map { ($0.id, $0) })
        // First what each record became: replaced by a correction, or withdrawn by an undo.
        var standing: [String: Int64] = [:]
        var replaces: [Int64: Int64] = [:], laterNote: [Int64: String] = [:]
        for r in records {
            guard let id = r.id else { continue }
            if let target = r.withdraws { laterNote[target] = "đã hủy bởi #\(id)"; continue }
            guard let occ = r.occurrenceID else { continue }
            let key = "\(occ)\u{0}\(r.unit)"
            if r.action == .done {
                if let earlier = standing[key] { replaces[id] = earlier; laterNote[earlier] = "đã được thay bằng #\(id)" }
                standing[key] = id
            } else if r.action == .undo, let earlier = standing[key] {
                laterNote[earlier] = "đã hủy bởi #\(id)"
                standing[key] = nil
            }
        }
        // Free text on one line: a line break in a note must not look like another record.
        func oneLine(_ text: String) -> String {
            text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ⏎ ")
        }
        for r in records {
            var what = Report.actionLabel(r.action)
            if r.action == .done, let occ = r.occurrenceID, let o = occurrences[occ], !o.doneBy.contains(r.unit) {
                what = "tham gia"
            }
            if let id = r.id, let earlier = replaces[id] { what += " (sửa, thay bản ghi #\(earlier))" }
            if let target = r.withdraws { what = "hủy bản ghi #\(target)" }
            var line = "#\(r.id ?? 0) \(Vietnamese.dateTime(r.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds)) \(oneLine(r.recordedBy)): \(what)"
            if let occ = r.occurrenceID { line += " \(occ)" }
            line += " — \(plan.unit(r.unit)?.name ?? r.unit)"
            if let d = r.doneOn { line += ", ngày \(d.vietnamese)" }
            if let u = r.evidenceURL { line += ", minh chứng \(u)" }
            if let n = r.reached { line += ", tiếp cận \(Vietnamese.number(n)) người" }
            if let n = r.participants { line += ", \(Vietnamese.number(n)) người tham gia" }
            if !r.organisations.isEmpty { line += ", tổ chức: \(r.organisations.map { plan.unit($0)?.name ?? $0 }.joined(separator: ", "))" }
            if let why = r.reason { line += ", lý do: \(oneLine(why))" }
            if let note = r.note { line += ", ghi chú: \(oneLine(note))" }
            if let id = r.id, let later = laterNote[id] { line += " [\(later)]" }
            print(line)
        }
    }
}
