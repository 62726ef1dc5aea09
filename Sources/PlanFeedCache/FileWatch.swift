import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Says whether a plan file may have changed since a moment without a `stat` of its path on
/// every request. A `stat` walks the path and cost 8 % of a 304's CPU in a profile (1.4 µs
/// here); a read of an empty inotify queue costs 0.4 µs.
///
/// A ticket is taken before the `stat` that confirms a file; while no event has named the file
/// since, the file is as that `stat` saw it. The kernel queues an event inside the writer's own
/// system call (a write, a rename over the file, a `touch`, an unlink), before the writer can
/// send the request that expects to see the change, and `unchanged` reads the queue first: an
/// edit shows at the next request, as with a `stat`.
///
/// What inotify does not see — a symbolic link switched in a directory above, another hard link
/// written in another folder, a change made on another machine of a network file system — is
/// caught by the caller's `stat` at least once a second (`FeedCache.restatAfter`). A plan file
/// that is itself a symbolic link gets no ticket (its target's folder is not watched), nor
/// does any file where inotify is missing or out of watches: those are checked on every request.
// `lock` guards `directories`, the marks' counts and `buffer`; `descriptor` is set once.
public final class FileWatch: @unchecked Sendable {
    /// The changes seen so far to one watched file (bumped under the watch's lock).
    public final class Mark {
        fileprivate var changes: UInt64 = 0
    }

    public struct Ticket {
        let mark: Mark
        let seen: UInt64
    }

    private let lock = NSLock()
    private let descriptor: CInt
    private var buffer: UnsafeMutableRawBufferPointer
    private struct Directory {
        var marks: [String: Mark] = [:]
    }
    private var directories: [CInt: Directory] = [:]

    /// The process's watch (one inotify instance: a user has 128 at most).
    public static let shared = FileWatch()

    public init() {
        #if os(Linux)
        descriptor = inotify_init1(CInt(IN_NONBLOCK | IN_CLOEXEC))
        #else
        descriptor = -1
        #endif
        // Room for many events per read (each is 16 bytes and a name of up to NAME_MAX + 1).
        buffer = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        buffer.deallocate()
    }

    /// A ticket for the file at `path`, to be taken before the `stat` it stands for; nil when
    /// the file cannot be watched (it must then be checked by `stat` every time).
    public func ticket(_ path: String) -> Ticket? {
        #if os(Linux)
        guard descriptor >= 0 else { return nil }
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let url = URL(fileURLWithPath: path, isDirectory: false)
        let folder = url.deletingLastPathComponent().path, name = url.lastPathComponent
        lock.lock()
        defer { lock.unlock() }
        drainLocked()
        // Asked of the kernel every time (a ticket is taken at most once a second per file): the
        // path may lead to another folder now (a symbolic link above switched, a folder renamed
        // and another made in its place), and the kernel gives the watch of the folder the path
        // leads to now, the same number for the same folder.
        let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
            | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
        let wd = inotify_add_watch(descriptor, folder, mask)
        guard wd >= 0 else { return nil }
        if directories[wd] == nil { directories[wd] = Directory() }
        let mark: Mark
        if let known = directories[wd]?.marks[name] {
            mark = known
        } else {
            mark = Mark()
            directories[wd]?.marks[name] = mark
        }
        return Ticket(mark: mark, seen: mark.changes)
        #else
        return nil
        #endif
    }

    /// True when no event has named the ticket's file since it was taken.
    public func unchanged(_ ticket: Ticket) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        drainLocked()
        return ticket.mark.changes == ticket.seen
    }

    /// Reads every queued event and marks the files they name.
    private func drainLocked() {
        #if os(Linux)
        guard descriptor >= 0 else { return }
        while true {
            let n = read(descriptor, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            let header = MemoryLayout<inotify_event>.size
            var at = 0
            while at + header <= n {
                let event = buffer.loadUnaligned(fromByteOffset: at, as: inotify_event.self)
                let length = Int(event.len)
                apply(event, name: length > 0 ? name(at: at + header, length: length) : nil)
                at += header + length
            }
        }
        #endif
    }

    #if os(Linux)
    private func name(at offset: Int, length: Int) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        let end = bytes.firstIndex(of: 0) ?? length
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private func apply(_ event: inotify_event, name: String?) {
        let mask = event.mask
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: any file may have changed, and any folder may have gone (its
            // watch is taken again by the next ticket, with new marks).
            for d in directories.values { for m in d.marks.values { m.changes &+= 1 } }
            directories = [:]
            return
        }
        guard let directory = directories[event.wd] else { return }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT) != 0 {
            // The folder itself went or moved: every file in it may have changed, and the watch
            // is given up (the next ticket watches the folder now at that path).
            for m in directory.marks.values { m.changes &+= 1 }
            if mask & UInt32(IN_IGNORED) == 0 { inotify_rm_watch(descriptor, event.wd) }
            directories[event.wd] = nil
            return
        }
        if let name, let mark = directory.marks[name] { mark.changes &+= 1 }
    }
    #endif
}
