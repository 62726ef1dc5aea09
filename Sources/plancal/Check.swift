import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kiểm tra tệp kế hoạch và in bản tóm tắt.",
        discussion: "Nếu có lỗi: in tên tệp, dòng và trường của từng lỗi, thoát với mã 1.")

    @Argument(help: ArgumentHelp("Tệp kế hoạch.", valueName: "path"))
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
        print("Nhiệm vụ: \(plan.obligations.count); buổi cụ thể: \(plan.sessions.count)")
        let assumed = plan.obligations.filter { $0.assumption != nil }.map(\.id)
        if !assumed.isEmpty { print("  Ngày giả định: \(assumed.joined(separator: ", "))") }
        print("Số việc theo năm:")
        for year in plan.years {
            let n = occurrences.filter { $0.last.year == year }.count
            print("  \(year): \(n)")
        }
        print("Tổng: \(occurrences.count)")
        if plan.population == nil {
            print("Chưa có dân số (plan.population): chưa tính được chỉ tiêu \(plan.tracking.firstReachTarget ?? "tiếp cận") (tỷ lệ người dân được tiếp cận).")
        }
        if let from = plan.trackingFrom {
            print("Theo dõi từ ngày \(from.vietnamese) (tracking_from): việc có hạn trước ngày này không tính quá hạn, không tính vào tỷ lệ.")
        }
        if let warning = exampleBaseWarning(plan) { print(warning) }
    }
}
