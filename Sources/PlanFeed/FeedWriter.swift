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
