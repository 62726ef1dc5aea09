import Foundation
import ICal
import PlanCore
import Testing

@testable import PlanServer

/// The to-do lists say what the document says (issue 7 §3): vhxh receives the annual reports
/// ("Chờ nhận"), the Front and the unions are requested ("Đề nghị"), never red overdue duties.
@Suite("Roles in the to-do lists")
struct RolesPageTests {
    static func list(unit: String?, today: CivilDate) throws -> (Plan, TodoList) {
        let plan = try PlanLoader.load(path: planPath)
        let occurrences = try Schedule(plan: plan).occurrences()
        let list = TodoList.build(plan: plan, occurrences: occurrences, ledger: CompletionLedger(records: []), today: today,
                                  unit: unit.flatMap(plan.unit), canMark: { _ in false })
        return (plan, list)
    }

    @Test("the lead unit awaits the reports it receives, one line for the units that owe it; none is its overdue duty")
    func leadReceives() throws {
        let (_, list) = try Self.list(unit: "vhxh", today: CivilDate(year: 2026, month: 12, day: 20)!)
        let report = try #require(list.receiving.first { $0.title.hasPrefix("Báo cáo kết quả thực hiện Kế hoạch") })
        #expect(report.state == "awaiting")
        #expect(report.stateLabel == "Chờ nhận")
        #expect(report.memberCount == 7)
        #expect(list.receiving.contains { $0.stateLabel == "Chờ nhận (đơn vị nộp: Công an phường)" })
        let own = list.now + list.soon + list.older
        #expect(!own.contains { $0.title.contains("Báo cáo kết quả thực hiện Kế hoạch") }, "a report it receives is not its duty")
    }

    @Test("the ward's list folds the requests apart; the requested unit's own list shows them, never as overdue")
    func requestsAreNotOverdue() throws {
        let today = CivilDate(year: 2026, month: 12, day: 20)!
        let (_, ward) = try Self.list(unit: nil, today: today)
        let overdue = (ward.now + ward.older).filter { $0.state == "overdue" }
        #expect(!overdue.contains { $0.ownerName == "Ủy ban Mặt trận Tổ quốc Việt Nam phường" || $0.title.contains("Ủy ban Mặt trận") })
        #expect(!overdue.flatMap(\.members).contains { $0.memberName == "Ủy ban Mặt trận Tổ quốc Việt Nam phường" })
        let request = try #require(ward.requests.first { $0.title.hasPrefix("Báo cáo kết quả thực hiện Kế hoạch") })
        #expect(request.state == "request-pending")
        #expect(Set(request.members.map(\.memberName)) == ["Ủy ban Mặt trận Tổ quốc Việt Nam phường", "Hội Liên hiệp Phụ nữ phường",
                                                           "Hội Nông dân phường"])
        let (_, mttq) = try Self.list(unit: "mttq", today: today)
        let own = try #require(mttq.now.first { $0.title.hasPrefix("Báo cáo kết quả thực hiện Kế hoạch") })
        #expect(own.state == "request-pending")
        #expect(own.stateLabel == "Đề nghị, chưa ghi nhận")
        // Before its day, a request says it is one.
        let (_, early) = try Self.list(unit: "mttq", today: CivilDate(year: 2026, month: 12, day: 5)!)
        #expect(early.now.contains { $0.stateLabel == "Đề nghị · Sắp đến hạn" })
    }
}
