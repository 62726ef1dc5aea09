import Foundation

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines. Nearly every text has none, and
    /// then it is returned as it is: Foundation's trimming, which goes through CFString on
    /// Linux, is asked only when an end is whitespace (it was a tenth of loading a plan, and of
    /// reading a task an app sent back).
    public var trimmedOfWhitespace: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        if !first.properties.isWhitespace, !last.properties.isWhitespace { return String(self) }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
