import ArgumentParser
import ICal
import PlanCore

struct Agenda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Liệt kê các việc của một đơn vị, ngày dạng dd/mm/yyyy.")

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Mã đơn vị (ví dụ vhxh), hoặc all cho toàn phường.", valueName: "id"))
    var unit: String

    @Option(name: .long, help: ArgumentHelp("Từ ngày (mặc định: ngày bắt đầu kế hoạch).", valueName: "date"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Đến ngày (mặc định: ngày kết thúc kế hoạch).", valueName: "date"))
    var to: String?

    func run() async throws {
        let plan = try planOptions.load()
        let schedule = Schedule(plan: plan)
        // nil: the whole plan's.
        let viewer: UnitID? = unit == "all" ? nil : try planUnit(unit, in: plan).id
        let start = try from.map { try parseDate($0, option: "--from") } ?? plan.start
        let end = try to.map { try parseDate($0, option: "--to") } ?? plan.end
        guard start <= end else {
            let endName = to == nil ? "ngày kết thúc kế hoạch" : "--to"
            throw CLIError("--from (\(start.vietnamese)) sau \(endName) (\(end.vietnamese))")
        }
        let ledger = CompletionLedger(records: try await store.records(plan: plan.id), plan: plan,
                                      occurrences: try schedule.occurrences())
        let items = try (viewer.map(schedule.occurrences(for:)) ?? schedule.occurrences())
            .filter { $0.last >= start && $0.first <= end }
            .sorted { ($0.first, $0.last, $0.id) < ($1.first, $1.last, $1.id) }
        let title = unit == "all" ? "toàn phường" : try planUnit(unit, in: plan).name
        print("Lịch công việc của \(title), \(start.vietnamese) – \(end.vietnamese): \(items.count) việc")
        for o in items {
            let when = o.first == o.last ? o.last.vietnamese : "\(o.first.vietnamese) – \(o.last.vietnamese)"
            let done = ledger.done(o, for: viewer).map { c in
                o.doneBy.contains(c.unit) ? " ✓ đã hoàn thành ngày \(c.doneOn.vietnamese)"
                    : " ✓ đã tham gia ngày \(c.doneOn.vietnamese)"
            } ?? ""
            var name = o.name(in: plan)
            if let minutes = o.minutes {
                name += ", \(Vietnamese.time(minutes.lowerBound))–\(Vietnamese.time(minutes.upperBound))"
                if let place = o.place { name += ", tại \(place)" }
            }
            let pad = String(repeating: " ", count: max(0, 23 - when.count))
            print("\(when)\(pad) \(o.isDeadline ? "Hạn: " : "")\(name)\(done)")
            print("\(String(repeating: " ", count: 24))[\(o.id)]")
        }
    }
}

func unknownUnit(_ id: String, _ plan: Plan) -> String {
    "Không có đơn vị \"\(id)\" trong kế hoạch. Các đơn vị: \(plan.allUnits.map(\.id.rawValue).joined(separator: ", "))"
}

/// The plan's unit a command was given, or an error naming the units there are.
func planUnit(_ id: String, in plan: Plan) throws -> PlanUnit {
    guard let unit = plan.unit(named: id) else { throw CLIError(unknownUnit(id, plan)) }
    return unit
}
