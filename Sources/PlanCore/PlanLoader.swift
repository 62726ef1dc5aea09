import Foundation
import ICal
import Yams

/// Reads and validates a plan file (YAML). The format is documented in the README.
public enum PlanLoader {
    /// Plan files larger than this are refused before parsing.
    public static let maxBytes = 1 << 20

    /// Loads a plan from a file.
    public static func load(path: String) throws -> Plan {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw PlanError(file: path, "no such file")
        }
        guard !isDir.boolValue else { throw PlanError(file: path, "is a directory, not a plan file") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maxBytes {
            throw PlanError(file: path, "file is \(size) bytes; a plan file may be at most \(maxBytes) bytes")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlanError(file: path, "cannot be read: \(error.localizedDescription)")
        }
        return try parse(data: data, file: path)
    }

    /// Parses plan data; `file` names it in errors.
    public static func parse(data: Data, file: String) throws -> Plan {
        guard data.count <= maxBytes else {
            throw PlanError(file: file, "file is \(data.count) bytes; a plan file may be at most \(maxBytes) bytes")
        }
        guard !data.isEmpty else { throw PlanError(file: file, "file is empty; expected a YAML plan") }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else {
            throw PlanError(file: file, "not a text file (binary data or invalid UTF-8); expected a UTF-8 YAML plan")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw PlanError(file: file, "file has no YAML content; expected a YAML plan")
            }
            root = node
        } catch let error as YamlError {
            throw translate(error, file: file, text: text)
        }
        return try PlanBuilder(file: file).build(root)
    }

    static func translate(_ error: YamlError, file: String, text: String) -> PlanError {
        switch error {
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams reports the mapping; point at the second occurrence of the key instead.
            let key = duplicates.sorted().first ?? ""
            let lines = text.components(separatedBy: "\n")
            let hits = lines.indices.filter { i in
                i >= context.mark.line - 1 && {
                    var t = lines[i].trimmingCharacters(in: .whitespaces)
                    if t.hasPrefix("- ") { t = String(t.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
                    return t.hasPrefix(key + ":") || t.hasPrefix("\"\(key)\":")
                }()
            }
            let line = hits.count > 1 ? hits[1] + 1 : context.mark.line
            return PlanError(file: file, line: line, field: key, "duplicate key \"\(key)\" (each field may appear once)")
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return PlanError(file: file, line: mark.line, "YAML syntax error: \(problem) (column \(mark.column))")
        case let .reader(problem, _, _, _):
            return PlanError(file: file, "YAML cannot be read: \(problem)")
        default:
            return PlanError(file: file, "YAML error: \(error)")
        }
    }
}

/// Builds a `Plan` from the YAML tree, collecting every problem it finds.
struct PlanBuilder {
    let file: String
    
    init(file: String) { self.file = file }

    static let idPattern = try! NSRegularExpression(pattern: "^[a-z0-9][a-z0-9-]{0,62}$")
    static let targetPattern = try! NSRegularExpression(pattern: "^G[0-9]{1,2}\\.T[0-9]{1,2}$")

    static func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// Runs a step; a `PlanError` is kept and the build goes on with the next item.
    private static func attempt<T>(_ issues: inout [PlanIssue], _ body: () throws -> T) -> T? {
        do { return try body() } catch let e as PlanError {
            issues += e.issues
            return nil
        } catch {
            issues.append(PlanIssue(file: "", message: "\(error)"))
            return nil
        }
    }

    func build(_ root: Node) throws -> Plan {
        var issues: [PlanIssue] = []
        var top = try YAMLMap(root, file: file, path: "")
        var header = try top.map("plan")
        let unitMaps = try top.maps("units")
        let targetMaps = try top.maps("targets")
        let obligationMaps = try top.maps("obligations")
        let sessionMaps = try top.maps("sessions")
        try top.rejectUnknown(allowed: ["plan", "units", "targets", "obligations", "sessions"])
        if !top.has("units") || unitMaps.isEmpty { throw top.error("units", "the plan must list at least one unit") }

        let meta = try readHeader(&header)

        var units: [PlanUnit] = []
        var seenUnits: [String: Int] = [:]
        var places: [UnitPlace] = []
        for var m in unitMaps {
            if let u = PlanBuilder.attempt(&issues, { try readUnit(&m, parent: nil, places: &places) }) { units.append(u) }
        }
        for (i, place) in places.enumerated() {
            if seenUnits[place.id] != nil {
                issues.append(PlanIssue(file: file, line: place.line, field: "\(place.path).id",
                                        message: "duplicate unit id \"\(place.id)\" (unit ids must be unique, members included)"))
            }
            seenUnits[place.id] = i
        }
        if units.filter({ $0.role == .lead }).count > 1 {
            issues.append(PlanIssue(file: file, field: "units", message: "only one unit may have role: lead"))
        }

        var targets: [PlanTarget] = []
        for var m in targetMaps {
            if let t = PlanBuilder.attempt(&issues, { try readTarget(&m) }) {
                if targets.contains(where: { $0.id == t.id }) {
                    issues.append(PlanIssue(file: file, line: m.line, field: m.path, message: "duplicate target id \"\(t.id)\""))
                } else {
                    targets.append(t)
                }
            }
        }

        let refs = References(units: Set(seenUnits.keys), targets: Set(targets.map(\.id)),
                              allUnitIDs: units.flatMap { [$0] + $0.members }.map(\.id))
        var obligations: [Obligation] = []
        for var m in obligationMaps {
            guard let o = PlanBuilder.attempt(&issues, { try readObligation(&m, refs: refs, meta: meta) }) else { continue }
            if obligations.contains(where: { $0.id == o.id }) {
                issues.append(PlanIssue(file: file, line: m.line, field: "\(m.path).id", message: "duplicate obligation id \"\(o.id)\""))
            } else {
                obligations.append(o)
            }
        }
        var sessions: [Session] = []
        for var m in sessionMaps {
            guard let s = PlanBuilder.attempt(&issues, { try readSession(&m, refs: refs, meta: meta) }) else { continue }
            if sessions.contains(where: { $0.id == s.id }) {
                issues.append(PlanIssue(file: file, line: m.line, field: "\(m.path).id", message: "duplicate session id \"\(s.id)\""))
            } else {
                sessions.append(s)
            }
        }
        if !issues.isEmpty { throw PlanError(issues: issues) }

        let plan = Plan(
            id: meta.id, title: meta.title, issuer: meta.issuer, number: meta.number, signedBy: meta.signedBy,
            legalBasis: meta.legalBasis, start: meta.start, end: meta.end, timeZone: meta.timeZone,
            utcOffsetSeconds: meta.offset, publicBaseURL: meta.baseURL, population: meta.population,
            revised: meta.revised, units: units, targets: targets, obligations: obligations,
            sessions: sessions, refreshSeconds: meta.refreshHours * 3600)
        return plan
    }

    struct Header {
        var id, title, issuer: String
        var number, signedBy, baseURL: String?
        var legalBasis: [String]
        var start, end: CivilDate
        var timeZone: String
        var offset: Int
        var population: Int?
        var revised: UTCDateTime
        var refreshHours: Int
    }

    /// Where a unit was read, for duplicate-id errors.
    struct UnitPlace {
        var id: String
        var line: Int?
        var path: String
    }

    struct References {
        var units: Set<String>
        var targets: Set<String>
        var allUnitIDs: [String]
    }

    private func readHeader(_ m: inout YAMLMap) throws -> Header {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.idPattern, id) else {
            throw m.error("id", "\"\(id)\" is not a valid id (lower-case letters, digits and '-')")
        }
        let title = try m.string("title")
        let issuer = try m.string("issuer")
        let number = try m.optionalString("number")
        let signedBy = try m.optionalString("signed_by")
        let legalBasis = try m.strings("legal_basis")
        var period = try m.map("period")
        let start = try period.date("start")
        let end = try period.date("end")
        try period.rejectUnknown(allowed: ["start", "end"])
        guard start <= end else { throw period.error("end", "the period ends (\(end.iso)) before it starts (\(start.iso))") }
        guard end.year - start.year <= 50 else { throw period.error("end", "a plan period may span at most 50 years") }
        let tzName = try m.string("time_zone")
        guard let tz = TimeZone(identifier: tzName) else {
            throw m.error("time_zone", "\"\(tzName)\" is not a known IANA time zone (e.g. Asia/Ho_Chi_Minh)")
        }
        let probe = Date(timeIntervalSince1970: TimeInterval(UTCDateTime(startOf: start).secondsSinceEpoch))
        if let next = tz.nextDaylightSavingTimeTransition(after: probe),
           next.timeIntervalSince1970 < TimeInterval(UTCDateTime(startOf: end).secondsSinceEpoch) {
            throw m.error("time_zone", "\(tzName) changes its UTC offset during the plan period; plancal supports fixed-offset zones only")
        }
        let baseURL = try m.optionalString("public_base_url")
        if let baseURL, !Validation.isHTTPURL(baseURL) {
            throw m.error("public_base_url", "\"\(baseURL)\" is not an http(s) URL")
        }
        let population = try m.optionalInt("population", range: 1...100_000_000)
        guard let revisedText = try m.optionalString("revised") else { throw m.missing("revised") }
        guard let revised = Validation.parseTimestamp(revisedText) else {
            throw m.error("revised", "\"\(revisedText)\" is not a date (yyyy-mm-dd) or UTC time (yyyy-mm-ddThh:mm:ssZ)")
        }
        let refresh = try m.optionalInt("refresh_hours", range: 1...168) ?? 12
        try m.rejectUnknown(allowed: ["id", "title", "issuer", "number", "signed_by", "legal_basis", "period",
                                      "time_zone", "public_base_url", "population", "revised", "refresh_hours", "notes"])
        return Header(id: id, title: title, issuer: issuer, number: number, signedBy: signedBy, baseURL: baseURL,
                      legalBasis: legalBasis, start: start, end: end, timeZone: tzName,
                      offset: tz.secondsFromGMT(for: probe), population: population, revised: revised,
                      refreshHours: refresh)
    }

    private func readUnit(_ m: inout YAMLMap, parent: PlanUnit?, places: inout [UnitPlace]) throws -> PlanUnit {
        let id = try m.string("id")
        places.append(UnitPlace(id: id, line: m.line, path: m.path))
        guard PlanBuilder.matches(PlanBuilder.idPattern, id), id != "all" else {
            throw m.error("id", "\"\(id)\" is not a valid unit id (lower-case letters, digits and '-'; not \"all\")")
        }
        let name = try m.string("name")
        let roleText = try m.optionalString("role") ?? "member"
        guard let role = PlanUnit.Role(rawValue: roleText), parent == nil || role == .member else {
            throw m.error("role", "expected lead or member, found \"\(roleText)\"")
        }
        let section = try m.optionalString("section") ?? parent?.section
        let isOrganisation = try m.bool("organisation", default: parent?.isOrganisation ?? true)
        let assumption = try m.optionalString("assumption")
        var unit = PlanUnit(id: id, name: name, role: role, section: section, isOrganisation: isOrganisation,
                            parentID: parent?.id, members: [], assumption: assumption)
        if parent == nil {
            for var mm in try m.maps("members") { unit.members.append(try readUnit(&mm, parent: unit, places: &places)) }
        }
        try m.rejectUnknown(allowed: parent == nil
            ? ["id", "name", "role", "section", "organisation", "assumption", "members", "notes"]
            : ["id", "name", "role", "section", "organisation", "assumption", "notes"])
        return unit
    }

    private func readTarget(_ m: inout YAMLMap) throws -> PlanTarget {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.targetPattern, id) else {
            throw m.error("id", "\"\(id)\" is not a target id (expected G<goal>.T<n>, e.g. G6.T3)")
        }
        let t = PlanTarget(id: id, text: try m.string("text"), section: try m.string("section"))
        try m.rejectUnknown(allowed: ["id", "text", "section", "notes"])
        return t
    }

    private func unitList(_ m: inout YAMLMap, _ key: String, refs: References) throws -> [String]? {
        guard m.has(key) else { return nil }
        let ids = try m.strings(key)
        if ids == ["all"] { return refs.allUnitIDs }
        for id in ids where !refs.units.contains(id) {
            throw m.error(key, "unknown unit \"\(id)\" (known units: \(refs.allUnitIDs.joined(separator: ", ")), or all)")
        }
        return ids
    }

    private func targetList(_ m: inout YAMLMap, refs: References) throws -> [String] {
        let ids = try m.strings("targets")
        for id in ids where !refs.targets.contains(id) {
            throw m.error("targets", "unknown target \"\(id)\" (targets are listed under targets:, e.g. G6.T3)")
        }
        return ids
    }

    private func revision(_ m: inout YAMLMap, meta: Header) throws -> (Int, UTCDateTime) {
        let number = try m.optionalInt("revision", range: 1...10_000) ?? 1
        guard let text = try m.optionalString("revised") else { return (number, meta.revised) }
        guard let t = Validation.parseTimestamp(text) else {
            throw m.error("revised", "\"\(text)\" is not a date (yyyy-mm-dd) or UTC time (yyyy-mm-ddThh:mm:ssZ)")
        }
        return (number, t)
    }

    private func readObligation(_ m: inout YAMLMap, refs: References, meta: Header) throws -> Obligation {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.idPattern, id), id != "session" else {
            throw m.error("id", "\"\(id)\" is not a valid obligation id (lower-case letters, digits and '-')")
        }
        let title = try m.string("title")
        let details = try m.optionalString("details")
        let kindText = try m.string("kind")
        let kind: ObligationKind
        switch kindText {
        case "deadline":
            if m.has("days") { throw m.error("days", "a deadline has no length; remove days or use kind: span") }
            kind = .deadline
        case "span":
            guard let days = try m.optionalInt("days", range: 1...366) else {
                throw m.missing("days")
            }
            kind = .span(days: days)
        default:
            throw m.error("kind", "expected deadline or span, found \"\(kindText)\"")
        }
        let ruleText = try m.string("rrule")
        let rule: RecurrenceRule
        do { rule = try RecurrenceRule(ruleText) } catch let e as ICalError {
            throw m.error("rrule", e.description)
        }
        let dtstart = try m.date("dtstart")
        guard dtstart >= meta.start, dtstart <= meta.end else {
            throw m.error("dtstart", "\(dtstart.iso) is outside the plan period \(meta.start.iso)…\(meta.end.iso)")
        }
        let first: [CivilDate]
        do { first = try rule.dates(from: dtstart, through: meta.end, limit: 1) } catch let e as ICalError {
            throw m.error("rrule", e.description)
        }
        guard first.first == dtstart else {
            let next = first.first.map { "; the rule's first date from it is \($0.iso)" } ?? "; the rule gives no date in the plan period"
            throw m.error("dtstart", "\(dtstart.iso) does not match the rule \(rule.text)\(next)")
        }
        let keyText = try m.optionalString("key")
        let key: OccurrenceKey
        if let keyText {
            guard let k = OccurrenceKey(rawValue: keyText) else {
                throw m.error("key", "expected year, quarter, month or date, found \"\(keyText)\"")
            }
            key = k
        } else {
            key = rule.frequency == "YEARLY" ? .year : .date
        }
        // Occurrence ids are <obligation>/<key>: the key must tell every date apart.
        let allDates = try rule.dates(from: dtstart, through: meta.end)
        var keys: Set<String> = []
        for date in allDates {
            let last: CivilDate
            if case let .span(days) = kind { last = date.adding(days: days - 1) } else { last = date }
            let k = Schedule.key(key, first: date, last: last)
            guard keys.insert(k).inserted else {
                throw m.error(m.has("key") ? "key" : "rrule",
                              "key: \(key.rawValue) gives two occurrences the id \"\(id)/\(k)\"; choose a key (year, quarter, month, date) that tells them apart")
            }
        }
        let forEach = try unitList(&m, "for_each", refs: refs)
        let owner: String
        if forEach == nil {
            guard m.has("owner") else { throw m.missing("owner") }
            owner = try m.string("owner")
            guard refs.units.contains(owner) else {
                throw m.error("owner", "unknown unit \"\(owner)\" (known units: \(refs.allUnitIDs.joined(separator: ", ")))")
            }
        } else {
            if m.has("owner") { throw m.error("owner", "give either owner or for_each, not both") }
            owner = ""
            if forEach!.isEmpty { throw m.error("for_each", "must list at least one unit") }
        }
        let participants = try unitList(&m, "participants", refs: refs) ?? []
        let targets = try targetList(&m, refs: refs)
        let section = try m.string("section")
        let assumption = try m.optionalString("assumption")
        let reminders = try m.strings("reminders").map { text -> Int in
            guard let d = Int(text), (0...90).contains(d) else {
                throw m.error("reminders", "\"\(text)\" is not a number of days before (0…90)")
            }
            return d
        }
        let counts = try m.strings("counts").map { text -> CountKind in
            guard let c = CountKind(rawValue: text) else {
                throw m.error("counts", "unknown count \"\(text)\" (expected \(CountKind.allCases.map(\.rawValue).joined(separator: " or ")))")
            }
            return c
        }
        let rev = try revision(&m, meta: meta)
        try m.rejectUnknown(allowed: ["id", "title", "details", "kind", "days", "rrule", "dtstart", "key", "owner",
                                      "for_each", "participants", "targets", "section", "assumption", "reminders",
                                      "counts", "revision", "revised", "notes"])
        return Obligation(id: id, title: title, details: details, kind: kind, rule: rule, dtstart: dtstart, key: key,
                          owner: owner, forEach: forEach, participants: participants, targets: targets,
                          section: section, assumption: assumption,
                          reminderDays: m.has("reminders") ? Array(Set(reminders)).sorted(by: >) : defaultReminders(kind),
                          counts: counts, revision: rev.0, revised: rev.1)
    }

    private func defaultReminders(_ kind: ObligationKind) -> [Int] {
        switch kind {
        case .deadline: return [7, 1]
        case .span: return [1]
        }
    }

    private func readSession(_ m: inout YAMLMap, refs: References, meta: Header) throws -> Session {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.idPattern, id) else {
            throw m.error("id", "\"\(id)\" is not a valid session id (lower-case letters, digits and '-')")
        }
        let title = try m.string("title")
        let date = try m.date("date")
        guard date >= meta.start, date <= meta.end else {
            throw m.error("date", "\(date.iso) is outside the plan period \(meta.start.iso)…\(meta.end.iso)")
        }
        func minutes(_ key: String) throws -> Int {
            let text = try m.string(key)
            let parts = text.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let mm = Int(parts[1]), (0...23).contains(h),
                  (0...59).contains(mm), parts[1].count == 2 else {
                throw m.error(key, "\"\(text)\" is not a time of day (expected hh:mm, e.g. 08:00)")
            }
            return h * 60 + mm
        }
        let startMinutes = try minutes("start")
        let endMinutes = try minutes("end")
        guard endMinutes > startMinutes else { throw m.error("end", "the session ends before it starts") }
        let place = try m.optionalString("place")
        let owner = try m.string("owner")
        guard refs.units.contains(owner) else { throw m.error("owner", "unknown unit \"\(owner)\"") }
        let participants = try unitList(&m, "participants", refs: refs) ?? []
        let targets = try targetList(&m, refs: refs)
        let section = try m.string("section")
        let assumption = try m.optionalString("assumption")
        let rev = try revision(&m, meta: meta)
        try m.rejectUnknown(allowed: ["id", "title", "date", "start", "end", "place", "owner", "participants",
                                      "targets", "section", "assumption", "revision", "revised", "notes"])
        return Session(id: id, title: title, date: date, startMinutes: startMinutes, endMinutes: endMinutes,
                       place: place, owner: owner, participants: participants, targets: targets, section: section,
                       assumption: assumption, revision: rev.0, revised: rev.1)
    }
}
