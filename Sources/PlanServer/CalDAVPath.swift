import Foundation
import PlanCore
import PlanFeed

/// A unit's CalDAV collection: its tasks (writable: a tick is a completion), its events (read
/// only), and for the lead unit every unit's tasks.
enum CalDAVCollection: String, Sendable, CaseIterable {
    case tasks
    case events
    case allTasks = "all-tasks"

    /// Which feed it serves.
    var variant: Feed.Variant { self == .events ? .events : .tasks }

    /// Whose items, for `viewer`: the unit's own, or (all-tasks) the whole plan's.
    func viewer(_ unit: UnitID) -> UnitID? { self == .allTasks ? nil : unit }

    /// The collections of a unit's home.
    static func of(_ unit: UnitID, in plan: Plan) -> [CalDAVCollection] {
        plan.leadUnit?.id == unit ? [.tasks, .events, .allTasks] : [.tasks, .events]
    }
}

/// What a path under `/dav/` names.
enum CalDAVResource: Sendable, Equatable {
    case root
    case principal(plan: String, unit: UnitID)
    case home(plan: String, unit: UnitID)
    case collection(plan: String, unit: UnitID, CalDAVCollection)
    case item(plan: String, unit: UnitID, CalDAVCollection, name: String)

    static let rootPath = "/dav/"

    /// Reads a request path or an href (absolute URLs too); nil for anything plancal does not serve.
    init?(path raw: String) {
        var path = raw
        if !path.hasPrefix("/"), let scheme = path.firstRange(of: "://") {
            let rest = path[scheme.upperBound...]
            path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<query]) }
        // Foundation's decoding only where there is something to decode (it is slow on Linux).
        guard let decoded = path.contains("%") ? path.removingPercentEncoding : path else { return nil }
        let parts = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.first == "dav" else { return nil }
        let rest = Array(parts.dropFirst())
        func ids(_ a: String, _ b: String) -> Bool { ServerServices.matches(a) && ServerServices.matches(b) }
        // The unit's part, once `ids` has checked its form.
        var unit: UnitID { UnitID(wellFormed: rest[2]) }
        switch rest.count {
        case 0: self = .root
        case 3 where rest[0] == "principals" && ids(rest[1], rest[2]):
            self = .principal(plan: rest[1], unit: unit)
        case 3 where rest[0] == "calendars" && ids(rest[1], rest[2]):
            self = .home(plan: rest[1], unit: unit)
        case 4 where rest[0] == "calendars" && ids(rest[1], rest[2]):
            guard let c = CalDAVCollection(rawValue: rest[3]) else { return nil }
            self = .collection(plan: rest[1], unit: unit, c)
        case 5 where rest[0] == "calendars" && ids(rest[1], rest[2]) && rest[4].hasSuffix(".ics"):
            guard let c = CalDAVCollection(rawValue: rest[3]) else { return nil }
            self = .item(plan: rest[1], unit: unit, c, name: String(rest[4].dropLast(4)))
        default: return nil
        }
    }

    /// The plan and unit the resource belongs to (nil for the root).
    var owner: (plan: String, unit: UnitID)? {
        switch self {
        case .root: return nil
        case let .principal(plan, unit), let .home(plan, unit), let .collection(plan, unit, _), let .item(plan, unit, _, _):
            return (plan, unit)
        }
    }

    /// The canonical path.
    var href: String {
        switch self {
        case .root: return CalDAVResource.rootPath
        case let .principal(plan, unit): return CalDAVResource.principal(plan, unit)
        case let .home(plan, unit): return CalDAVResource.home(plan, unit)
        case let .collection(plan, unit, c): return CalDAVResource.collection(plan, unit, c)
        case let .item(plan, unit, c, name): return CalDAVResource.collection(plan, unit, c) + name + ".ics"
        }
    }

    static func principal(_ plan: String, _ unit: UnitID) -> String { "/dav/principals/\(plan)/\(unit)/" }
    static func home(_ plan: String, _ unit: UnitID) -> String { "/dav/calendars/\(plan)/\(unit)/" }
    static func collection(_ plan: String, _ unit: UnitID, _ c: CalDAVCollection) -> String {
        home(plan, unit) + c.rawValue + "/"
    }

    /// An item's resource name: the occurrence id with `/` as `_` (ids have no `_`, so it reads back).
    static func itemName(_ occurrenceID: String) -> String { swap(occurrenceID, UInt8(ascii: "/"), UInt8(ascii: "_")) }

    /// The occurrence id of a resource name.
    static func occurrenceID(_ name: String) -> String { swap(name, UInt8(ascii: "_"), UInt8(ascii: "/")) }

    /// `text` with every `a` byte made `b` (both ASCII, so the UTF-8 stays valid); Foundation's
    /// replacingOccurrences goes through CFString on Linux, and a PUT asked it for every item.
    private static func swap(_ text: String, _ a: UInt8, _ b: UInt8) -> String {
        guard text.utf8.contains(a) else { return text }
        return String(decoding: text.utf8.map { $0 == a ? b : $0 }, as: UTF8.self)
    }
}
