/// A cheap synchronous answer to "may a record have been added since?", asked on every feed
/// request before anything is read from the store. It lives beside the stores, not in the
/// domain: it exists only so that a cached feed can be served without a query.
///
/// Equal stamps mean nothing was added in between, by this process or any other; nil means
/// "cannot tell now", and the caller asks the store (`CompletionRepository.version(plan:)`).
public protocol ChangeSignal: Sendable {
    /// The store's change stamp now, or nil when it cannot tell.
    func current() -> ChangeStamp?
}

/// What a `ChangeSignal` reads: a value that moves whenever the store may have changed.
public enum ChangeStamp: Hashable, Sendable {
    /// Only this process writes (a database in memory): its count of committed appends.
    case ownWrites(Int64)
    /// SQLite's wal-index header, read from shared memory (`WALIndex`), with this process's
    /// committed appends: every commit by any process changes the header.
    case walIndex(ownWrites: Int64, change: UInt32, maxFrame: UInt32, salt: UInt64)
    /// The WAL file's (or, without one, the database file's) identity, size and time, with
    /// this process's committed appends: another process's commit writes the file.
    case walFile(ownWrites: Int64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64)
}
