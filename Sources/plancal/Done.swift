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

    @Option(name: .long, help: ArgumentHelp("Số người dân được tiếp cận (chỉ tiêu tiếp cận của kế hoạch; kế hoạch kèm theo: G6.T1).", valueName: "n"))
    var reached: Int?

    @Option(name: .long, help: ArgumentHelp("Số người tham gia.", valueName: "n"))
    var participants: Int?

    @OptionGroup var recordedBy: RecorderOption

    /// Where the unit already has a record of the day counting residents reached.
    enum SameDay: String, EnumerableFlag {
        case sameEvent, separateEvent

        static func help(for value: SameDay) -> ArgumentHelp? {
            switch value {
            case .sameEvent: return "Đơn vị đã có bản ghi cùng ngày có số người được tiếp cận và đây là cùng một sự kiện: giữ bản ghi, số người chỉ tính một lần."
            case .separateEvent: return "Đơn vị đã có bản ghi cùng ngày có số người được tiếp cận và đây là một sự kiện khác: tính cả hai."
            }
        }
    }

    @Flag var sameDay: SameDay?

    func details(organisations: [String] = []) throws -> CompletionService.Details {
        CompletionService.Details(
            doneOn: try on.map { try parseDate($0, option: "--on") }, evidenceURL: evidence, note: note,
            reached: reached, participants: participants, organisations: organisations,
            sameDayReach: sameDay.map { $0 == .sameEvent ? .sameEvent : .separateEvent })
    }

    var recorder: String { recordedBy.name }
}

/// Why a record is withdrawn or an item waived, and who says so.
struct ReasonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Lý do (bắt buộc).", valueName: "text"))
    var reason: String

    @OptionGroup var recordedBy: RecorderOption

    var recorder: String { recordedBy.name }
}

/// Runs a store operation, turning domain errors into messages for the terminal (naming the
/// option at fault, which the domain's Vietnamese message names in words).
func recording<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let e as CompletionError {
        let options = ["evidence", "note", "reached", "participants", "reason", "by", "organisations", "on", "unit", "record"]
        if let field = e.field, options.contains(field), !e.description.contains("--") {
            throw CLIError("\(e.description) [--\(field)]")
        }
        if e.field == "sameDayReach" { throw CLIError("\(e.description) [--same-event | --separate-event]") }
        throw CLIError(e.description)
    }
}

