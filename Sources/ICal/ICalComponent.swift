internal import CLibical
import Foundation

/// The kinds of iCalendar component plancal builds and reads.
public enum ICalComponentKind: Sendable, CaseIterable {
    case calendar, event, todo, alarm, timeZone, standard, freeBusy

    var raw: icalcomponent_kind {
        switch self {
        case .calendar: return ICAL_VCALENDAR_COMPONENT
        case .event: return ICAL_VEVENT_COMPONENT
        case .todo: return ICAL_VTODO_COMPONENT
        case .alarm: return ICAL_VALARM_COMPONENT
        case .timeZone: return ICAL_VTIMEZONE_COMPONENT
        case .standard: return ICAL_XSTANDARD_COMPONENT
        case .freeBusy: return ICAL_VFREEBUSY_COMPONENT
        }
    }
}

/// An owning handle on a libical `icalcomponent`.
///
/// A root component frees its tree in `deinit`. A component added to a parent is
/// owned by libical's parent from then on; the Swift object then keeps the parent
/// alive and never frees anything itself.
public final class ICalComponent {
    let handle: OpaquePointer
    private var parent: ICalComponent?
    private var owned: Bool

    private init(handle: OpaquePointer, owned: Bool, parent: ICalComponent?) {
        self.handle = handle
        self.owned = owned
        self.parent = parent
    }

    /// Creates an empty component of a kind.
    public convenience init(_ kind: ICalComponentKind) throws {
        guard let h = icalcomponent_new(kind.raw) else { throw ICalError.allocationFailed("\(kind)") }
        self.init(handle: h, owned: true, parent: nil)
    }

    deinit {
        if owned && parent == nil { icalcomponent_free(handle) }
    }

    /// Adds a child; the child belongs to this component from now on.
    public func add(_ child: ICalComponent) {
        precondition(child.owned && child.parent == nil, "component already has a parent")
        icalcomponent_add_component(handle, child.handle)
        child.owned = false
        child.parent = self
    }

    /// Adds a property.
    public func add(_ property: ICalProperty) throws {
        let p = try property.make()
        icalcomponent_add_property(handle, p)
    }

    /// Adds several properties in order.
    public func add(_ properties: [ICalProperty]) throws {
        for p in properties { try add(p) }
    }

    /// The whole component as RFC 5545 text: CRLF line ends, lines folded at 75
    /// octets by libical (which never splits a UTF-8 sequence), with libical's
    /// CR-splitting fold defect repaired.
    public func serialize() -> String {
        guard let raw = icalcomponent_as_ical_string_r(handle) else { return "" }
        defer { free(raw) }
        return raw.withMemoryRebound(to: UInt8.self, capacity: strlen(raw) + 1) {
            ICalComponent.repairFolding(UnsafeBufferPointer(start: $0, count: strlen(raw)))
        }
    }

    /// libical 3.0.16 (and 4.0) fold a line whose last segment is exactly 73 bytes
    /// by breaking inside its own CRLF, giving `\r\r\n \n`, and one whose last segment is
    /// exactly 74 bytes after its last character, giving an empty continuation line
    /// `\r\n \r\n`. The intended output is a plain line end, which is what this restores.
    static func repairFolding(_ text: String) -> String {
        var text = text
        return text.withUTF8 { repairFolding($0) }
    }

    /// The repair in one pass over libical's bytes, written straight into the String's storage
    /// (a `replacingOccurrences` over the whole text was half of `generate`'s CPU).
    static func repairFolding(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let n = bytes.count
        return String(unsafeUninitializedCapacity: n) { out in
            var i = 0, o = 0
            while i < n {
                let b = bytes[i]
                // "\r\r\n \n": libical never writes two CRs in a row otherwise.
                if b == 13, i + 4 < n, bytes[i + 1] == 13, bytes[i + 2] == 10, bytes[i + 3] == 32, bytes[i + 4] == 10 {
                    out[o] = 13
                    out[o + 1] = 10
                    o += 2
                    i += 5
                } else if b == 13, i + 4 < n, bytes[i + 1] == 10, bytes[i + 2] == 32, bytes[i + 3] == 13, bytes[i + 4] == 10 {
                    // "\r\n \r\n": a fold after a value's last character, an empty continuation
                    // line (RFC 5545 §3.1 folds between two characters; strict readers refuse it).
                    out[o] = 13
                    out[o + 1] = 10
                    o += 2
                    i += 5
                } else {
                    out[o] = b
                    o += 1
                    i += 1
                }
            }
            return o
        }
    }

