import Foundation
import Logging
import PlanCore
import PlanStore

/// Reads a plan file into a snapshot and keeps snapshots' ledgers up to date with the store:
/// it asks the store's version and folds only the records after the last one folded. No state
/// of its own: the registry decides when to call it and keeps what it returns.
struct LedgerRefresher: Sendable {
    let completions: any CompletionRepository
    /// The store's change signal (nil: none; every check asks the store).
    let signal: (any ChangeSignal)?
    let logger: Logger

    /// The store's change stamp now.
    func changeStamp() -> ChangeStamp? { signal?.current() }

    /// A plan file read, scheduled and folded with every record of its plan (generation 0: the
    /// registry gives it one when it puts it in place).
    func load(path: String) async throws -> PlanSnapshot {
        let file = FileStamp(path: path)
        let plan = try PlanLoader.load(path: path)
        let occurrences = try Schedule(plan: plan).occurrences()
        let change = changeStamp()
        let version = try await completions.version(plan: plan.id)
        let ledger = CompletionLedger(records: try await completions.records(plan: plan.id), plan: plan, occurrences: occurrences)
        return PlanSnapshot(path: path, plan: plan, occurrences: occurrences, ledger: ledger, file: file, version: version,
                            change: change, generation: 0)
    }

    /// The plan's version in the store, with the change stamp taken before it was asked (a
    /// write landing after the read moves the stamp again); nil while the database is away: the
    /// caller keeps serving what it has (the stamp stays unconfirmed, so the next request asks
    /// again; writes answer 503 meanwhile).
    func version(of id: String) async throws -> (change: ChangeStamp?, version: Int64)? {
        let change = changeStamp()
        return try await available(id) { (change, try await completions.version(plan: id)) }
    }

    /// The plan's records after `after`, oldest first; nil while the database is away.
    func records(of id: String, after: Int64) async throws -> [CompletionRecord]? {
        try await available(id) { try await completions.records(plan: id, after: after) }
    }

    private func available<T>(_ id: String, _ read: () async throws -> T) async throws -> T? {
        do { return try await read() } catch StorageError.unavailable(let detail) {
            logger.warning("database unavailable; serving the last state read", metadata: ["plan": "\(id)", "error": "\(detail)"])
            return nil
        }
    }

    /// The plans among `snapshots` whose records did not change, checked with one read of every
    /// plan's version (nil when the store cannot give them so): a stamp that moved for another
    /// reason (the fetch log, another plan's write) is confirmed for all of them at once.
    func unchanged(_ snapshots: some Collection<PlanSnapshot>) async -> [String]? {
        guard let versions = try? await completions.versions() else { return nil }
        return snapshots.filter { (versions[$0.plan.id] ?? 0) == $0.version }.map(\.plan.id)
    }
}
