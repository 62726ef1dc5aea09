import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element of a WebDAV request body: its name, attributes, children and text.
public struct DAVElement: Sendable, Equatable {
    /// The element's name and namespace.
    public var name: DAVName
    /// Its attributes, by local name.
    public var attributes: [String: String]
    /// Its child elements, in order.
    public var children: [DAVElement]
    /// Its text content, whitespace at both ends trimmed.
    public var text: String

    public init(name: DAVName, attributes: [String: String] = [:], children: [DAVElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child with this name.
    public func child(_ name: DAVName) -> DAVElement? { children.first { $0.name == name } }

    /// Every child with this name.
    public func all(_ name: DAVName) -> [DAVElement] { children.filter { $0.name == name } }

    /// Parses a request body. Namespaces are resolved; external entities are not loaded.
    public static func parse(_ data: Data) throws(DAVRequestError) -> DAVElement {
        try checkMarkup(data)
        let delegate = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            let line = parser.lineNumber
            throw .malformedXML(line: line)
        }
        return root
    }
}

extension DAVElement {
    /// What reaches FoundationXML's parser: UTF-8, an XML declaration at most at the start, and
    /// no other processing instruction, DOCTYPE, entity declaration or comment. A WebDAV body
    /// needs none of them, and FoundationXML traps on some (an element name that is not UTF-8, a
    /// processing instruction without data: found by `scripts/fuzz.sh … dav`); a DOCTYPE is
    /// also how external and expanding entities come in.
    static func checkMarkup(_ data: Data) throws(DAVRequestError) {
        guard let text = String(validating: data, as: UTF8.self) else { throw .notUTF8 }
        var rest = Substring(text).drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if rest.hasPrefix("<?xml") {
            guard let end = rest.range(of: "?>") else { throw .malformedXML(line: 1) }
            let declaration = rest[rest.index(rest.startIndex, offsetBy: 5)..<end.lowerBound]
            // Pseudo-attributes only: a "?" or "<" means the declaration is broken and the "?>"
            // found closes some later instruction, which libxml2 would then hand to FoundationXML
            // (`<?xml version="1.0"? … <?xml?>`, found by the dav fuzzer).
            guard declaration.first?.isWhitespace == true, declaration.contains("version"),
                  !declaration.contains(where: { $0 == "?" || $0 == "<" || $0 == ">" }) else { throw .unsupportedMarkup }
            rest = rest[end.upperBound...]
        }
        var scan = rest
        while let open = scan.range(of: "<") {
            let after = scan[open.upperBound...]
            if after.hasPrefix("?") || (after.hasPrefix("!") && !after.hasPrefix("![CDATA[")) { throw .unsupportedMarkup }
            scan = after
        }
    }
}

/// Builds the tree from the parser's events (one parse, one thread).
private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [DAVElement] = []
    var texts: [String] = []
    var root: DAVElement?
    /// Elements nested deeper than this are refused (a body is a few levels deep).
    static let maxDepth = 32

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard stack.count < TreeBuilder.maxDepth else { parser.abortParsing(); return }
        stack.append(DAVElement(name: DAVName(namespaceURI ?? "", elementName), attributes: attributeDict))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var element = stack.popLast(), let text = texts.popLast() else { return }
        element.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
    }
}
