/// An XML element's name with its namespace: how WebDAV names properties and reports.
public struct DAVName: Hashable, Sendable, CustomStringConvertible {
    /// The namespace URI (`DAV:`, CalDAV's, …).
    public let namespace: String
    /// The local name.
    public let name: String

    public init(_ namespace: String, _ name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "{\(namespace)}\(name)" }

    /// RFC 4918's namespace.
    public static let dav = "DAV:"
    /// RFC 4791's namespace.
    public static let caldav = "urn:ietf:params:xml:ns:caldav"
    /// Apple's calendar server namespace (`getctag`).
    public static let calendarServer = "http://calendarserver.org/ns/"
    /// Apple's iCal namespace (`calendar-color`).
    public static let appleICal = "http://apple.com/ns/ical/"

    /// A `DAV:` name.
    public static func d(_ name: String) -> DAVName { DAVName(dav, name) }
    /// A CalDAV name.
    public static func c(_ name: String) -> DAVName { DAVName(caldav, name) }
    /// A calendar server name.
    public static func cs(_ name: String) -> DAVName { DAVName(calendarServer, name) }

    /// The prefixes the answers use for the namespaces they write.
    static let prefixes: [String: String] = [dav: "D", caldav: "C", calendarServer: "CS", appleICal: "A"]
}
