import Foundation
import ICal
import PlanAPI
import PlanCore
import PlanFeed

/// What reading a write costs before the store sees it, in process: a task app's tick (libical
/// parsing the VTODO sent, then `TaskEdit.read` checking it against the plan's task) beside the
/// API's completion body (`APIBody.decode`, then its details). Each loop runs for `seconds`;
/// prints microseconds per call as `<name>-us N` lines.
func taskReadBench(planPath: String, tick: String, apiBody: Data, seconds: Double) throws {
    let plan = try PlanLoader.load(path: planPath)
    let occurrences = try Schedule(plan: plan).occurrences()
    // Nothing done yet: the tick reads as a completion.
    let builder = FeedBuilder(plan: plan, occurrences: occurrences, ledger: CompletionLedger(records: []))
    let root = try ICalComponent(parsing: tick)
    guard let uid = root.children(.todo).first?.value(of: "UID"),
          let o = occurrences.first(where: { FeedBuilder.uid($0, plan: plan.id, variant: .tasks) == uid }) else {
        throw BenchError("the task's UID names no occurrence of the plan")
    }
    guard case .complete = try TaskEdit.read(tick, occurrence: o, builder: builder, viewer: o.owner) else {
        throw BenchError("the task sent is not a tick")
    }
    func perCall(_ name: String, _ body: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var calls = 0
        var now = start
        while now < end {
            for _ in 0..<100 { try body() }
            calls += 100
            now = DispatchTime.now().uptimeNanoseconds
        }
        print(String(format: "%@-us %.2f", name, Double(now - start) / 1e3 / Double(calls)))
    }
    try perCall("task-parse") { _ = try ICalComponent(parsing: tick) }
    try perCall("task-read") { _ = try TaskEdit.read(tick, occurrence: o, builder: builder, viewer: o.owner) }
    try perCall("api-decode") { _ = try APIBody.decode(DoneBody.self, keys: DoneBody.CodingKeys.self, apiBody).details() }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