struct Done: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Đánh dấu một việc đã hoàn thành, kèm minh chứng.",
        discussion: """
            Ghi nhận lại cùng một việc cho cùng đơn vị không ghi thêm gì (và báo như vậy); dùng --correct để thay bản ghi trước. Không bản ghi nào bị xóa.

            Việc đăng tin, bài (việc phục vụ chỉ tiêu có tracking: { rule: per_quarter_with_evidence } hoặc per_month_with_evidence; kế hoạch kèm theo: G6.T3) cần --evidence (đường dẫn bài), hoặc --note nói nơi và ngày đưa tin nếu tin không có đường dẫn (ví dụ phát trên loa truyền thanh). Đơn vị phối hợp ghi nhận phần tham gia của mình; việc được tính hoàn thành khi đơn vị chủ trì ghi nhận.

            Ví dụ:
              plancal done quarterly-news/2026-Q4 --unit vhxh --on 20/11/2026 \\
                --evidence https://bachdang.example/tin/1
            """)

    @Argument(help: ArgumentHelp("Mã việc, ví dụ quarterly-news/2026-Q4 (xem plancal agenda).", valueName: "occurrence-id"))
    var occurrence: String

    @Option(name: .long, help: ArgumentHelp("Đơn vị đã thực hiện.", valueName: "id"))
    var unit: String

    @Flag(name: .long, help: "Thay bản ghi hoàn thành trước của đơn vị (sửa sai; bản ghi cũ vẫn còn trong lịch sử).")
    var correct = false

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Với một việc có counts: [organisations] (kế hoạch kèm theo: Tháng hành động): các tổ chức được phổ biến (mã đơn vị); việc phổ biến trong năm của các tổ chức đó cũng được tính hoàn thành.", valueName: "id"))
    var organisations: [String] = []

    @Option(name: .customLong("figure"), help: ArgumentHelp("Với một việc báo cáo số liệu (figures: trong kế hoạch): một số liệu của năm, <mã>=<giá trị>, ví dụ --figure victims-detected=12; lặp lại cho từng số liệu.", valueName: "name=value"))
    var figure: [String] = []

    @OptionGroup var evidence: EvidenceOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    /// The figure records a data report carries, checked before anything is written.
    func figureRecords(plan: Plan, occurrences: [Occurrence]) async throws -> [FigureRecord] {
        guard !figure.isEmpty else { return [] }
        guard let occ = occurrences.first(where: { $0.id.rawValue == occurrence }),
              let obligation = plan.obligations.first(where: { $0.id == occ.obligationID }) else {
            throw CLIError("--figure: việc \"\(occurrence)\" không thu số liệu nào")
        }
        let declared = obligation.figures.map(\.figure).joined(separator: ", ")
        let unitID = try planUnit(unit, in: plan).id
        var byTarget: [TargetID: [String: Double]] = [:]
        for text in figure {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = FigureValue.parse(parts[1]) else {
                throw CLIError("--figure \"\(text)\": cần <mã số liệu>=<giá trị>, ví dụ victims-detected=12")
            }
            guard let ref = obligation.figures.first(where: { $0.figure == parts[0] || $0.description == parts[0] }) else {
                throw CLIError("--figure: việc \"\(obligation.id)\" không thu số liệu \"\(parts[0])\"" +
                               (declared.isEmpty ? "" : " (các số liệu của việc này: \(declared))"))
            }
            byTarget[ref.target, default: [:]][ref.figure] = value
        }
        let existing = try await store.openForReading()?.figures.figures(plan: plan.id) ?? []
        var accepted: [FigureRecord] = []
        for (target, values) in byTarget.sorted(by: { $0.key < $1.key }) {
            let record = FigureRecord(plan: plan.id, target: target, year: occ.last.year, unit: unitID, values: values,
                                      evidenceURL: evidence.evidence, note: evidence.note ?? "Kèm báo cáo \(occurrence)",
                                      recordedBy: evidence.recorder, recordedAt: UTCDateTime(Date()))
            do {
                accepted.append(try FigureValidator.validate(record, actor: unitID, plan: plan, existing: existing + accepted))
            } catch let e as FigureError {
                throw CLIError("\(e.description) [--figure \(e.field)]")
            }
        }
        return accepted
    }

    func run() async throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let details = try evidence.details(organisations: organisations.flatMap { $0.split(separator: ",").map(String.init) })
        let today = try todayOption.resolve(plan)
        let figures = try await figureRecords(plan: plan, occurrences: occurrences)
        let known = CompletionLedger(records: try await store.records(plan: plan.id))
        let outcome = try await store.write(plan: plan, occurrences: occurrences) { service in
            try await service.markDone(occurrence, unit: unit, details: details, recordedBy: evidence.recorder,
                                 correct: correct, now: UTCDateTime(Date()), today: today, known: known)
        }
        if !figures.isEmpty {
            let repository = try await store.open().figures
            // Checked again under the store's lock for each target and year (a share's other part
            // may have been recorded since).
            for r in figures {
                do { _ = try await FigureValidator.append(r, actor: r.unit, plan: plan, to: repository) } catch let e as FigureError {
                    throw CLIError("\(e.description) [--figure \(e.field)]")
                }
            }
        }
        defer {
            // After the completion's own line: the figures it carried.
            if let year = figures.first?.year {
                print("Đã ghi \(figures.map { $0.values.count }.reduce(0, +)) số liệu năm \(year) kèm báo cáo.")
            }
        }
        // A participating unit records its part; the owner (or its members) completes the item.
        let owns = occurrences.first { $0.id.rawValue == occurrence }?.doneBy.contains { $0.rawValue == unit } ?? true
        let verb = owns ? "hoàn thành" : "tham gia"
        let name = plan.unit(named: unit)?.name ?? unit
        switch outcome {
        case let .recorded(r):
            print("Đã ghi nhận: \(occurrence) — \(name) \(verb) ngày \(r.doneOn?.vietnamese ?? "") (bản ghi số \(r.id ?? 0)).")
            if !owns {
                print("Đơn vị phối hợp đã ghi nhận phần việc của mình; việc được tính hoàn thành khi đơn vị chủ trì ghi nhận.")
            }
            try await store.printFulfilled(by: r, plan: plan, occurrences: occurrences)
        case let .alreadyRecorded(r):
            print("Đã được ghi nhận trước đó: \(occurrence) — \(name) \(verb) ngày \(r.doneOn?.vietnamese ?? "") (bản ghi số \(r.id ?? 0)). Không ghi thêm; dùng --correct để sửa.")
        }
    }
}

