import Foundation

/// Writes feeds into a folder, each atomically: a reader (or a web server) sees the
/// old file or the new one, never half of one.
public enum FeedWriter {
    /// Writes every feed; returns the names of files whose bytes changed.
    @discardableResult
    public static func write(_ feeds: [Feed], to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var changed: [String] = []
        for feed in feeds {
            let target = directory.appendingPathComponent(feed.fileName)
            let data = Data(feed.text.utf8)
            if let old = try? Data(contentsOf: target), old == data { continue }
            // Data.write(options: .atomic) writes a temporary file beside the target and renames it.
            try data.write(to: target, options: .atomic)
            changed.append(feed.fileName)
        }
        return changed
    }
}
