import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says of a file, enough to tell that it changed: its identity (device, inode),
/// size and modification time in nanoseconds. One system call, no allocation: cheap enough
/// for every request (Foundation's `attributesOfItem` builds a dictionary each time).
public struct FileStamp: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time, nanoseconds since 1970.
    public var modifiedNanoseconds: Int64

    /// The file's stamp, nil when it cannot be read (missing, no permission).
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        #if canImport(Darwin)
        modifiedNanoseconds = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        modifiedNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
    }

    /// A stamp from its parts (tests).
    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
    }

    /// The wall clock now, in nanoseconds since 1970 (the clock file times are taken from).
    public static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The kernel stamps file times from a coarse clock (one tick, up to 10 ms): two writes
    /// within one tick can leave the same time and, once the WAL is reused from its start, the
    /// same size. A stamp this recent cannot be trusted to change with the next write.
    public static let settleNanoseconds: Int64 = 30_000_000

    /// True when the file was modified too recently for an unchanged stamp to prove that
    /// nothing was written since.
    public func isSettled(now: Int64 = FileStamp.nowNanoseconds()) -> Bool {
        now - modifiedNanoseconds > FileStamp.settleNanoseconds
    }
}
