import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SQLite's wal-index header, read straight from the `-shm` file every connection to a WAL
/// database maps (https://www.sqlite.org/walformat.html, "The WAL-Index Header"). Every commit,
/// by any process, rewrites it under the write lock: `iChange` counts transactions, `mxFrame` is
/// the last valid frame, the salts change when the WAL restarts. Reading it is two 48-byte
/// loads from shared memory, no system call: an exact "has anything been committed since?"
/// for every feed request.
///
/// SQLite writes the second copy of the header, then the first; the copies differ only while
/// a commit is being published, and then `read()` says nil ("ask the database").
// Immutable once made: a read-only mapping, unmapped in `deinit`; reads are checked copies.
final class WALIndex: @unchecked Sendable {
    private let base: UnsafeRawPointer
    private let length: Int
    private let fd: Int32

    /// Maps the `-shm` file of the database at `path`; nil when there is none (not in WAL
    /// mode, or opened immutable) or it cannot be mapped.
    init?(databasePath path: String) {
        let fd = open(path + "-shm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= 136 else {
            close(fd)
            return nil
        }
        let length = 4096
        guard let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            close(fd)
            return nil
        }
        base = UnsafeRawPointer(p)
        self.length = length
        self.fd = fd
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
        close(fd)
    }

    /// (iChange, mxFrame, salt-1 and salt-2) of the header, nil while a commit is publishing it
    /// or before SQLite initialised it.
    func read() -> (change: UInt32, maxFrame: UInt32, salt: UInt64)? {
        // Two copies of 48 bytes (12 words); the isInit byte is at offset 12 of each.
        var first = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var second = first
        withUnsafeMutableBytes(of: &first) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: 48)) }
        withUnsafeMutableBytes(of: &second) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + 48, count: 48)) }
        guard first == second else { return nil }
        let isInit = base.load(fromByteOffset: 12, as: UInt8.self)
        guard isInit == 1 else { return nil }
        let change = base.load(fromByteOffset: 8, as: UInt32.self)
        let maxFrame = base.load(fromByteOffset: 16, as: UInt32.self)
        let salt1 = base.load(fromByteOffset: 32, as: UInt32.self)
        let salt2 = base.load(fromByteOffset: 36, as: UInt32.self)
        // Read again: a commit may have started between the copies and these loads.
        guard base.load(fromByteOffset: 8, as: UInt32.self) == change,
              base.load(fromByteOffset: 48 + 8, as: UInt32.self) == change else { return nil }
        return (change, maxFrame, UInt64(salt1) << 32 | UInt64(salt2))
    }
}
