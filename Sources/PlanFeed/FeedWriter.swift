import Foundation

/// Writes feeds into a folder, each atomically: a reader (or a web server) sees the
/// old file or the new one, never half of one (a temporary file beside the target, renamed
/// over it).
///
/// No fsync: feeds are derived data, made again from the plan and the records by the next
/// `generate`, and the rename already gives readers all or nothing. An fsync per file made a
/// country's 60,000 feeds wait on the disk 60,000 times; the records themselves stay durable
/// (SQLite with `synchronous=FULL`).
public enum FeedWriter {
    /// Writes every feed; returns the names of files whose bytes changed.
    @discardableResult
    public static func write(_ feeds: [Feed], to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var changed: [String] = []
        for feed in feeds {
            let target = directory.appendingPathComponent(feed.fileName)
            var text = feed.text
            let same: Bool = text.withUTF8 { bytes in
                guard let old = FileManager.default.contents(atPath: target.path), old.count == bytes.count else { return false }
                return old.withUnsafeBytes { $0.elementsEqual(UnsafeRawBufferPointer(bytes)) }
            }
            if same { continue }
            try text.withUTF8 { try replace(target, with: UnsafeRawBufferPointer($0)) }
            changed.append(feed.fileName)
        }
        return changed
    }

    /// Writes every feed of a plan from its pieces (what `generate` does): each feed is put
    /// together in one buffer reused from feed to feed, compared with the file there (unless
    /// the folder is new) and written only when it differs. Returns the names of files whose
    /// bytes changed, and whether the folder was new (then nothing in it can be stale).
    @discardableResult
    public static func write(_ parts: [FeedParts], _ texts: ItemTexts, to directory: URL) throws -> (changed: [String], fresh: Bool) {
        let fresh = !FileManager.default.fileExists(atPath: directory.path)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var changed: [String] = []
        var buffer: [UInt8] = []
        for p in parts {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: p.head.utf8)
            for i in p.items { buffer.append(contentsOf: texts.list[i].utf8) }
            buffer.append(contentsOf: FeedParts.end.utf8)
            let target = directory.appendingPathComponent(p.fileName)
            let same: Bool = fresh ? false : buffer.withUnsafeBytes { bytes in
                guard let old = FileManager.default.contents(atPath: target.path), old.count == bytes.count else { return false }
                return old.withUnsafeBytes { $0.elementsEqual(bytes) }
            }
            if same { continue }
            try buffer.withUnsafeBytes { try replace(target, with: $0) }
            changed.append(p.fileName)
        }
        return (changed, fresh)
    }

    /// Writes `bytes` to a temporary file beside `target`, then renames it over `target`.
    /// Where there is no file yet (Linux), the temporary file is an unnamed one (O_TMPFILE),
    /// given its name once written: the same all-or-nothing for readers, one directory entry
    /// made instead of a temporary name made and renamed.
    static func replace(_ target: URL, with bytes: UnsafeRawBufferPointer) throws {
        let dir = target.deletingLastPathComponent().path
        #if os(Linux)
        if access(target.path, F_OK) != 0 {
            // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the macro does not reach Swift.
            let fd = open(dir, 0o20_000_000 | O_DIRECTORY | O_WRONLY | O_CLOEXEC, 0o666)
            if fd >= 0 {
                do {
                    try writeAll(fd, bytes, path: target.path)
                } catch {
                    close(fd)
                    throw error
                }
                let linked = linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, target.path, AT_SYMLINK_FOLLOW)
                let e = errno
                close(fd)
                if linked == 0 { return }
                // EEXIST: someone made the file meanwhile; anything else: the named way below.
                _ = e
            }
        }
        #endif
        let temp = "\(dir)/.\(target.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FeedWriterError(path: temp, errno: errno) }
        do {
            try writeAll(fd, bytes, path: target.path)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard close(fd) == 0 else {
            let e = errno
            unlink(temp)
            throw FeedWriterError(path: target.path, errno: e)
        }
        guard rename(temp, target.path) == 0 else {
            let e = errno
            unlink(temp)
            throw FeedWriterError(path: target.path, errno: e)
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FeedWriterError(path: path, errno: errno)
            }
            offset += n
        }
    }

    /// Removes feeds of this plan that are no longer generated (a unit removed or renamed):
    /// `.ics` files in the folder, not among `feeds`, whose items carry the plan's UIDs
    /// (`…@<plan>.plancal`). Anything else in the folder is left alone. Returns the names.
    @discardableResult
    public static func removeStale(keeping feeds: [Feed], plan: String, in directory: URL) throws -> [String] {
        try removeStale(keeping: feeds.map(\.fileName), plan: plan, in: directory)
    }

    /// The same, by file name.
    @discardableResult
    public static func removeStale(keeping fileNames: [String], plan: String, in directory: URL) throws -> [String] {
        let kept = Set(fileNames)
        let marker = Data("@\(plan).plancal".utf8)
        var removed: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".ics") && !kept.contains(name) {
            let url = directory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url), data.starts(with: Data("BEGIN:VCALENDAR".utf8)),
                  data.range(of: Data("PRODID:\(FeedBuilder.productID)".utf8)) != nil, data.range(of: marker) != nil else { continue }
            try FileManager.default.removeItem(at: url)
            removed.append(name)
        }
        return removed
    }
}

/// A feed file that could not be written: the path and the system's reason.
public struct FeedWriterError: Error, LocalizedError, CustomStringConvertible {
    public var path: String
    public var errno: Int32

    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
    public var errorDescription: String? { description }
}
