import Foundation
import GRDB
public import PlanCore

/// The SQLite database behind plancal: completion records, unit tokens, browser sessions
/// and the feed fetch log. One `AppDatabase` owns one `DatabaseWriter` (a WAL pool on disk, a
/// queue in memory for tests).
public final class AppDatabase: Sendable {
    let writer: any DatabaseReader
    /// False when opened read-only: every write is refused with `StorageError.readOnly`.
    public let isWritable: Bool
    /// The file, nil in memory.
    public let path: String?
    /// Moves whenever a record may have been committed (the server's feeds ask it per request).
    public let changes: SQLiteChangeSignal
    /// Concurrent appends, committed together (group commit).
    let appends = AppendQueue()

    /// Opens (creating if needed) the database at a path and migrates it. With `readOnly`,
    /// opens an existing, migrated database for reading only and never writes to it (a
    /// read-only file or folder can then still be read).
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        changes = SQLiteChangeSignal(path: path)
        if readOnly {
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(15)
            do {
                let queue: DatabaseQueue
                do {
                    queue = try DatabaseQueue(path: path, configuration: config)
                } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode) {
                    // A WAL database whose -shm file is gone and cannot be made (a read-only
                    // folder or copy): SQLite opens it only as immutable, without locking.
                    queue = try DatabaseQueue(path: AppDatabase.immutableURI(path), configuration: config)
                }
                let applied = try queue.read { db in try AppDatabase.migrator.appliedIdentifiers(db) }
                let missing = AppDatabase.migrator.migrations.filter { !applied.contains($0) }
                guard missing.isEmpty else {
                    throw StoreError.cannotOpen(path: path, reason: "cơ sở dữ liệu cần được nâng cấp (\(missing.joined(separator: ", "))) nhưng chỉ mở được để đọc")
                }
                writer = queue
            } catch let e as StoreError { throw e } catch {
                throw StoreError.cannotOpen(path: path, reason: "\(error)")
            }
            isWritable = false
            return
        }
        isWritable = true
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = Configuration()
        // Several processes (CLI and server) may write at once: wait for the lock.
        config.busyMode = .timeout(15)
        config.prepareDatabase { db in
            // An acknowledged record must survive a crash or power cut, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // Switching a new file to WAL takes an exclusive lock that SQLite's busy handler does
        // not wait for: when several processes create the database at once, the losers retry.
        var attempt = 0
        while true {
            do {
                writer = try DatabasePool(path: path, configuration: config)
                break
            } catch let error as DatabaseError where attempt < 20 && (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR].contains(error.resultCode) {
                throw AppDatabase.openError(path: path, error)
            } catch {
                throw StoreError.cannotOpen(path: path, reason: "\(error)")
            }
        }
        try migrate()
    }

    /// An SQLite URI opening a file as immutable (Debian's SQLite accepts URI filenames).
    static func immutableURI(_ path: String) -> String {
        URL(fileURLWithPath: path).absoluteString + "?immutable=1"
    }

    /// A failure to open or migrate a file, for the person who has to fix it.
    static func openError(path: String?, _ error: DatabaseError) -> any Error {
        let detail = "\(path ?? ":memory:"): \(error.message ?? "\(error.resultCode)")"
        switch error.resultCode {
        case .SQLITE_READONLY: return StorageError.readOnly(detail)
        case .SQLITE_FULL: return StorageError.full(detail)
        case .SQLITE_IOERR where isFull(path): return StorageError.full(detail)
        default: return StoreError.cannotOpen(path: path ?? ":memory:", reason: "\(error)")
        }
    }

    /// An empty database in memory.
    public init() throws {
        path = nil
        changes = SQLiteChangeSignal(path: nil)
        writer = try DatabaseQueue()
        isWritable = true
        try migrate()
    }

    /// The writer, or `StorageError.readOnly` when the database was opened read-only.
    func writable() throws -> any DatabaseWriter {
        guard let w = writer as? any DatabaseWriter, isWritable else {
            throw StorageError.readOnly("cơ sở dữ liệu được mở ở chế độ chỉ đọc")
        }
        return w
    }

    /// The repositories on this database.
    public var repositories: Repositories {
        Repositories(completions: SQLiteCompletionRepository(self), tokens: SQLiteTokenRepository(self),
                     sessions: SQLiteSessionRepository(self), fetches: SQLiteFetchLogRepository(self),
                     figures: SQLiteFigureRepository(self), baselines: SQLiteBaselineRepository(self))
    }

    /// Several processes may open a new database at once (the CLI while the server starts):
    /// each migration is one transaction, so a process that loses the race sees "table
    /// already exists" (or, for a migration whose statements all succeed again, the winner's
    /// row in the migrations table), rolls back, and on retry finds the migration applied.
    private func migrate() throws {
        var attempt = 0
        let writer = try writable()
        while true {
            do {
                try AppDatabase.migrator.migrate(writer)
                return
            } catch let error as DatabaseError where attempt < 10
                && [.SQLITE_ERROR, .SQLITE_BUSY, .SQLITE_CONSTRAINT].contains(error.resultCode) {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR].contains(error.resultCode) {
                throw AppDatabase.openError(path: path, error)
            }
        }
    }
}

/// Storage failures, named for the person who has to fix them.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The database file cannot be opened.
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "Không mở được cơ sở dữ liệu \(path): \(reason)"
        }
    }
}