struct Undo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hủy một ghi nhận (việc hủy cũng được ghi lại; không bản ghi nào bị xóa).",
        discussion: """
            Hủy ghi nhận hoàn thành một việc: plancal undo <mã việc> --unit <đơn vị> --reason "…"
            Hủy một hoạt động phát sinh (plancal record) hoặc một lần xác định không áp dụng (plancal waive) theo số bản ghi trong plancal history: plancal undo --record <số> --reason "…"
            """)

    @Argument(help: ArgumentHelp("Mã việc (không dùng cùng --record).", valueName: "occurrence-id"))
    var occurrence: String?

    @Option(name: .long, help: ArgumentHelp("Đơn vị được hủy ghi nhận (cùng mã việc).", valueName: "id"))
    var unit: String?

    @Option(name: .long, help: ArgumentHelp("Số bản ghi của hoạt động phát sinh hoặc của lần xác định không áp dụng cần hủy (xem plancal history).", valueName: "n"))
    var record: Int64?

    @OptionGroup var why: ReasonOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let (reason, recordedBy) = (why.reason, why.recorder)
        switch (occurrence, record) {
        case let (nil, id?):
            if unit != nil { throw CLIError("--unit không dùng cùng --record: bản ghi đã cho biết đơn vị") }
            let r = try await store.write(plan: plan, occurrences: occurrences) { service in
                try await service.withdraw(record: id, reason: reason, recordedBy: recordedBy, now: UTCDateTime(Date()))
            }
            print("Đã hủy bản ghi số \(id) của \(plan.name(of: r.unit)) (bản ghi hủy số \(r.id ?? 0)).")
        case let (occurrence?, nil):
            guard let unit else { throw CLIError("Cần --unit: đơn vị được hủy ghi nhận \"\(occurrence)\"") }
            let r = try await store.write(plan: plan, occurrences: occurrences) { service in
                try await service.undo(occurrence, unit: unit, reason: reason, recordedBy: recordedBy, now: UTCDateTime(Date()))
            }
            print("Đã hủy ghi nhận: \(occurrence) — \(plan.unit(named: unit)?.name ?? unit) (bản ghi số \(r.id ?? 0)).")
        case (nil, nil):
            throw CLIError("Cần mã việc (plancal undo <mã việc> --unit …) hoặc --record <số bản ghi>")
        case (_?, _?):
            throw CLIError("Chỉ dùng một trong hai: mã việc hoặc --record")
        }
    }
}

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ghi nhận một hoạt động phát sinh (tin, bài; buổi tuyên truyền; buổi tập huấn) hoặc một vướng mắc.",
        discussion: """
            news: một tin, bài ngoài tin bắt buộc (tính cho chỉ tiêu tin, bài của kế hoạch trong quý đăng; cần --evidence, hoặc --note nói nơi và ngày đưa tin nếu tin không có đường dẫn).
            meeting: một buổi tuyên truyền, phổ biến (--reached tính cho chỉ tiêu tiếp cận, --organisations cho chỉ tiêu phổ biến của kế hoạch; kế hoạch kèm theo: G6.T1, G6.T2).
            training: một buổi tập huấn đã tổ chức (--participants).
            obstacle: một vướng mắc đơn vị nêu với đơn vị chủ trì (--note mô tả vướng mắc; không tính vào chỉ tiêu nào).
            Ghi lại cùng một hoạt động (cùng loại, đơn vị, ngày, đường dẫn, ghi chú và số liệu) không ghi thêm. Hủy một hoạt động ghi nhầm: plancal undo --record <số> --reason "…".
            """)

    @Argument(help: ArgumentHelp("news, meeting, training hoặc obstacle.", valueName: "kind"))
    var kind: CompletionRecord.AdHocKind

    @Option(name: .long, help: ArgumentHelp("Đơn vị tổ chức.", valueName: "id"))
    var unit: String

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Các tổ chức được phổ biến (mã đơn vị), cho chỉ tiêu phổ biến của kế hoạch.", valueName: "id"))
    var organisations: [String] = []

    @OptionGroup var evidence: EvidenceOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var todayOption: TodayOption

    func run() async throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let orgs = organisations.flatMap { $0.split(separator: ",").map(String.init) }
        let details = try evidence.details(organisations: orgs)
        let today = try todayOption.resolve(plan)
        let known = CompletionLedger(records: try await store.records(plan: plan.id))
        let outcome = try await store.write(plan: plan, occurrences: occurrences) { service in
            try await service.recordAdHoc(kind, unit: unit, details: details, recordedBy: evidence.recorder,
                                    now: UTCDateTime(Date()), today: today, known: known)
        }
        let r = outcome.record
        let what = "\(kind.label) ngày \(r.doneOn?.vietnamese ?? "") của \(plan.unit(named: unit)?.name ?? unit) (bản ghi số \(r.id ?? 0))"
        if case .alreadyRecorded = outcome {
            print("Đã được ghi nhận trước đó: \(what). Không ghi thêm.")
        } else {
            print("Đã ghi nhận \(what).")
            try await store.printFulfilled(by: r, plan: plan, occurrences: occurrences)
        }
    }
}

