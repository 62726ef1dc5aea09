import ArgumentParser
import ICal
import PlanCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a plan file and print a summary.",
        discussion: "Exits 1 and names the file, line and field of every problem found.")

    @Argument(help: ArgumentHelp("The plan file.", valueName: "path"))
    var path: String

    func run() throws {
        let plan = try PlanOptions.parse(["--plan", path]).load()
        let occurrences = try Schedule(plan: plan).occurrences()
        print("Kế hoạch hợp lệ: \(path)")
        print("  \(plan.title)")
        print("  Thời gian: \(plan.start.vietnamese) – \(plan.end.vietnamese), múi giờ \(plan.timeZone)")
        print("Đơn vị: \(plan.allUnits.count)")
        for u in plan.allUnits {
            let lead = u.role == .lead ? " (chủ trì)" : ""
            print("  \(u.parentID == nil ? "" : "  ")\(u.id): \(u.name)\(lead)")
        }
        print("Chỉ tiêu: \(plan.targets.count)")
        print("Nghĩa vụ: \(plan.obligations.count); buổi cụ thể: \(plan.sessions.count)")
        let assumed = plan.obligations.filter { $0.assumption != nil }.map(\.id)
        if !assumed.isEmpty { print("  Ngày giả định: \(assumed.joined(separator: ", "))") }
        print("Số việc theo năm:")
        for year in plan.start.year...plan.end.year {
            let n = occurrences.filter { $0.last.year == year }.count
            print("  \(year): \(n)")
        }
        print("Tổng: \(occurrences.count)")
        if plan.population == nil {
            print("Chưa có dân số (plan.population): chưa tính được chỉ tiêu G6.T1.")
        }
    }
}
