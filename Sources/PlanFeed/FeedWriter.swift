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

    /// Writes `bytes` to a temporary file beside `target`, then renames it over `target`.
    static func replace(_ target: URL, with bytes: UnsafeRawBufferPointer) throws {
        let dir = target.deletingLastPathComponent().path
        let temp = "\(dir)/.\(target.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FeedWriterError(path: temp, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(temp)
                throw FeedWriterError(path: target.path, errno: e)
            }
            offset += n
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

    /// Removes feeds of this plan that are no longer generated (a unit removed or renamed):
    /// `.ics` files in the folder, not among `feeds`, whose items carry the plan's UIDs
    /// (`…@<plan>.plancal`). Anything else in the folder is left alone. Returns the names.
    @discardableResult
    public static func removeStale(keeping feeds: [Feed], plan: String, in directory: URL) throws -> [String] {
        let kept = Set(feeds.map(\.fileName))
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
