import Foundation
public import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A large feed body also kept as an unnamed file in shared memory (`/dev/shm`, O_TMPFILE), so
/// that the pipeline's fast path can hand it to the kernel with sendfile(2), as nginx does with
/// its files, instead of `write` copying the bytes from this process into the socket on every
/// response (28 % of the server's CPU on the 303 KB feed in a profile). Closed when the last
/// response or cache entry holding it goes. Nil where no such file can be made (the ByteBuffer
/// serves then).
public final class BodyFile: Sendable {
    let descriptor: CInt
    public let length: Int
    /// Below this a body is written from memory. Measured beside nginx (wrk, 32 connections):
    /// the 303 KB feed went from 0.53–0.83× nginx's rate to 0.98–1.12× with sendfile, but the
    /// 58 KB feed fell from 0.71–0.74× to 0.56× (a dup, a close and a promise per response cost
    /// more than copying 58 KB).
    static let threshold = 128 << 10

    init?(_ body: ByteBuffer) {
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the macro does not reach Swift.
        let fd = open("/dev/shm", 0o20_000_000 | O_DIRECTORY | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let written = body.withUnsafeReadableBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        guard written else {
            close(fd)
            return nil
        }
        descriptor = fd
        length = body.readableBytes
    }

    deinit { close(descriptor) }

    /// Handles lent out now, across every body and connection.
    // `lock` guards `value` and `total`.
    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        var total = 0
    }
    private static let lent = Counter()
    /// The most handles lent at once: each is a file descriptor until its write ends, and a
    /// client that never reads must not exhaust the process's descriptors (the fast path also
    /// lends only while the connection is writable; past either bound the body goes from memory).
    static let maxLent = 256

    /// A handle of its own for one response (a NIOFileHandle admits one user at a time and must
    /// be closed by whoever holds it); the caller gives it back with `giveBack` once the write
    /// is done. Nil past `maxLent` or when no descriptor is left.
    public func lend() -> NIOFileHandle? {
        let c = BodyFile.lent
        guard c.lock.withLock({
            guard c.value < BodyFile.maxLent else { return false }
            c.value += 1
            c.total += 1
            return true
        }) else { return nil }
        let fd = dup(descriptor)
        guard fd >= 0 else {
            c.lock.withLock { c.value -= 1 }
            return nil
        }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
    }

    /// Closes a lent handle.
    public static func giveBack(_ handle: NIOFileHandle) {
        try? handle.close()
        lent.lock.withLock { lent.value -= 1 }
    }

    /// Handles lent out now.
    public static var lentNow: Int { lent.lock.withLock { lent.value } }

    /// Handles lent since the process started.
    public static var lentSoFar: Int { lent.lock.withLock { lent.total } }
}

