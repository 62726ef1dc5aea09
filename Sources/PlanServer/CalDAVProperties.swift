import HTTPTypes
import ICal
import PlanCore
import PlanDAV
import PlanFeedCache

/// What a PROPFIND or a REPORT can be about.
enum CalDAVTarget {
    case root
    case principal
    case home
    case collection(CalDAVCollection, CalDAVCollectionState)
    case item(CalDAVCollection, etag: String, lastModified: UTCDateTime)
}

/// The properties plancal serves (RFC 4918, 4791, 6578, and the calendar server's `getctag`),
/// their values written as XML.
struct CalDAVProperties {
    let signedIn: CalDAVSignIn

    /// `allprop`'s answer (RFC 4918 §9.1: the live properties this server defines).
    static let everyName: [DAVName] = [
        .d("resourcetype"), .d("displayname"), .d("getetag"), .d("getcontenttype"), .d("getlastmodified"),
        .cs("getctag"), .d("sync-token"), .c("supported-calendar-component-set"),
    ]

    /// Adds a resource's answer to `ask`.
    func answer(href: String, _ target: CalDAVTarget, ask: PropfindRequest, into out: inout MultiStatus) {
        switch ask {
        case .names:
            out.add(href: href, found: Self.everyName.filter { value($0, target) != nil }.map { ($0, "") })
        case let .all(include):
            let found = (Self.everyName + include).compactMap { name in value(name, target).map { (name, $0) } }
            out.add(href: href, found: found)
        case let .properties(names):
            answer(href: href, target, names: names, extra: [:], into: &out)
        }
    }

    /// Adds a resource's answer for these names, with `extra` (e.g. calendar-data) already known.
    func answer(href: String, _ target: CalDAVTarget, names: [DAVName], extra: [DAVName: String], into out: inout MultiStatus) {
        var found: [(DAVName, String)] = [], missing: [DAVName] = []
        for name in names {
            if let v = extra[name] ?? value(name, target) { found.append((name, v)) } else { missing.append(name) }
        }
        out.add(href: href, found: found, missing: missing)
    }

    private var principalHref: String { CalDAVResource.principal(signedIn.token.plan, signedIn.token.unit) }

    /// A property's value for a target; nil when the target has no such property.
    func value(_ name: DAVName, _ target: CalDAVTarget) -> String? {
        switch (name.namespace, name.name) {
        case (DAVName.dav, "resourcetype"):
            switch target {
            case .root, .home: return "<D:collection/>"
            case .principal: return "<D:principal/>"
            case .collection: return "<D:collection/><C:calendar/>"
            case .item: return ""
            }
        case (DAVName.dav, "displayname"):
            switch target {
            case .root: return "plancal"
            case .principal, .home: return DAVXML.escape(signedIn.unitName)
            case let .collection(c, _): return DAVXML.escape(displayName(c))
            case .item: return nil
            }
        case (DAVName.dav, "current-user-principal"): return DAVXML.href(principalHref)
        case (DAVName.dav, "principal-URL"):
            if case .principal = target { return DAVXML.href(principalHref) }
            return nil
        case (DAVName.dav, "owner"):
            if case .root = target { return nil }
            return DAVXML.href(principalHref)
        case (DAVName.caldav, "calendar-home-set"):
            if case .principal = target { return DAVXML.href(CalDAVResource.home(signedIn.token.plan, signedIn.token.unit)) }
            return nil
        case (DAVName.dav, "current-user-privilege-set"):
            let read = "<D:privilege><D:read/></D:privilege>"
            switch target {
            case let .collection(c, _) where c != .events: return read + "<D:privilege><D:write-content/></D:privilege>"
            case let .item(c, _, _) where c != .events: return read + "<D:privilege><D:write-content/></D:privilege>"
            default: return read
            }
        default:
            break
        }
        switch target {
        case let .collection(c, state): return collectionValue(name, c, state)
        case let .item(c, etag, lastModified):
            switch (name.namespace, name.name) {
            case (DAVName.dav, "getetag"): return DAVXML.escape(etag)
            case (DAVName.dav, "getcontenttype"):
                return "text/calendar; charset=utf-8; component=\(c.variant == .tasks ? "VTODO" : "VEVENT")"
            case (DAVName.dav, "getlastmodified"): return HTTPDate.format(lastModified)
            default: return nil
            }
        default: return nil
        }
    }

    private func collectionValue(_ name: DAVName, _ c: CalDAVCollection, _ state: CalDAVCollectionState) -> String? {
        switch (name.namespace, name.name) {
        case (DAVName.caldav, "supported-calendar-component-set"):
            return "<C:comp name=\"\(c.variant == .tasks ? "VTODO" : "VEVENT")\"/>"
        case (DAVName.dav, "supported-report-set"):
            return ["<C:calendar-query/>", "<C:calendar-multiget/>", "<C:free-busy-query/>", "<D:sync-collection/>"]
                .map { "<D:supported-report><D:report>\($0)</D:report></D:supported-report>" }.joined()
        case (DAVName.calendarServer, "getctag"), (DAVName.dav, "sync-token"): return DAVXML.escape(state.token)
        case (DAVName.caldav, "calendar-description"): return DAVXML.escape(signedIn.plan.title)
        case (DAVName.caldav, "supported-calendar-data"):
            return "<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>"
        case (DAVName.caldav, "max-resource-size"): return String(CalDAVController.maxBodyBytes)
        // GET on a collection gives its whole feed.
        case (DAVName.dav, "getcontenttype"): return "text/calendar; charset=utf-8"
        default: return nil
        }
    }

    /// A collection's name in the apps: the unit's name and what the collection holds.
    func displayName(_ c: CalDAVCollection) -> String {
        switch c {
        case .tasks: return "\(signedIn.unitName) — Công việc"
        case .events: return "\(signedIn.unitName) — Lịch"
        case .allTasks: return "Mọi đơn vị — Công việc"
        }
    }
}
