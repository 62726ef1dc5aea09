import ArgumentParser
import Foundation
import ICal
import PlanCore

/// The evidence and counts a completion or an ad hoc record may carry.
struct EvidenceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Ngày hoàn thành (mặc định: hôm nay).", valueName: "date"))
    var on: String?

    @Option(name: .long, help: ArgumentHelp("Đường dẫn minh chứng, ví dụ bài đã đăng (http hoặc https).", valueName: "url"))
    var evidence: String?

    @Option(name: .long, help: ArgumentHelp("Ghi chú.", valueName: "text"))
    var note: String?

    @Option(name: .long, help: ArgumentHelp("Số người dân được tiếp cận (G6.T1).", valueName: "n"))
    var reached: Int?

    @Option(name: .long, help: ArgumentHelp("Số người tham gia.", valueName: "n"))
    var participants: Int?

    @Option(name: .long, help: ArgumentHelp("Người ghi nhận (mặc định: $USER).", valueName: "name"))
    var by: String?

    func details(organisations: [String] = []) throws -> CompletionService.Details {
        CompletionService.Details(
            doneOn: try on.map { try parseDate($0, option: "--on") }, evidenceURL: evidence, note: note,
            reached: reached, participants: participants, organisations: organisations)
    }

    var recorder: String { by ?? ProcessInfo.processInfo.environment["USER"] ?? "plancal" }
}

/// Runs a store operation, turning domain errors into messages for the terminal.
func recording<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CompletionError { throw CLIError(e.description) }
}

struct Done: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Đánh dấu một việc đã hoàn thành, kèm minh chứng.",
        discussion: """
            Ghi nhận lại cùng một việc cho cùng đơn vị không ghi thêm gì (và báo như vậy); dùng --correct để thay bản ghi trước. Không bản ghi nào bị xóa.

            Ví dụ:
              plancal done quarterly-news/2026-Q4 --unit vhxh --on 20/11/2026 --evidence https://bachdang.example/tin/1
            """)

    @Argument(help: ArgumentHelp("Mã việc, ví dụ quarterly-news/2026-Q4 (xem plancal agenda).", valueName: "occurrence-id"))
    var occurrence: String

    @Option(name: .long, help: ArgumentHelp("Đơn vị đã thực hiện.", valueName: "id"))
    var unit: String

    @Flag(name: .long, help: "Thay bản ghi hoàn thành trước của đơn vị (sửa sai; bản ghi cũ vẫn còn trong lịch sử).")
    var correct = false

    @OptionGroup var evidence: EvidenceOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let details = try evidence.details()
        let today = try todayOption.resolve(plan)
        let outcome = try store.write { db in
            try recording {
                try CompletionService(plan: plan, occurrences: occurrences, store: db)
                    .markDone(occurrence, unit: unit, details: details, recordedBy: evidence.recorder,
                              correct: correct, now: UTCDateTime(Date()), today: today)
            }
        }
        // A participating unit records its part; the owner (or its members) completes the item.
        let owns = occurrences.first { $0.id == occurrence }?.doneBy.contains(unit) ?? true
        let verb = owns ? "hoàn thành" : "tham gia"
        switch outcome {
        case let .recorded(r):
            print("Đã ghi nhận: \(occurrence) — \(plan.unit(unit)!.name) \(verb) ngày \(r.doneOn!.vietnamese) (bản ghi số \(r.id!)).")
            if !owns {
                print("Đơn vị phối hợp đã ghi nhận phần việc của mình; việc được tính hoàn thành khi đơn vị chủ trì ghi nhận.")
            }
        case let .alreadyRecorded(r):
            print("Đã được ghi nhận trước đó: \(occurrence) — \(plan.unit(unit)!.name) \(verb) ngày \(r.doneOn!.vietnamese) (bản ghi số \(r.id!)). Không ghi thêm; dùng --correct để sửa.")
        }
    }
}

struct Undo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hủy ghi nhận hoàn thành của một đơn vị (được ghi lại, không xóa).")

    @Argument(help: ArgumentHelp("Mã việc.", valueName: "occurrence-id"))
    var occurrence: String

    @Option(name: .long, help: ArgumentHelp("Đơn vị được hủy ghi nhận.", valueName: "id"))
    var unit: String

    @Option(name: .long, help: ArgumentHelp("Lý do (bắt buộc).", valueName: "text"))
    var reason: String

    @Option(name: .long, help: ArgumentHelp("Người ghi nhận (mặc định: $USER).", valueName: "name"))
    var by: String?

    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    func run() throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let r = try store.write { db in
            try recording {
                try CompletionService(plan: plan, occurrences: occurrences, store: db)
                    .undo(occurrence, unit: unit, reason: reason,
                          recordedBy: by ?? ProcessInfo.processInfo.environment["USER"] ?? "plancal",
                          now: UTCDateTime(Date()))
            }
        }
        print("Đã hủy ghi nhận hoàn thành: \(occurrence) — \(plan.unit(unit)!.name) (bản ghi số \(r.id!)).")
    }
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ghi nhận một hoạt động phát sinh được tính cho Mục tiêu 6.",
        discussion: """
            news: một tin, bài ngoài tin bắt buộc (tính cho G6.T3 trong quý đăng; bắt buộc có --evidence).
            meeting: một buổi tuyên truyền, phổ biến (--reached tính cho G6.T1, --organisations cho G6.T2).
            training: một buổi tập huấn đã tổ chức (--participants).
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case news, meeting, training }

    @Argument(help: ArgumentHelp("news, meeting hoặc training.", valueName: "kind"))
    var kind: Kind

    @Option(name: .long, help: ArgumentHelp("Đơn vị tổ chức.", valueName: "id"))
    var unit: String

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Các tổ chức được phổ biến (mã đơn vị), cho G6.T2.", valueName: "id"))
    var organisations: [String] = []

    @OptionGroup var evidence: EvidenceOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let action: CompletionRecord.Action = kind == .news ? .news : kind == .meeting ? .meeting : .training
        let orgs = organisations.flatMap { $0.split(separator: ",").map(String.init) }
        let details = try evidence.details(organisations: orgs)
        let today = try todayOption.resolve(plan)
        let r = try store.write { db in
            try recording {
                try CompletionService(plan: plan, occurrences: occurrences, store: db)
                    .recordAdHoc(action, unit: unit, details: details, recordedBy: evidence.recorder,
                                 now: UTCDateTime(Date()), today: today)
            }
        }
        print("Đã ghi nhận \(Report.actionLabel(action)) ngày \(r.doneOn!.vietnamese) của \(plan.unit(unit)!.name) (bản ghi số \(r.id!)).")
    }
}
