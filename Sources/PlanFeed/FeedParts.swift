public import ICal
public import PlanCore

/// The serialised items of one plan's feeds, each distinct item once: an item reads the same in
/// every feed whose viewer sees it in the same state (by occurrence, variant and the completion
/// that makes it done in the viewer's view — the only thing a viewer changes). Filled by
/// `FeedBuilder.parts`; one builder at a time (not `Sendable`: it is filled and read by one task).
public final class ItemTexts {
    struct Key: Hashable {
        var occurrence: Int
        var variant: Feed.Variant
        var done: Int64?
    }

    /// Every distinct item's text, in the order first needed.
    public internal(set) var list: [String] = []
    var index: [Key: Int] = [:]

    /// No items yet.
    public init() {}
}

/// One feed as its pieces: the calendar's head (BEGIN line, properties, time zone), its items
/// (indices into the plan's `ItemTexts`) and the END line. Joined, they are the feed's text.
public struct FeedParts: Sendable {
    /// File name, e.g. `cong-an.ics`.
    public var fileName: String
    /// The unit, or nil for the whole plan.
    public var unitID: UnitID?
    /// Which variant.
    public var variant: Feed.Variant
    /// Everything before the first item.
    public var head: String
    /// The items, in order, as indices into `ItemTexts.list`.
    public var items: [Int]
    /// The feed's Last-Modified: the latest change of the plan or of any item of the unit's.
    public var lastModified: UTCDateTime

    /// The line that ends every feed.
    public static let end = "END:VCALENDAR\r\n"

    /// The feed's text.
    public func feed(_ texts: ItemTexts) -> Feed {
        var length = head.utf8.count + FeedParts.end.utf8.count
        for i in items { length += texts.list[i].utf8.count }
        var text = head
        text.reserveCapacity(length)
        for i in items { text += texts.list[i] }
        text += FeedParts.end
        return Feed(fileName: fileName, unitID: unitID, variant: variant, text: text)
    }
}