struct Waive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Xác định một việc không áp dụng (đơn vị chủ trì quyết định), kèm lý do.",
        discussion: """
            Việc không áp dụng không còn là việc phải làm hay quá hạn, không tính vào tỷ lệ đúng hạn, và hiện trong báo cáo cùng lý do. Việc đã ghi nhận hoàn thành không xác định không áp dụng được. Hủy: plancal undo --record <số> --reason "…" (số bản ghi trong plancal history).

            Ví dụ: plancal waive budget-estimate/2026 --reason "Năm 2026 kinh phí đã bố trí trong dự toán chung" --by "Chị Lan"
            """)

    @Argument(help: ArgumentHelp("Mã việc (xem plancal agenda).", valueName: "occurrence-id"))
    var occurrence: String

    @OptionGroup var why: ReasonOptions
    @OptionGroup var planOptions: PlanOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let plan = try planOptions.load()
        let occurrences = try Schedule(plan: plan).occurrences()
        let r = try await store.write(plan: plan, occurrences: occurrences) { service in
            try await service.waive(occurrence, reason: why.reason, recordedBy: why.recorder, now: UTCDateTime(Date()))
        }
        let name = occurrences.first { $0.id.rawValue == occurrence }?.name(in: plan) ?? occurrence
        print("Đã xác định không áp dụng: \(name) (bản ghi số \(r.id ?? 0)).")
    }
}

/// `plancal record <kind>` reads the domain's ad hoc kinds by their raw values.
extension CompletionRecord.AdHocKind: ExpressibleByArgument {}
