public import PlanStore

/// PostgreSQL's change signal: none that a request can trust, so the version key is asked.
///
/// Another instance's write reaches this one as a `NOTIFY` (`PostgresDatabase.changes()`), but
/// only after the writer's commit and on a connection of its own: a client that wrote through
/// one instance and at once fetched its feed from another could be answered before the
/// notification arrived. Each plan's version is instead a key lookup kept by a trigger
/// (`CompletionRepository.version(plan:)`), asked whenever the signal cannot tell — always here.
extension PostgresCompletionRepository: ChangeSignal {
    public func current() -> ChangeStamp? { nil }
}