    // MARK: - Reading

    /// Parses one iCalendar object (usually a VCALENDAR). Throws when the text is not
    /// iCalendar at all; properties libical could not read are reported by `errors`.
    public convenience init(parsing text: String) throws {
        guard !text.utf8.contains(0) else { throw ICalError.notICalendar("contains a NUL byte") }
        plancal_icalerror_clear()
        guard let h = icalparser_parse_string(text) else {
            throw ICalError.notICalendar("libical found no component")
        }
        self.init(handle: h, owned: true, parent: nil)
    }

    /// The component's kind name, e.g. `VEVENT`.
    public var kindName: String {
        guard let s = icalcomponent_kind_to_string(icalcomponent_isa(handle)) else { return "" }
        return String(cString: s)
    }

    /// Direct children of a kind, in order.
    public func children(_ kind: ICalComponentKind) -> [ICalComponent] {
        var out: [ICalComponent] = []
        var c = icalcomponent_get_first_component(handle, kind.raw)
        while let h = c {
            out.append(ICalComponent(handle: h, owned: false, parent: self))
            c = icalcomponent_get_next_component(handle, kind.raw)
        }
        return out
    }

    /// Values (as iCalendar text, unescaped by libical) of every property with a name.
    public func values(of name: String) -> [String] {
        properties(named: name).map(\.value)
    }

    /// The first value of a property, if any.
    public func value(of name: String) -> String? { values(of: name).first }

    /// Properties with a name, with their parameters.
    public func properties(named name: String) -> [ICalReadProperty] {
        let wanted = name.uppercased()
        // A name libical knows is one kind, and libical walks that kind alone; an X- or other
        // name is compared by name (each property's name read takes an allocation).
        let kind = icalproperty_string_to_kind(wanted)
        let byName = kind == ICAL_X_PROPERTY || kind == ICAL_NO_PROPERTY || kind == ICAL_ANY_PROPERTY
        let walked = byName ? ICAL_ANY_PROPERTY : kind
        var out: [ICalReadProperty] = []
        var p = icalcomponent_get_first_property(handle, walked)
        while let prop = p {
            if !byName || ICalReadProperty.name(of: prop) == wanted {
                out.append(ICalReadProperty(prop))
            }
            p = icalcomponent_get_next_property(handle, walked)
        }
        return out
    }

    /// Messages of every X-LIC-ERROR property libical attached while parsing, in
    /// this component and all below it.
    public var errors: [String] {
        var out = values(of: "X-LIC-ERROR")
        var c = icalcomponent_get_first_component(handle, ICAL_ANY_COMPONENT)
        while let h = c {
            out += ICalComponent(handle: h, owned: false, parent: self).errors
            c = icalcomponent_get_next_component(handle, ICAL_ANY_COMPONENT)
        }
        return out
    }
}

/// A property read back from a parsed component, copied out of libical at once.
public struct ICalReadProperty: Sendable, Equatable {
    /// The property name, e.g. `DTSTART`.
    public let name: String
    /// The value as libical renders it (text values unescaped).
    public let value: String
    /// Parameters, e.g. `["VALUE": "DATE"]`.
    public let parameters: [String: String]

    static func name(of prop: OpaquePointer) -> String {
        guard let raw = icalproperty_get_property_name_r(prop) else { return "" }
        defer { free(raw) }
        return String(cString: raw)
    }

    init(_ prop: OpaquePointer) {
        name = ICalReadProperty.name(of: prop)
        var params: [String: String] = [:]
        var p = icalproperty_get_first_parameter(prop, ICAL_ANY_PARAMETER)
        while let param = p {
            if let raw = icalparameter_as_ical_string_r(param) {
                let text = String(cString: raw)
                free(raw)
                if let eq = text.firstIndex(of: "=") {
                    params[String(text[..<eq])] = String(text[text.index(after: eq)...])
                }
            }
            p = icalproperty_get_next_parameter(prop, ICAL_ANY_PARAMETER)
        }
        parameters = params
        if let v = icalproperty_get_value(prop), icalvalue_isa(v) == ICAL_TEXT_VALUE,
           let t = icalvalue_get_text(v) {
            value = String(cString: t)
        } else if let raw = icalproperty_get_value_as_string_r(prop) {
            value = String(cString: raw)
            free(raw)
        } else {
            value = ""
        }
    }
}
