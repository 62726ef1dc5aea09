import Foundation
import PlanCore
import Synchronization

/// SQLite's change signal: moves whenever a record may have been committed, by this process or
/// any other. This process's own appends are counted after their commit (`committed()`, called
/// by the group commit); another process's commit rewrites SQLite's wal-index header in shared
/// memory (the `-shm` file every connection maps), read here without a system call. Where that
/// cannot be mapped, the WAL file's (or the database file's) identity, size and time stand in;
/// the kernel stamps times from a coarse clock, so a file written within the last few
/// milliseconds proves nothing and the signal says nil (ask the database).
public final class SQLiteChangeSignal: ChangeSignal {
    /// The database file, nil in memory (only this process writes it then).
    private let path: String?
    private let writes = Atomic<Int64>(0)
    /// The wal-index, mapped on first use (the `-shm` file exists once a connection has used the
    /// WAL; a database opened immutable has none), with the attempts made so far.
    private let walIndex = Mutex<(index: WALIndex?, tries: Int)>((nil, 0))

    init(path: String?) {
        self.path = path
    }

    /// This process's committed appends so far.
    public var ownWrites: Int64 { writes.load(ordering: .acquiring) }

    /// Counts an append; call it once the commit is visible to readers.
    func committed() {
        writes.add(1, ordering: .releasing)
    }

    public func current() -> ChangeStamp? {
        let own = writes.load(ordering: .acquiring)
        guard let path else { return .ownWrites(own) }
        if let index = mappedIndex(path) {
            guard let h = index.read() else { return nil }
            return .walIndex(ownWrites: own, change: h.change, maxFrame: h.maxFrame, salt: h.salt)
        }
        guard let stamp = FileStamp(path: path + "-wal") ?? FileStamp(path: path), stamp.isSettled() else { return nil }
        return .walFile(ownWrites: own, inode: stamp.inode, size: stamp.size, modifiedNanoseconds: stamp.modifiedNanoseconds)
    }

    private func mappedIndex(_ path: String) -> WALIndex? {
        walIndex.withLock { state in
            if state.index == nil, state.tries < 1000 {
                state.tries += 1
                state.index = WALIndex(databasePath: path)
            }
            return state.index
        }
    }
}

/// The SQLite completion repository gives its database's change signal.
extension SQLiteCompletionRepository: ChangeSignal {
    public func current() -> ChangeStamp? { database.changes.current() }
}
