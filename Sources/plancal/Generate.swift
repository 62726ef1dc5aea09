import ArgumentParser
import Foundation
import PlanCore
import PlanFeed

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tạo các tệp lịch iCalendar của kế hoạch.",
        discussion: """
            Ghi <đơn vị>.ics và <đơn vị>-tasks.ics cho mỗi đơn vị (kể cả thành viên), all.ics và all-tasks.ics cho toàn phường, đánh dấu các việc đã ghi nhận hoàn thành. Mỗi tệp được ghi trọn vẹn một lần (không bao giờ ghi dở) và chỉ khi nội dung thay đổi; cùng kế hoạch và bản ghi luôn cho cùng nội dung.
            """)

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Thư mục ghi lịch (mặc định: thư mục của tệp kế hoạch).", valueName: "dir"))
    var out: String?

    func run() async throws {
        let plan = try planOptions.load()
        let records = try await store.records(plan: plan.id)
        let builder = try FeedBuilder(plan: plan, records: records)
        let feeds = try builder.feeds()
        let planPath = try planOptions.path
        let dir = out.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: planPath).deletingLastPathComponent()
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw CLIError("--out: \(dir.path) là một tệp, không phải thư mục; hãy chỉ một thư mục để ghi các lịch")
        }
        let changed: [String], removed: [String]
        do {
            changed = try FeedWriter.write(feeds, to: dir)
            removed = try FeedWriter.removeStale(keeping: feeds, plan: plan.id, in: dir)
        } catch {
            throw CLIError("Không ghi được lịch vào \(dir.path): \(error.localizedDescription)")
        }
        print("Đã tạo \(feeds.count) lịch trong \(dir.path) (\(changed.count) tệp thay đổi).")
        if !removed.isEmpty {
            print("Đã xóa \(removed.count) tệp lịch cũ của kế hoạch này không còn được tạo (đơn vị đã bỏ hoặc đổi mã): \(removed.joined(separator: ", ")).")
        }
        warnOrphans(occurrences: builder.occurrences, records: records)
        if let warning = exampleBaseWarning(plan) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
    }
}
