import ArgumentParser
import Foundation
import PlanCore
import PlanFeed

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tạo các tệp lịch iCalendar của kế hoạch.",
        discussion: """
            Writes <unit>.ics and <unit>-tasks.ics for every unit (and member), and all.ics and all-tasks.ics for the whole plan, marking the occurrences recorded as done. Each file is written atomically, and only when its bytes change; the same plan and records always give the same bytes.
            """)

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Thư mục ghi lịch (mặc định: thư mục của tệp kế hoạch).", valueName: "dir"))
    var out: String?

    func run() throws {
        let plan = try planOptions.load()
        let records = try store.records(plan: plan.id)
        let feeds = try FeedBuilder(plan: plan, records: records).feeds()
        let dir = out.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: planOptions.plan).deletingLastPathComponent()
        let changed: [String]
        do { changed = try FeedWriter.write(feeds, to: dir) } catch {
            throw CLIError("Không ghi được lịch vào \(dir.path): \(error.localizedDescription)")
        }
        print("Đã tạo \(feeds.count) lịch trong \(dir.path) (\(changed.count) tệp thay đổi).")
    }
}
