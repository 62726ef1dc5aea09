import Foundation
import ICal
import PlanCore
import PlanDAV
import PlanFeed

/// What libFuzzer runs for each input (built only by `scripts/fuzz.sh … dav`): the bytes as the
/// body of a CalDAV request, through the same pure functions the server calls: a PROPFIND body
/// (`PropfindRequest.parse`), a REPORT body (`ReportRequest.parse`), and a task app's PUT
/// (`TaskEdit.read`, libical's parser behind it) against a task of the shipped plan, done and
/// not done.
///
/// Refusing an input with a `DAVRequestError` or a `TaskEditError` is the expected outcome. A bug
/// is a crash, a hang, any other error, or an edit read from a text whose plan-owned parts
/// (UID, SUMMARY, DUE) are not the task's.
func davBodyFuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    do { _ = try PropfindRequest.parse(data) } catch {}
    do { _ = try ReportRequest.parse(data) } catch {}
    guard let text = String(data: data, encoding: .utf8) else { return 0 }
    for builder in [fixture.open, fixture.done] {
        let edit: TaskEdit
        do { edit = try TaskEdit.read(text, occurrence: fixture.task, builder: builder, viewer: "vhxh") } catch { continue }
        // Whatever was read must carry the task's own UID, name and due day.
        guard let root = try? ICalComponent(parsing: text), let todo = root.children(.todo).first else {
            fatalError("an edit was read from a text with no VTODO: \(edit)")
        }
        guard todo.value(of: "UID") == FeedBuilder.uid(fixture.task, plan: fixture.plan.id, variant: .tasks),
              todo.value(of: "DUE").map({ String($0.prefix(8)) }) == fixture.task.last.basic else {
            fatalError("an edit was read from another task's text: \(edit)")
        }
        if case let .complete(day, _, _) = edit, let day, day.year < 1 {
            fatalError("a completion day before year 1: \(day)")
        }
    }
    return 0
}

/// The shipped plan, its quarterly news task of 2026 Q4, and builders with it open and done.
let fixture: (plan: Plan, task: Occurrence, open: FeedBuilder, done: FeedBuilder) = {
    do {
        let plan = try PlanLoader.load(path: "calendars/bach-dang/plan.yaml")
        let occurrences = try Schedule(plan: plan).occurrences()
        guard let task = occurrences.first(where: { $0.id == "quarterly-news/2026-Q4" }) else {
            fatalError("the shipped plan has no quarterly-news/2026-Q4")
        }
        let record = CompletionRecord(
            id: 1, plan: plan.id, unit: "vhxh", recordedBy: "fuzz", recordedAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000),
            kind: .done(occurrence: task.id, .init(on: CivilDate(year: 2026, month: 11, day: 20)!,
                                                   evidenceURL: "https://bachdang.example/tin")))
        let open = FeedBuilder(plan: plan, occurrences: occurrences,
                               ledger: CompletionLedger(records: [], plan: plan, occurrences: occurrences))
        let done = FeedBuilder(plan: plan, occurrences: occurrences,
                               ledger: CompletionLedger(records: [record], plan: plan, occurrences: occurrences))
        return (plan, task, open, done)
    } catch {
        fatalError("run from the repository root: the shipped plan did not load: \(error)")
    }
}()
