import ArgumentParser
import Foundation
import ICal
import PlanCore

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Đánh dấu một vướng mắc đã được giải quyết (đơn vị chủ trì), kèm cách giải quyết.",
        discussion: """
            Vướng mắc vẫn nằm trong báo cáo năm, ghi "Đã giải quyết ngày … : <cách giải quyết>"; vướng mắc chưa giải quyết ghi "Chưa giải quyết". Số bản ghi của vướng mắc xem trong plancal history --kind obstacle. Hủy: plancal undo --record <số bản ghi giải quyết> --reason "…".

            Ví dụ: plancal resolve --record 12 --note "Đã in 500 tờ rơi tiếng dân tộc, phát ngày 20/11/2026" --by "Chị Lan"
            """)

    @Option(name: .long, help: ArgumentHelp("Số bản ghi của vướng mắc (xem plancal history --kind obstacle).", valueName: "n"))
    var record: Int64

    @Option(name: .long, help: ArgumentHelp("Cách đã giải quyết (bắt buộc).", valueName: "text"))
    var note: String

    @OptionGroup var recordedBy: RecorderOption

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let today = try todayOption.resolve(plan)
        let r = try await store.write(plan: plan, occurrences: occurrences) { service in
            try await service.resolveObstacle(record: record, note: note, recordedBy: recordedBy.name, now: UTCDateTime(Date()),
                                              today: today)
        }
        print("Đã đánh dấu vướng mắc số \(record) đã được giải quyết ngày \(today.vietnamese) (bản ghi số \(r.id ?? 0)).")
    }
}
