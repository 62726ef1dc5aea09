import Foundation
import PlanCore

/// What libFuzzer runs for each input (built only by `scripts/fuzz.sh`). Each input is tried
/// twice through the path of `plancal check` — YAML, validation, schedule expansion:
///
/// 1. as a whole plan file;
/// 2. as the lines `RRULE`, `DTSTART`, `KEY`, `DAYS` put into a small valid plan
///    (`rulePlan`), since a mutated plan file rarely stays loadable and the rules are where
///    libical's parser and iterator run.
///
/// Refusing an input with a `PlanError` is the expected outcome for nearly every input. A bug is
/// a crash (a trap, a sanitizer report), a hang or a memory blow-up (libFuzzer's `-timeout` and
/// `-rss_limit_mb`), or a plan that loads but breaks a promise the loader makes: that the
/// schedule expands without error, within the occurrence cap, with unique occurrence ids.
func planLoaderFuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    check(data)
    if let plan = rulePlan(data) { check(plan) }
    return 0
}

/// Loads a plan file and expands it, trapping on any broken promise.
func check(_ data: Data) {
    let plan: Plan
    do { plan = try PlanLoader.parse(data: data, file: "fuzz.yaml") } catch is PlanError {
        return
    } catch {
        fatalError("the loader threw something other than a PlanError: \(error)")
    }
    let occurrences: [Occurrence]
    do { occurrences = try Schedule(plan: plan).occurrences() } catch {
        fatalError("plan \(plan.id) loaded but its schedule failed: \(error)")
    }
    precondition(occurrences.count <= PlanLoader.maxOccurrences,
                 "plan \(plan.id) loaded with \(occurrences.count) occurrences, over the cap")
    var ids: Set<OccurrenceID> = []
    for o in occurrences {
        precondition(ids.insert(o.id).inserted, "plan \(plan.id) loaded with occurrence id \(o.id) twice")
        // The schedule makes its ids unchecked; a store reads each back through the check.
        precondition(OccurrenceID(rawValue: o.id.rawValue) == o.id, "occurrence id \(o.id) would not read back")
        precondition(o.first <= o.last, "occurrence \(o.id) ends before it starts")
        precondition(o.last.year <= plan.end.year + 2, "occurrence \(o.id) ends long after the plan")
    }
}

/// A plan with one obligation made from the input's first lines: the rule, its start, its key
/// and, when the fourth line is a number, the span's length. Units include a collective with
/// members, so for_each and participants expand.
func rulePlan(_ data: Data) -> Data? {
    let lines = data.split(separator: UInt8(ascii: "\n"), maxSplits: 4, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    guard lines.count >= 2 else { return nil }
    // A YAML double-quoted scalar: backslash and quote escaped, nothing else to fear.
    func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    var obligation = """
          - id: fuzzed
            title: "Việc thử"
            rrule: \(quoted(lines[0]))
            dtstart: \(quoted(lines[1]))
            for_each: all
            participants: all
            section: "III"

        """
    if lines.count > 2, !lines[2].isEmpty { obligation += "    key: \(quoted(lines[2]))\n" }
    if lines.count > 3, let days = Int(lines[3]) {
        obligation += "    kind: span\n    days: \(days)\n"
    } else {
        obligation += "    kind: deadline\n"
    }
    let plan = """
        plan:
          id: fuzz
          title: "Kế hoạch thử"
          issuer: "UBND phường Thử"
          period: { start: 2025-01-01, end: 2030-12-31 }
          time_zone: Asia/Ho_Chi_Minh
          revised: 2026-11-29
        units:
          - id: lead
            name: "Đơn vị chủ trì"
            role: lead
          - id: to-dan-pho
            name: "Các tổ dân phố"
            members:
              - { id: tdp-1, name: "Tổ dân phố 1" }
              - { id: tdp-2, name: "Tổ dân phố 2" }
        obligations:

        """ + obligation
    return Data(plan.utf8)
}
