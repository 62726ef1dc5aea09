/// A `207 Multi-Status` body (RFC 4918 §13) written one response at a time.
public struct MultiStatus: Sendable {
    private var body = ""
    private var foreign: [String: String] = [:]

    public init() {}

    /// A resource's properties: those found with their values (XML content, already escaped),
    /// those not found (404), those forbidden (403).
    public mutating func add(href: String, found: [(DAVName, String)], missing: [DAVName] = [], forbidden: [DAVName] = []) {
        body += "<D:response><D:href>\(DAVXML.escape(href))</D:href>"
        if !found.isEmpty {
            body += "<D:propstat><D:prop>"
            for (name, value) in found { body += element(name, value) }
            body += "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
        }
        for (names, status) in [(missing, "404 Not Found"), (forbidden, "403 Forbidden")] where !names.isEmpty {
            body += "<D:propstat><D:prop>"
            for name in names { body += element(name, "") }
            body += "</D:prop><D:status>HTTP/1.1 \(status)</D:status></D:propstat>"
        }
        body += "</D:response>"
    }

    /// A resource answered by a status alone (404 for a multiget's unknown href, a sync's removed item).
    public mutating func add(href: String, status: String) {
        body += "<D:response><D:href>\(DAVXML.escape(href))</D:href><D:status>HTTP/1.1 \(status)</D:status></D:response>"
    }

    /// The document, with a sync token for a `sync-collection` answer.
    public func document(syncToken: String? = nil) -> String {
        var namespaces = DAVName.prefixes.sorted { $0.value < $1.value }.map { " xmlns:\($0.value)=\"\(DAVXML.escape($0.key))\"" }
        namespaces += foreign.sorted { $0.value < $1.value }.map { " xmlns:\($0.value)=\"\(DAVXML.escape($0.key))\"" }
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus\(namespaces.joined())>"
        out += body
        if let syncToken { out += "<D:sync-token>\(DAVXML.escape(syncToken))</D:sync-token>" }
        out += "</D:multistatus>\n"
        return out
    }

    private mutating func element(_ name: DAVName, _ value: String) -> String {
        let prefix: String
        if let known = DAVName.prefixes[name.namespace] {
            prefix = known
        } else if let seen = foreign[name.namespace] {
            prefix = seen
        } else {
            prefix = "X\(foreign.count)"
            foreign[name.namespace] = prefix
        }
        let local = DAVXML.isName(name.name) ? name.name : "invalid"
        return value.isEmpty ? "<\(prefix):\(local)/>" : "<\(prefix):\(local)>\(value)</\(prefix):\(local)>"
    }
}

/// Small XML pieces of the answers.
public enum DAVXML {
    /// Text or an attribute value escaped for XML.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "&#13;"
            default:
                // XML 1.0 has no other control characters.
                if c.value < 0x20 && c != "\n" && c != "\t" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// True for a name that can be written as an element's local name as it is.
    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// An `<D:href>` element.
    public static func href(_ path: String) -> String { "<D:href>\(escape(path))</D:href>" }

    /// A `DAV:error` body (RFC 4918 §16) naming the precondition that failed, with the reason in
    /// Vietnamese as its `responsedescription`.
    public static func error(_ precondition: DAVName?, _ description: String) -> String {
        var element = ""
        var ns = ""
        if let precondition {
            let prefix = DAVName.prefixes[precondition.namespace] ?? "P"
            if DAVName.prefixes[precondition.namespace] == nil { ns = " xmlns:P=\"\(escape(precondition.namespace))\"" }
            element = "<\(prefix):\(isName(precondition.name) ? precondition.name : "invalid")/>"
        }
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"\(DAVName.caldav)\"\(ns)>"
            + element + "<D:responsedescription>\(escape(description))</D:responsedescription></D:error>\n"
    }
}
