import PlanCore
import PlanFeed
import PlanStore

/// One plan as served at one moment, immutable: the plan read from its file, its occurrences,
/// its ledger folded up to `version`, and what was confirmed with them. A change makes a new
/// snapshot (`folding`, `confirmed`, `withFile`); the registry keeps the latest per plan id.
struct PlanSnapshot: Sendable {
    let path: String
    let plan: Plan
    let occurrences: [Occurrence]
    let ledger: CompletionLedger
    /// The plan file as it was when read (taken before reading: an edit landing while it
    /// loads is seen as a change at the next request).
    let file: FileStamp?
    let version: Int64
    /// The store's change stamp taken before `version` was asked.
    let change: ChangeStamp?
    /// Moves with every change of the plan or of its records.
    let generation: Int

    /// A feed builder over the plan as served (cheap: nothing is expanded again).
    var builder: FeedBuilder { FeedBuilder(plan: plan, occurrences: occurrences, ledger: ledger) }

    /// The same plan at another generation.
    func at(generation: Int) -> PlanSnapshot {
        PlanSnapshot(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                     change: change, generation: generation)
    }

    /// The same plan and records, its file seen as `file` (an edit that did not load).
    func withFile(_ file: FileStamp?) -> PlanSnapshot {
        PlanSnapshot(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                     change: change, generation: generation)
    }

    /// The same plan and records, confirmed at the store's change stamp `change`.
    func confirmed(at change: ChangeStamp?) -> PlanSnapshot {
        PlanSnapshot(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                     change: change, generation: generation)
    }

    /// The ledger with `new` folded in, at the store's `version`; a new `generation` only when a
    /// record was folded (the feeds change only then).
    func folding(_ new: [CompletionRecord], version: Int64, generation: Int) -> PlanSnapshot {
        var ledger = ledger
        let before = ledger.count
        ledger.fold(new)
        return PlanSnapshot(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                            change: change, generation: ledger.count != before ? generation : self.generation)
    }
}
