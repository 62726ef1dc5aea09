import ICal
@testable import PlanCore
import Testing

@Suite("Completion ledger folded in pieces")
struct CompletionLedgerTests {
    /// A deterministic history of done, undo, ad hoc records and withdrawals over a few
    /// occurrences and units (a linear congruential generator: the same every run).
    static func history(_ n: Int, seed: UInt64) -> [CompletionRecord] {
        var x = seed
        func next(_ m: Int) -> Int {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((x >> 33) % UInt64(m))
        }
        let occurrences: [OccurrenceID] = ["a/2025", "a/2026", "b/2025-Q1", "b/2025-Q2", "c/2027"]
        let units: [UnitID] = ["vhxh", "cong-an", "mttq"]
        var out: [CompletionRecord] = []
        var adHocIDs: [Int64] = []
        for i in 1...n {
            let id = Int64(i)
            let at = UTCDateTime(secondsSinceEpoch: 1_750_000_000 + next(1_000_000))
            let unit = units[next(units.count)]
            let day = CivilDate(year: 2025, month: 1 + next(12), day: 1 + next(28))!
            switch next(10) {
            case 0...4:
                out.append(CompletionRecord(id: id, plan: "p", unit: unit, recordedBy: "t", recordedAt: at,
                                            kind: .done(occurrence: occurrences[next(occurrences.count)], .init(on: day, reached: next(50)))))
            case 5, 6:
                out.append(CompletionRecord(id: id, plan: "p", unit: unit, recordedBy: "t", recordedAt: at,
                                            kind: .undo(occurrence: occurrences[next(occurrences.count)], reason: "r")))
            case 7, 8:
                let kind: CompletionRecord.AdHocKind = [.news, .meeting, .training][next(3)]
                out.append(CompletionRecord(id: id, plan: "p", unit: unit, recordedBy: "t", recordedAt: at,
                                            kind: .adHoc(kind, .init(on: day, reached: next(99)))))
                adHocIDs.append(id)
            default:
                guard !adHocIDs.isEmpty else { continue }
                out.append(CompletionRecord(id: id, plan: "p", unit: unit, recordedBy: "t", recordedAt: at,
                                            kind: .withdrawal(of: adHocIDs[next(adHocIDs.count)], occurrence: nil, reason: "r")))
            }
        }
        return out
    }

    /// What the server does: one fold at start, then the records after the last id seen, in
    /// batches of any size; the result equals one fold of the whole history.
    @Test("folding new records in batches equals one fold of everything", arguments: [1, 7, 64, 2000])
    func incrementalEqualsFull(batch: Int) {
        let records = CompletionLedgerTests.history(3000, seed: UInt64(batch))
        let full = CompletionLedger(records: records)
        var ledger = CompletionLedger(records: Array(records.prefix(100)))
        var rest = records.dropFirst(100)
        while !rest.isEmpty {
            ledger.fold(rest.prefix(batch))
            rest = rest.dropFirst(batch)
        }
        #expect(ledger == full)
        #expect(ledger.adHoc == full.adHoc)
        #expect(ledger.lastID == records.last?.id)
        for occ: OccurrenceID in ["a/2025", "a/2026", "b/2025-Q1", "b/2025-Q2", "c/2027"] {
            #expect(ledger.completions(of: occ) == full.completions(of: occ))
            #expect(ledger.changeCount(of: occ) == full.changeCount(of: occ))
            #expect(ledger.lastChange(of: occ) == full.lastChange(of: occ))
        }
    }

    /// Two refreshes racing may both fetch the same new records: folding them twice changes nothing.
    @Test func overlappingFoldsAreIdempotent() {
        let records = CompletionLedgerTests.history(500, seed: 42)
        var ledger = CompletionLedger(records: Array(records.prefix(300)))
        ledger.fold(records[200...])
        ledger.fold(records[250...])
        #expect(ledger == CompletionLedger(records: records))
    }

    /// The ad hoc list is what the history says: records not withdrawn, oldest first.
    @Test func adHocMatchesTheHistory() {
        let records = CompletionLedgerTests.history(3000, seed: 7)
        let withdrawn = Set(records.compactMap { $0.action == .undo ? $0.withdraws : nil })
        let expected = records.filter { $0.occurrenceID == nil && $0.action != .undo && !withdrawn.contains($0.id ?? -1) }
        #expect(CompletionLedger(records: records).adHoc == expected)
    }
}
