import ArgumentParser
import Foundation
import PlanCore
import PlanFeed

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tạo các tệp lịch iCalendar của kế hoạch.",
        discussion: """
            Ghi <đơn vị>.ics và <đơn vị>-tasks.ics cho mỗi đơn vị (kể cả thành viên), all.ics và all-tasks.ics cho toàn phường, đánh dấu các việc đã ghi nhận hoàn thành. Mỗi tệp được ghi trọn vẹn một lần (không bao giờ ghi dở) và chỉ khi nội dung thay đổi; cùng kế hoạch và bản ghi luôn cho cùng nội dung. Với --plans-dir: mọi kế hoạch trong thư mục, nhiều kế hoạch cùng lúc (mỗi lõi CPU một kế hoạch); lịch của mỗi kế hoạch vào <--out>/<mã kế hoạch>/, hoặc cạnh tệp kế hoạch khi không có --out.
            """)

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Thư mục ghi lịch (mặc định: thư mục của tệp kế hoạch).", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Thư mục chứa kế hoạch của nhiều phường, xã: tạo lịch cho mọi kế hoạch bên dưới (thay cho --plan).", valueName: "dir"))
    var plansDir: String?

    func run() async throws {
        if let plansDir {
            guard planOptions.plan.isEmpty else { throw CLIError("Dùng --plan hoặc --plans-dir, không dùng cả hai") }
            return try await city(plansDir)
        }
        let plan = try planOptions.load()
        let records = try await store.records(plan: plan.id)
        let planPath = try planOptions.path
        let dir = out.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: planPath).deletingLastPathComponent()
        try Generate.checkFolder(dir)
        let written = try Generate.write(plan: plan, records: records, to: dir)
        print("Đã tạo \(written.feeds) lịch trong \(dir.path) (\(written.changed.count) tệp thay đổi).")
        if !written.removed.isEmpty {
            print("Đã xóa \(written.removed.count) tệp lịch cũ của kế hoạch này không còn được tạo (đơn vị đã bỏ hoặc đổi mã): \(written.removed.joined(separator: ", ")).")
        }
        warnOrphans(occurrences: written.occurrences, records: records)
        if let warning = exampleBaseWarning(plan) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
    }

    static func checkFolder(_ dir: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw CLIError("--out: \(dir.path) là một tệp, không phải thư mục; hãy chỉ một thư mục để ghi các lịch")
        }
    }

    struct Written {
        var feeds: Int
        var changed: [String]
        var removed: [String]
        var occurrences: [Occurrence]
    }

    /// Builds every feed of a plan and writes the changed ones into `dir`.
    static func write(plan: Plan, records: [CompletionRecord], to dir: URL) throws -> Written {
        let builder = try FeedBuilder(plan: plan, records: records)
        // Each distinct item serialised once; each feed put together from the pieces as it is written.
        let texts = ItemTexts()
        let parts = try builder.allParts(texts: texts)
        do {
            let (changed, fresh) = try FeedWriter.write(parts, texts, to: dir)
            let removed = fresh ? [] : try FeedWriter.removeStale(keeping: parts.map(\.fileName), plan: plan.id, in: dir)
            return Written(feeds: parts.count, changed: changed, removed: removed, occurrences: builder.occurrences)
        } catch {
            throw CLIError("Không ghi được lịch vào \(dir.path): \(error.localizedDescription)")
        }
    }

    /// Every plan below a folder, as many at once as there are cores: loading, expanding and
    /// building are CPU work, and a country has thousands of plans.
    func city(_ dir: String) async throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--plans-dir: không có thư mục \(dir)")
        }
        let outDir = out.map { URL(fileURLWithPath: $0) }
        if let outDir { try Generate.checkFolder(outDir) }
        let paths = PlanFiles.below(dir)
        let completions = try await store.openForReading()?.completions
        struct Done: Sendable {
            var path: String
            var id: String?
            var feeds = 0
            var changed = 0
            var problem: String?
            var orphans: (occurrences: [Occurrence], records: [CompletionRecord])?
        }
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let results: [Done] = try await withThrowingTaskGroup(of: Done.self) { group in
            var out: [Done] = []
            for (i, path) in paths.enumerated() {
                // At most `width` plans at once: wait for one before starting the next.
                if i >= width, let done = try await group.next() { out.append(done) }
                group.addTask {
                    let plan: Plan
                    do { plan = try PlanLoader.load(path: path) } catch let e as PlanError {
                        return Done(path: path, problem: e.description)
                    }
                    let records = try await completions?.records(plan: plan.id) ?? []
                    let target = outDir?.appendingPathComponent(plan.id) ?? URL(fileURLWithPath: path).deletingLastPathComponent()
                    let w = try Generate.write(plan: plan, records: records, to: target)
                    return Done(path: path, id: plan.id, feeds: w.feeds, changed: w.changed.count,
                                orphans: records.isEmpty ? nil : (w.occurrences, records))
                }
            }
            while let done = try await group.next() { out.append(done) }
            return out.sorted { $0.path < $1.path }
        }
        var seen: [String: String] = [:]
        for r in results {
            guard let id = r.id else { continue }
            if let other = seen[id], outDir != nil {
                throw CLIError("\(r.path): mã kế hoạch \"\(id)\" trùng với \(other): lịch của hai kế hoạch ghi vào cùng thư mục")
            }
            seen[id] = r.path
        }
        let ok = results.filter { $0.problem == nil }
        for r in results where r.problem != nil { FileHandle.standardError.write(Data("Bỏ qua: \(r.problem!)\n".utf8)) }
        for r in ok { if let (occurrences, records) = r.orphans { warnOrphans(occurrences: occurrences, records: records) } }
        guard !ok.isEmpty else { throw CLIError("--plans-dir: không có tệp kế hoạch đọc được trong \(dir)") }
        print("Đã tạo \(ok.reduce(0) { $0 + $1.feeds }) lịch của \(ok.count) kế hoạch (\(ok.reduce(0) { $0 + $1.changed }) tệp thay đổi).")
        if results.count != ok.count { throw ExitCode(1) }
    }
}
