import Foundation

/// The plan files of a folder: a city keeps one plan per ward below one folder.
public enum PlanFiles {
    /// Every `*.yaml` / `*.yml` file below `dir` (at any depth), sorted by path.
    public static func below(_ dir: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                out.append((dir as NSString).appendingPathComponent(relative))
            }
        }
        return out.sorted()
    }
}
