import Foundation
import ICal
import PlanAPI
import PlanCore

/// What libFuzzer runs for each input (built only by `scripts/fuzz.sh … api`): the bytes as the
/// body of `POST /api/<plan>/completions`, of `POST /api/<plan>/undo` and of
/// `POST /api/<plan>/figures`, through the same pure functions the server calls
/// (`APIBody.decode`, `DoneBody.details`, `FigureValidator.validate`) and then the real
/// `CompletionService` of the shipped plan on a repository in memory, or the indicator report
/// of the figures accepted.
///
/// Refusing an input with an `APIBodyError`, a `CompletionError` or a `FigureError` is the
/// expected outcome. A bug is a crash, a hang, any other error, a stored record that is not what
/// the body said, accepted figures outside their bounds, or accepted figures whose indicator
/// report cannot be written (JSON, CSV). The seeds include a body with a key given twice, which
/// `APIBody.decode` refuses.
func apiBodyFuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    done(data)
    undo(data)
    figures(data)
    return 0
}

/// The shipped plan and its occurrences, loaded once.
let fixture: (plan: Plan, occurrences: [Occurrence]) = {
    do {
        let plan = try PlanLoader.load(path: "calendars/bach-dang/plan.yaml")
        return (plan, try Schedule(plan: plan).occurrences())
    } catch {
        fatalError("run from the repository root: the shipped plan did not load: \(error)")
    }
}()

let today = CivilDate(year: 2026, month: 11, day: 29)!

func done(_ data: Data) {
    let body: DoneBody
    let details: CompletionService.Details
    do {
        body = try APIBody.decode(DoneBody.self, keys: DoneBody.CodingKeys.self, data)
        details = try body.details()
    } catch is APIBodyError {
        return
    } catch {
        fatalError("decoding threw something other than APIBodyError: \(error)")
    }
    guard let occurrence = body.occurrence, let unit = body.unit else { return }
    let outcome = blocking { () async -> Result<RecordOutcome, any Error> in
        let store = InMemoryCompletionRepository()
        let service = CompletionService(plan: fixture.plan, occurrences: fixture.occurrences, store: store)
        do {
            return .success(try await service.markDone(occurrence, unit: unit, details: details, recordedBy: "fuzz",
                                                       correct: body.correct ?? false,
                                                       now: UTCDateTime(secondsSinceEpoch: 1_800_000_000), today: today))
        } catch {
            return .failure(error)
        }
    }
    switch outcome {
    case let .success(.recorded(r)):
        precondition(r.occurrenceID?.rawValue == occurrence && r.unit.rawValue == unit, "stored \(r) for \(occurrence) by \(unit)")
        precondition(r.evidenceURL == details.evidenceURL && r.reached == details.reached, "stored \(r) for \(details)")
        precondition(r.doneOn.map { $0 >= fixture.plan.start && $0 <= today } ?? false, "stored a day outside the rules: \(r)")
    case .success(.alreadyRecorded):
        fatalError("an empty store said the record already existed")
    case .failure(let error):
        guard error is CompletionError else { fatalError("markDone threw something other than CompletionError: \(error)") }
    }
}

func undo(_ data: Data) {
    do {
        let body = try APIBody.decode(UndoBody.self, keys: UndoBody.CodingKeys.self, data)
        if let reason = body.reason { _ = try APIBody.required(reason, "reason") }
    } catch is APIBodyError {
        return
    } catch {
        fatalError("decoding threw something other than APIBodyError: \(error)")
    }
}

func figures(_ data: Data) {
    let body: FigureBody
    do {
        body = try APIBody.decode(FigureBody.self, keys: FigureBody.CodingKeys.self, data)
    } catch is APIBodyError {
        return
    } catch {
        fatalError("decoding threw something other than APIBodyError: \(error)")
    }
    guard let targetText = body.target, let unitText = body.unit, let year = body.year, let values = body.values else { return }
    let target: TargetID, unit: UnitID
    do {
        target = try FigureValidator.target(targetText, in: fixture.plan)
        unit = try FigureValidator.unit(unitText, in: fixture.plan)
    } catch is FigureError {
        return
    } catch {
        fatalError("naming the target or the unit threw something other than FigureError: \(error)")
    }
    let record = FigureRecord(plan: fixture.plan.id, target: target, year: year, unit: unit, values: values,
                              evidenceURL: body.evidence, note: body.note, recordedBy: "fuzz",
                              recordedAt: UTCDateTime(secondsSinceEpoch: 1_800_000_000))
    let valid: FigureRecord
    do {
        valid = try FigureValidator.validate(record, actor: fixture.plan.leadUnit?.id ?? unit, plan: fixture.plan, existing: [])
    } catch is FigureError {
        return
    } catch {
        fatalError("validation threw something other than FigureError: \(error)")
    }
    precondition(valid.values.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= FigureValue.largest }, "accepted \(valid.values)")
    // Accepted figures never make the year's indicators fail.
    let compliance = ComplianceReport(plan: fixture.plan, occurrences: fixture.occurrences,
                                      ledger: CompletionLedger(records: []), today: today, year: year)
    let report = IndicatorReport(plan: fixture.plan, figures: [valid], compliance: compliance, year: year)
    do { _ = try report.json() } catch { fatalError("the indicators of \(valid.values) cannot be written: \(error)") }
    _ = report.csv(plan: fixture.plan)
}

/// A result carried out of a task (written once, read after the semaphore).
final class Box<T>: @unchecked Sendable { var value: T? }

/// Runs async work to its end from libFuzzer's synchronous callback.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Box<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}
