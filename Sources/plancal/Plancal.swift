import ArgumentParser
import Foundation
import ICal
import PlanCore
import PlanFeed
import PlanStore
import PlanStorePostgres
import Logging

@main
struct Plancal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plancal",
        abstract: "Biến kế hoạch hành động thành lịch, danh sách công việc và báo cáo tiến độ.",
        discussion: """
            Kế hoạch là một tệp YAML (định dạng trong README.md); kế hoạch kèm theo là calendars/bach-dang/plan.yaml. Các ghi nhận hoàn thành được lưu trong SQLite (mặc định data/plancal.sqlite, hoặc $PLANCAL_DB). Ngày viết dạng dd/mm/yyyy hoặc yyyy-mm-dd.
            """,
        subcommands: [Check.self, Generate.self, Agenda.self, Done.self, Undo.self, Record.self, Waive.self, Resolve.self,
                      Status.self, History.self, Compliance.self, Figure.self, Baseline.self, Indicators.self, AnnualReportCommand.self,
                      Serve.self, Token.self])

    /// Runs the command; plancal's own errors are printed as they are (in Vietnamese, for the
    /// ward officials reading them) with exit code 1; argument errors keep ArgumentParser's usage text.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("Lỗi: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch let error as StorageError {
            // A full disk, a read-only or unreachable database: nothing was written.
            FileHandle.standardError.write(Data("Lỗi: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// `--plan`, shared by every command that reads a plan.
struct PlanOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Tệp kế hoạch (mặc định: calendars/bach-dang/plan.yaml).", valueName: "path"))
    var plan: [String] = []

    /// The one plan file named (several are an error, not a silent choice).
    var path: String {
        get throws {
            guard plan.count <= 1 else {
                throw CLIError("Lệnh này chỉ nhận một --plan (nhận được \(plan.count): \(plan.joined(separator: ", "))); với nhiều kế hoạch, dùng --plans-dir nếu lệnh có")
            }
            return plan.first ?? "calendars/bach-dang/plan.yaml"
        }
    }

    func load() throws -> Plan {
        let path = try path
        do { return try PlanLoader.load(path: path) } catch let e as PlanError {
            throw CLIError(e.description)
        }
    }
}

/// `--db`, shared by every command that reads or writes completions: an SQLite file (the
/// embedded default) or a PostgreSQL address.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Cơ sở dữ liệu: tệp SQLite, hoặc địa chỉ PostgreSQL postgres://người-dùng@máy:cổng/tên (mặc định: $PLANCAL_DB hoặc data/plancal.sqlite).", valueName: "path|url"))
    var db: String?

    var path: String { db ?? ProcessInfo.processInfo.environment["PLANCAL_DB"] ?? "data/plancal.sqlite" }

    /// True for a PostgreSQL address.
    var isPostgres: Bool { path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") }

    /// True when the database exists (a PostgreSQL database always does).
    var exists: Bool { isPostgres || FileManager.default.fileExists(atPath: path) }

    /// Opens the database for writing, creating an SQLite file when missing.
    func open(poolSize: Int = 2) async throws -> Repositories {
        if isPostgres { return try await postgres(poolSize: poolSize).repositories }
        do { return try AppDatabase(path: path).repositories } catch {
            throw CLIError("\(error)")
        }
    }

    /// Opens an existing database for reading (nil when there is none: reading never creates
    /// it). An SQLite file is opened read-only.
    func openForReading() async throws -> Repositories? {
        guard exists else { return nil }
        if isPostgres { return try await postgres(poolSize: 2).repositories }
        do { return try AppDatabase(path: path, readOnly: true).repositories } catch let e as StoreError {
            // An older file this process may write still needs its migrations: open it for writing.
            guard FileManager.default.isWritableFile(atPath: path) else { throw CLIError("\(e)") }
            return try await open()
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// The PostgreSQL database at `path`; its connections close when the process ends.
    func postgres(poolSize: Int) async throws -> PlanStorePostgres.PostgresDatabase {
        var logger = Logger(label: "plancal.postgres")
        logger.logLevel = .error
        do {
            return try await PlanStorePostgres.PostgresDatabase.open(url: path, poolSize: poolSize, logger: logger)
        } catch let e as PostgresURLError {
            throw CLIError("--db: \(e.description)")
        }
    }

    /// Runs a write through a completion service on the store, its refusals as terminal
    /// messages. When an SQLite file does not exist yet, the write is first tried on an empty
    /// store in memory, so a refused write leaves no new file behind.
    func write<T>(plan: Plan, occurrences: [Occurrence],
                  _ body: (CompletionService) async throws -> T) async throws -> T {
        func run(_ store: any CompletionRepository) async throws -> T {
            try await recording { try await body(CompletionService(plan: plan, occurrences: occurrences, store: store)) }
        }
        if !exists {
            _ = try await run(InMemoryCompletionRepository())
        }
        return try await run(try await open().completions)
    }

    /// Records of a plan; none when the database does not exist yet (reading never creates it).
    func records(plan: String) async throws -> [CompletionRecord] {
        try await openForReading()?.completions.records(plan: plan) ?? []
    }

    /// What the store holds for a plan, read for a report: its records folded into the ledger over
    /// the plan's occurrences (warning of records of occurrences it no longer has) and, with
    /// `withFigures`, its figures and baselines. Empty when the database does not exist yet.
    func recorded(plan: Plan, withFigures: Bool = false) async throws -> Recorded {
        let repositories = try await openForReading()
        let records = try await repositories?.completions.records(plan: plan.id) ?? []
        let occurrences = try Schedule(plan: plan).occurrences()
        warnOrphans(occurrences: occurrences, records: records)
        var recorded = Recorded(occurrences: occurrences,
                                ledger: CompletionLedger(records: records, plan: plan, occurrences: occurrences))
        if withFigures, let repositories {
            recorded.figures = try await repositories.figures.figures(plan: plan.id)
            recorded.baselines = try await repositories.baselines.baselines(plan: plan.id)
        }
        return recorded
    }

    /// See `recorded(plan:withFigures:)`.
    struct Recorded {
        var occurrences: [Occurrence]
        var ledger: CompletionLedger
        var figures: [FigureRecord] = []
        var baselines: [BaselineRecord] = []
    }

    /// Prints what a record just stored also completes (`fulfilled_by:`): the dissemination of
    /// each organisation a meeting informed, the quarter's news item, the action month's planning.
    func printFulfilled(by record: CompletionRecord, plan: Plan, occurrences: [Occurrence]) async throws {
        guard let id = record.id else { return }
        let ledger = CompletionLedger(records: try await records(plan: plan.id), plan: plan, occurrences: occurrences)
        let ids = ledger.fulfilled.filter { $0.value.via?.id == id }.keys.sorted()
        guard !ids.isEmpty else { return }
        print("Cũng được tính hoàn thành (theo fulfilled_by: của kế hoạch):")
        for occ in ids {
            print("  \(occ): \(occurrences.first { $0.id == occ }?.name(in: plan) ?? occ.rawValue)")
        }
    }
}

/// `--today`, so reports and tests can fix the date; otherwise the plan's local date now.
struct TodayOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Coi ngày này là hôm nay (dd/mm/yyyy hoặc yyyy-mm-dd).", valueName: "date"))
    var today: String?

    func resolve(_ plan: Plan) throws -> CivilDate {
        guard let today else { return CivilDate(instant: Date(), utcOffsetSeconds: plan.utcOffsetSeconds) }
        guard let d = CivilDate(parsing: today) else {
            throw CLIError("--today: \"\(today)\" không phải là ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)")
        }
        return d
    }
}

/// Warns (on stderr) about records of occurrences the plan no longer has, e.g. after a
/// collective's members were listed and its own per-unit occurrences went away: they are kept
/// in the history but count nowhere, and the person should know.
func warnOrphans(occurrences: [Occurrence], records: [CompletionRecord]) {
    let ids = Set(occurrences.map(\.id))
    // Only completions still standing: an orphan already undone needs no attention.
    let orphans = CompletionLedger(records: records).occurrencesWithCompletions.filter { !ids.contains($0) }
    guard !orphans.isEmpty else { return }
    let shown = orphans.prefix(5).map(\.rawValue).joined(separator: ", ") + (orphans.count > 5 ? ", …" : "")
    FileHandle.standardError.write(Data("""
        Lưu ý: có bản ghi của \(orphans.count) việc không còn trong kế hoạch (\(shown)); các bản ghi này vẫn ở trong lịch sử nhưng không được tính. Xem plancal history; hủy một bản ghi như vậy bằng plancal undo --record <số>.

        """.utf8))
}

/// Who is recorded as having made a record (`done`, `undo`, `record`, `waive`, `figure`,
/// `baseline`, `resolve`): `--by`, else the login name of the person running the command (never
/// the program's name).
struct RecorderOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Người ghi nhận (mặc định: tên đăng nhập của máy).", valueName: "name"))
    var by: String?

    var name: String { recorderName(by) }
}

private func recorderName(_ by: String?) -> String {
    if let by { return by }
    let env = ProcessInfo.processInfo.environment
    for key in ["USER", "LOGNAME"] { if let name = env[key], !name.isEmpty { return name } }
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
    return NSUserName()
}

/// The year a report is for (`compliance`, `indicators`, `report`): `--year` when it lies within
/// the plan, else this year brought within the plan.
struct ReportYearOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Năm báo cáo (mặc định: năm hiện tại).", valueName: "yyyy"))
    var year: Int?

    /// `--year` checked against the plan; nil when not given.
    func given(_ plan: Plan) throws -> Int? {
        try checkYear(year, in: plan)
        return year
    }

    /// `--year`, or this year within the plan's years.
    func resolve(_ plan: Plan, today: CivilDate) throws -> Int {
        try given(plan) ?? plan.reportYear(today: today)
    }
}

/// Refuses a `--year` outside the plan's years.
func checkYear(_ year: Int?, in plan: Plan) throws {
    if let year, !plan.years.contains(year) {
        throw CLIError("--year \(year) nằm ngoài thời gian của kế hoạch (\(plan.start.year)–\(plan.end.year))")
    }
}

/// An error for the person at the terminal: printed as is, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func parseDateOrNil(_ text: String) -> CivilDate? { CivilDate(parsing: text) }

func parseDate(_ text: String, option: String) throws -> CivilDate {
    do { return try DayText.parse(text) } catch {
        throw CLIError("\(option): \(error.description) (dd/mm/yyyy hoặc yyyy-mm-dd)")
    }
}

/// Links in the feeds point at the dashboard at the plan's public base URL: an example
/// address reaches nobody (`check` and `generate` say so; `serve` logs it).
func exampleBaseWarning(_ plan: Plan) -> String? {
    guard plan.publicBaseIsExample, let base = plan.publicBaseURL else { return nil }
    return "Lưu ý: public_base_url (\(base)) là địa chỉ ví dụ; hãy ghi địa chỉ thật của trang tổng quan vào tệp kế hoạch để các liên kết trong lịch mở được."
}
