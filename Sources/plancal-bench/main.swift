// Benchmarks for the README: wall-clock times of the operations ward officials wait for.
// Run: swift run -c release plancal-bench [--records N] [--db PATH]
//      (or --feed-bytes-per-second SECONDS, or --task-read TICK.ics DONE.json: see bench.py)
// Not a test: it asserts nothing and prints numbers.
import Foundation
import ICal
import PlanCore
import PlanFeed
import PlanStore

func measure<T>(_ label: String, repeat times: Int = 1, _ body: () async throws -> T) async rethrows -> T {
    var result: T?
    var samples: [Double] = []
    for _ in 0..<times {
        let start = DispatchTime.now().uptimeNanoseconds
        result = try await body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    samples.sort()
    let median = samples[samples.count / 2]
    print(String(format: "%-58@ median %9.2f ms  (min %.2f, max %.2f, n=%d)", label as NSString, median,
                 samples.first!, samples.last!, times))
    return result!
}

/// The plan every measure reads (run from the package root).
let planPath = "calendars/bach-dang/plan.yaml"
var args = CommandLine.arguments.dropFirst()
let usage = "usage: plancal-bench [--records N] [--db PATH] | --feed-bytes-per-second SECONDS | --task-read TICK.ics DONE.json"
var count = 10_000
var feedSeconds: Double?
var dbPath = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-bench-\(UUID().uuidString).sqlite").path
while let a = args.popFirst() {
    switch a {
    case "--records": count = Int(args.popFirst() ?? "") ?? count
    case "--db": dbPath = args.popFirst() ?? dbPath
    case "--feed-bytes-per-second": feedSeconds = Double(args.popFirst() ?? "") ?? 5
    case "--task-read":
        // A task app's tick and the API's completion body, read in process (bench.py's caldav part).
        guard let tick = args.popFirst(), let body = args.popFirst() else { print(usage); exit(2) }
        do {
            try taskReadBench(planPath: planPath, tick: try String(contentsOfFile: tick, encoding: .utf8),
                              apiBody: try Data(contentsOf: URL(fileURLWithPath: body)), seconds: 2)
        } catch {
            print("plancal-bench --task-read: \(error)")
            exit(1)
        }
        exit(0)
    default: print(usage); exit(2)
    }
}

/// Python icalendar's peer measure in process: the plan read and expanded once (untimed, as
/// Python parses its calendars once), then every feed of the plan made again and again for
/// `seconds` — items built and serialised by libical, each feed's bytes put together — and the
/// bytes made per second printed as the last line (`bytes/s N`).
if let seconds = feedSeconds {
    let plan = try PlanLoader.load(path: planPath)
    let occurrences = try Schedule(plan: plan).occurrences()
    let ledger = CompletionLedger(records: [])
    var total = 0
    var rounds = 0
    let start = DispatchTime.now().uptimeNanoseconds
    func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    while elapsed() < seconds || rounds < 2 {
        let texts = ItemTexts()
        for parts in try FeedBuilder(plan: plan, occurrences: occurrences, ledger: ledger).allParts(texts: texts) {
            total += parts.feed(texts).text.utf8.count
        }
        rounds += 1
    }
    print("rounds \(rounds)")
    print("bytes/s \(Int(Double(total) / elapsed()))")
    exit(0)
}

let plan = try await measure("load and validate the plan (YAML + libical)", repeat: 20) { try PlanLoader.load(path: planPath) }
let occurrences = try await measure("expand all occurrences 2025–2030 with libical", repeat: 20) { try Schedule(plan: plan).occurrences() }
_ = try await measure("build all 18 feeds (no records)", repeat: 10) { try FeedBuilder(plan: plan, records: []).feeds() }

let store = try AppDatabase(path: dbPath).repositories.completions
let service = try CompletionService(plan: plan, store: store)
let today = CivilDate(year: 2030, month: 12, day: 31)!
let units = plan.allUnits.map(\.id.rawValue)
let organisations = plan.organisations.map(\.id.rawValue)
try await measure("record \(count) ad hoc records (one transaction each, FULL sync)") {
    for i in 0..<count {
        let day = plan.start.adding(days: i % 2190)
        let news = i % 3 == 0
        _ = try await service.recordAdHoc(news ? .news : .meeting, unit: units[i % units.count],
                                    details: .init(doneOn: day, evidenceURL: "https://bachdang.example/tin/\(i)", reached: i % 200,
                                                   organisations: news ? [] : [organisations[i % organisations.count]]),
                                    recordedBy: "bench", now: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + i), today: today)
    }
}
var done = 0
try await measure("mark every occurrence done (\(occurrences.count) checked appends)") {
    for o in occurrences {
        if case .recorded = try await service.markDone(o.id.rawValue, unit: o.owner.rawValue, details: .init(doneOn: min(o.last, today), evidenceURL: "https://bachdang.example/minh-chung/\(o.id)"),
                                                 recordedBy: "bench",
                                                 now: UTCDateTime(secondsSinceEpoch: 1_795_999_999), today: today) { done += 1 }
    }
}
let records = try await measure("read all \(count + done) records back", repeat: 5) { try await store.records(plan: plan.id) }
let ledger = await measure("fold the ledger", repeat: 5) { CompletionLedger(records: records) }
_ = await measure("compliance report over six years (all quarters)", repeat: 10) {
    ComplianceReport(plan: plan, occurrences: occurrences, ledger: ledger, today: today)
}
_ = try await measure("build all 18 feeds with every occurrence done", repeat: 5) { try FeedBuilder(plan: plan, records: records).feeds() }
try? FileManager.default.removeItem(atPath: dbPath)
