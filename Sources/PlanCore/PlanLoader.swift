import Foundation
import ICal
import Yams

/// Reads and validates a plan file (YAML). The format is documented in the README.
public enum PlanLoader {
    /// Plan files larger than this are refused before parsing.
    public static let maxBytes = 1 << 20

    /// The most occurrences a plan may give in all: every obligation's dates times its units
    /// (one each for `for_each`), plus the sessions. A ward's plan gives a few hundred (the
    /// shipped one 229); 20,000 leaves room for weekly items for 60 units over six years, while
    /// every command that expands the plan (check, feeds, reports, the server) stays within
    /// seconds and megabytes. Without a cap a 19 KB plan of daily per-unit items over 27 years
    /// (1.6 million occurrences) took 25 s and 1.4 GB to check.
    public static let maxOccurrences = 20_000

    /// Loads a plan from a file.
    public static func load(path: String) throws -> Plan {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw PlanError(file: path, "không có tệp này")
        }
        guard !isDir.boolValue else { throw PlanError(file: path, "là một thư mục, không phải tệp kế hoạch") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maxBytes {
            throw PlanError(file: path, "tệp có \(size) byte; tệp kế hoạch tối đa \(maxBytes) byte")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlanError(file: path, "không đọc được tệp: \(error.localizedDescription)")
        }
        return try parse(data: data, file: path)
    }

    /// Parses plan data; `file` names it in errors.
    public static func parse(data: Data, file: String) throws -> Plan {
        guard data.count <= maxBytes else {
            throw PlanError(file: file, "tệp có \(data.count) byte; tệp kế hoạch tối đa \(maxBytes) byte")
        }
        guard !data.isEmpty else { throw PlanError(file: file, "tệp rỗng; cần một kế hoạch dạng YAML") }
        // memchr and the standard library's UTF-8 check: Foundation's byte-by-byte Data walk and
        // `String(data:encoding:)` were a twelfth of loading a plan.
        let text: String? = data.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            guard memchr(raw.baseAddress!, 0, raw.count) == nil else { return nil }
            if #available(macOS 15, *) { return String(validating: bytes, as: UTF8.self) }
            return String(bytes: bytes, encoding: .utf8)
        }
        guard let text else {
            throw PlanError(file: file, "không phải tệp văn bản (dữ liệu nhị phân hoặc UTF-8 không hợp lệ); cần một kế hoạch YAML mã hóa UTF-8")
        }
        let root: Node
        do {
            // The plan reader takes every scalar as text and reads numbers, days and booleans itself:
            // the basic resolver spares a regular expression per scalar (a tenth of `generate`).
            guard let node = try Yams.compose(yaml: text, .basic) else {
                throw PlanError(file: file, "tệp không có nội dung YAML; cần một kế hoạch dạng YAML")
            }
            root = node
        } catch let error as YamlError {
            throw translate(error, file: file, text: text)
        }
        return try PlanBuilder(file: file).build(root)
    }

    /// libyaml's usual complaints, said in Vietnamese with their usual cause.
    static func yamlProblem(_ problem: String) -> String {
        let known: [(String, String)] = [
            ("mapping values are not allowed", "dấu ':' không được phép ở đây (thụt lề sai, hoặc giá trị có ':' cần đặt trong ngoặc kép)"),
            ("could not find expected ':'", "thiếu dấu ':' sau tên trường"),
            ("did not find expected key", "không tìm thấy tên trường ở chỗ cần có (thụt lề sai?)"),
            ("did not find expected '-' indicator", "thiếu dấu '-' của một mục trong danh sách (thụt lề sai?)"),
            ("found unexpected end of stream", "tệp kết thúc giữa chừng (thiếu dấu ngoặc kép đóng?)"),
            ("did not find expected ',' or ']'", "danh sách trên một dòng thiếu ',' hoặc ']'"),
            ("did not find expected ',' or '}'", "bảng trên một dòng thiếu ',' hoặc '}'"),
            ("tab character", "có ký tự tab ở chỗ thụt lề; YAML chỉ thụt lề bằng dấu cách"),
            ("found character that cannot start any token", "có ký tự không thể bắt đầu một giá trị (ví dụ tab, '@' hoặc '`'; hãy đặt giá trị trong ngoặc kép)"),
            ("found unknown escape character", "chuỗi trong ngoặc kép có ký tự thoát '\\' không hợp lệ"),
            ("did not find expected node content", "thiếu giá trị ở chỗ cần có"),
            ("block sequence entries are not allowed", "mục danh sách '-' không được phép ở đây (thụt lề sai?)"),
            ("found undefined alias", "dùng một bí danh (*…) chưa được định nghĩa"),
            ("found unexpected document indicator", "dòng '---' hoặc '...' nằm trong một giá trị"),
        ]
        return known.first { problem.contains($0.0) }?.1 ?? "YAML không hợp lệ"
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
            // Yams does not say which mapping's path it is: name the key in the message only.
            return PlanError(file: file, line: line, "khóa \"\(key)\" bị lặp (mỗi trường chỉ được ghi một lần trong một bảng)")
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            // libyaml notices some mistakes a line late (a key without ':' is found out on the
            // next line, an unclosed quote at the end of the file): where the context is the
            // token or flow collection being read, its start is where the mistake is.
            var line = mark.line, column = mark.column
            if let context, context.mark.line < mark.line,
               ["while scanning a simple key", "while scanning a quoted scalar", "while parsing a flow"]
                .contains(where: context.text.hasPrefix) {
                (line, column) = (context.mark.line, context.mark.column)
            }
            return PlanError(file: file, line: line,
                             "lỗi cú pháp YAML ở cột \(column): \(yamlProblem(problem)) (libyaml: \(problem))")
        case let .reader(problem, _, _, _):
            return PlanError(file: file, "không đọc được YAML: \(problem)")
        default:
            return PlanError(file: file, "lỗi YAML: \(error)")
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
    static func attempt<T>(_ issues: inout [PlanIssue], _ body: () throws -> T) -> T? {
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
        let trackingMap = top.has("tracking") ? try top.map("tracking") : nil
        try top.rejectUnknown(allowed: ["plan", "units", "targets", "obligations", "sessions", "tracking"])
        if !top.has("units") || unitMaps.isEmpty { throw top.error("units", "kế hoạch phải có ít nhất một đơn vị") }

        // A bad header is reported with the rest; without it the obligations and sessions
        // (whose dates depend on the period) cannot be checked, the units and targets can.
        let meta = PlanBuilder.attempt(&issues) { try readHeader(&header) }

        var units: [PlanUnit] = []
        var seenUnits: [String: Int] = [:]
        var places: [UnitPlace] = []
        let issuesBeforeUnits = issues.count
        for var m in unitMaps {
            if let u = PlanBuilder.attempt(&issues, { try readUnit(&m, parent: nil, places: &places) }) { units.append(u) }
        }
        for (i, place) in places.enumerated() {
            if seenUnits[place.id] != nil {
                issues.append(PlanIssue(file: file, line: place.line, field: "\(place.path).id",
                                        message: "mã đơn vị \"\(place.id)\" bị trùng (mã đơn vị phải duy nhất, kể cả các thành viên)"))
            }
            seenUnits[place.id] = i
        }
        let leads = units.filter { $0.role == .lead }.count
        if leads != 1 && issues.count == issuesBeforeUnits {
            issues.append(PlanIssue(file: file, field: "units",
                                    message: "cần đúng một đơn vị có role: lead (đơn vị chủ trì), nhưng có \(leads)"))
        }

        var targets: [PlanTarget] = []
        var targetPlaces: [String: (line: Int?, path: String)] = [:]
        let issuesBeforeTargets = issues.count
        for var m in targetMaps {
            let period = meta.map { $0.start.year...$0.end.year }
            if let t = PlanBuilder.attempt(&issues, { try readTarget(&m, units: Set(places.map(\.id)), period: period) }) {
                if targets.contains(where: { $0.id == t.id }) {
                    issues.append(PlanIssue(file: file, line: m.line, field: m.path, message: "mã chỉ tiêu \"\(t.id)\" bị trùng"))
                } else {
                    targets.append(t)
                    targetPlaces[t.id] = (m.line, m.path)
                }
            }
        }

        let refs = References(units: Set(seenUnits.keys), targets: Set(targets.map(\.id)),
                              // Every id written, even of a unit with another problem: no cascade of "unknown unit".
                              allUnitIDs: places.map(\.id),
                              byID: Dictionary(units.flatMap { [$0] + $0.members }.map { ($0.id, $0) },
                                               uniquingKeysWith: { first, _ in first }),
                              figures: Dictionary(uniqueKeysWithValues: targets.map { t in
                                  (t.id, Dictionary(uniqueKeysWithValues: t.figures.map { ($0.id, $0.unit) }))
                              }),
                              targetsComplete: issues.count == issuesBeforeTargets)
        // Sessions are one occurrence each; obligations count theirs as they are read.
        var count = OccurrenceCount(counted: sessionMaps.count)
        var obligations: [Obligation] = []
        var fulfilmentPlaces: [String: (line: Int?, field: String)] = [:]
        for var m in obligationMaps {
            guard let meta else { break }
            guard let o = PlanBuilder.attempt(&issues, { try readObligation(&m, refs: refs, meta: meta, count: &count) })
            else { continue }
            if obligations.contains(where: { $0.id == o.id }) {
                issues.append(PlanIssue(file: file, line: m.line, field: "\(m.path).id", message: "mã nhiệm vụ \"\(o.id)\" bị trùng"))
            } else {
                obligations.append(o)
                fulfilmentPlaces[o.id] = m.location("fulfilled_by")
            }
        }
        issues += checkFulfilmentReferences(obligations, places: fulfilmentPlaces,
                                            complete: obligations.count == obligationMaps.count)
        var sessions: [Session] = []
        for var m in sessionMaps {
            guard let meta else { break }
            guard let s = PlanBuilder.attempt(&issues, { try readSession(&m, refs: refs, meta: meta) }) else { continue }
            if sessions.contains(where: { $0.id == s.id }) {
                issues.append(PlanIssue(file: file, line: m.line, field: "\(m.path).id", message: "mã buổi \"\(s.id)\" bị trùng"))
            } else {
                sessions.append(s)
            }
        }
        var tracking = Tracking(subject: meta?.title ?? "", targets: PlanBuilder.trackedTargets(targets))
        if var m = trackingMap {
            // A target or obligation that failed to load is reported already: no cascade here.
            let complete = issues.count == issuesBeforeTargets
            if let t = PlanBuilder.attempt(&issues, { try readTracking(&m, targets: targets, obligations: obligations,
                                                                        checkReferences: complete, lastYear: meta?.end.year) }) {
                tracking = t
            }
        }
        if count.counted > PlanLoader.maxOccurrences {
            let at = count.firstOver ?? top.location("sessions")
            issues.append(PlanIssue(
                file: file, line: at.line, field: at.field,
                message: "kế hoạch cho ít nhất \(Vietnamese.number(count.counted)) lần thực hiện, vượt quá giới hạn \(Vietnamese.number(PlanLoader.maxOccurrences)) \(count.firstOver == nil ? "khi cộng các buổi" : "từ nhiệm vụ này") (mỗi ngày của quy tắc tính một lần cho mỗi đơn vị trong for_each, mỗi buổi một lần); hãy thưa quy tắc, rút ngắn thời gian của kế hoạch hoặc bớt đơn vị trong for_each"))
        }
        // An indicator computed from records needs a rule that counts records (II.2.6).
        for target in targets where !(tracking.rule(of: target.id)?.countsRecords ?? false) {
            for (j, indicator) in target.indicators.enumerated() where indicator.source == .records {
                let place = targetPlaces[target.id]
                issues.append(PlanIssue(file: file, line: place?.line,
                                        field: "\(place?.path ?? "targets").indicators[\(j)].source",
                                        message: "chỉ tiêu \(target.id) không có quy tắc theo dõi tính từ hồ sơ (tracking: { rule: per_quarter_with_evidence | per_month_with_evidence | every_organisation_yearly | share_reached }), nên không tính được từ hồ sơ hoàn thành (source: records)"))
            }
        }
        guard issues.isEmpty, let meta else { throw PlanError(issues: issues) }

        let plan = Plan(
            id: meta.id, title: meta.title, issuer: meta.issuer, number: meta.number, signedBy: meta.signedBy,
            legalBasis: meta.legalBasis, start: meta.start, end: meta.end, timeZone: meta.timeZone,
            utcOffsetSeconds: meta.offset, publicBaseURL: meta.baseURL, population: meta.population,
            revised: meta.revised, units: units, targets: targets, obligations: obligations,
            sessions: sessions, refreshSeconds: meta.refreshHours * 3600, tracking: tracking,
            trackingFrom: meta.trackingFrom, place: meta.place, reportsTo: meta.reportsTo)
        return plan
    }

    /// libical's errors, worded for the person editing the plan file.
    static func explain(_ e: ICalError) -> String {
        switch e {
        case let .invalidRecurrenceRule(rule, reason):
            let why = reason.contains("ASCII") ? "quy tắc chỉ được dùng ký tự ASCII"
                : "libical không đọc được; kiểm tra FREQ và các phần BY*"
            return "RRULE \"\(rule)\" không hợp lệ: \(why)"
        case let .invalidRulePart(rule, part, problem):
            let why: String
            switch problem {
            case .unknown: why = "phần \(part) không có trong RFC 5545 (các phần: FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)"
            case .repeated: why = "phần \(part) được ghi hơn một lần"
            case let .notANumber(v): why = "\(part): \"\(v)\" không phải là số nguyên"
            case let .outOfRange(v, min, max, signed):
                why = "\(part): \(v) nằm ngoài khoảng cho phép \(min)…\(max)" + (signed ? " (hoặc -\(max)…-\(min))" : "")
            case let .notAWeekday(v): why = "\(part): \"\(v)\" không phải là thứ trong tuần (SU, MO, TU, WE, TH, FR, SA)"
            case .countWithUntil: why = "không được dùng COUNT cùng với UNTIL (RFC 5545)"
            }
            return "RRULE \"\(rule)\" không hợp lệ: \(why)"
        case let .unusableRecurrenceRule(rule, start):
            return "RRULE \"\(rule)\" không thể triển khai từ DTSTART \(start) (RFC 5545 không cho phép tổ hợp này)"
        case let .tooManyOccurrences(rule, limit):
            return "RRULE \"\(rule)\" cho hơn \(limit) ngày trong thời gian của kế hoạch"
        default:
            return e.description
        }
    }

    struct Header {
        var id, title, issuer: String
        var number, signedBy, baseURL: String?
        var place, reportsTo: String?
        var legalBasis: [String]
        var start, end: CivilDate
        var timeZone: String
        var offset: Int
        var population: Int?
        var revised: UTCDateTime
        var refreshHours: Int
        var trackingFrom: CivilDate?
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
        /// Units read without problems, members included, by id.
        var byID: [String: PlanUnit] = [:]
        /// Each target's figures and the unit supplying each.
        var figures: [String: [String: String]] = [:]
        /// False when a target failed to load: its figures are then not checked (no cascade).
        var targetsComplete = true
    }

    /// Occurrences counted so far, so that a runaway plan is refused after expanding at most
    /// `PlanLoader.maxOccurrences` dates in all, not millions.
    struct OccurrenceCount {
        /// A lower bound of the plan's occurrences: once over the cap, each further rule adds
        /// only its first date.
        var counted: Int
        /// Where the count first went over the cap.
        var firstOver: (line: Int?, field: String)?
    }

    private func readHeader(_ m: inout YAMLMap) throws -> Header {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.idPattern, id) else {
            throw m.error("id", "\"\(id)\" không phải là mã hợp lệ (chữ thường không dấu, chữ số và '-')")
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
        guard start <= end else { throw period.error("end", "thời gian kết thúc (\(end.iso)) trước khi bắt đầu (\(start.iso))") }
        guard end.year - start.year < 50 else { throw period.error("end", "thời gian của kế hoạch tối đa 50 năm (từ \(start.year) đến \(end.year) là \(end.year - start.year + 1) năm)") }
        let tzName = try m.string("time_zone")
        let offset: Int
        do { offset = try PlanTimeZone.fixedOffset(tzName, from: start, through: end) } catch let refusal as PlanTimeZone.Refusal {
            throw m.error("time_zone", refusal.message)
        }
        let baseURL = try m.optionalString("public_base_url")
        if let baseURL, !Validation.isHTTPURL(baseURL) {
            throw m.error("public_base_url", "\"\(baseURL)\" không phải là địa chỉ http(s) hợp lệ")
        }
        let population = try m.optionalInt("population", range: 1...100_000_000)
        guard let revisedText = try m.optionalString("revised") else { throw m.missing("revised") }
        guard let revised = Validation.parseTimestamp(revisedText) else {
            throw m.error("revised", "\"\(revisedText)\" không phải là ngày (yyyy-mm-dd) hoặc giờ UTC (yyyy-mm-ddThh:mm:ssZ)")
        }
        let refresh = try m.optionalInt("refresh_hours", range: 1...168) ?? 12
        let trackingFrom = try m.optionalDate("tracking_from")
        if let trackingFrom, !(start...end).contains(trackingFrom) {
            throw m.error("tracking_from", "ngày bắt đầu theo dõi \(trackingFrom.vietnamese) nằm ngoài thời gian của kế hoạch (\(start.vietnamese) – \(end.vietnamese))")
        }
        let place = try m.optionalString("place")
        let reportsTo = try m.optionalString("reports_to")
        try m.rejectUnknown(allowed: ["id", "title", "issuer", "number", "signed_by", "legal_basis", "period",
                                      "time_zone", "public_base_url", "population", "revised", "refresh_hours",
                                      "tracking_from", "place", "reports_to", "notes"])
        return Header(id: id, title: title, issuer: issuer, number: number, signedBy: signedBy, baseURL: baseURL,
                      place: place, reportsTo: reportsTo,
                      legalBasis: legalBasis, start: start, end: end, timeZone: tzName,
                      offset: offset, population: population, revised: revised,
                      refreshHours: refresh, trackingFrom: trackingFrom)
    }

    private func readUnit(_ m: inout YAMLMap, parent: PlanUnit?, places: inout [UnitPlace]) throws -> PlanUnit {
        let id = try m.string("id")
        places.append(UnitPlace(id: id, line: m.line, path: m.path))
        guard PlanBuilder.matches(PlanBuilder.idPattern, id), id != "all" else {
            throw m.error("id", "\"\(id)\" không phải là mã đơn vị hợp lệ (chữ thường không dấu, chữ số và '-'; không được là \"all\")")
        }
        // Feeds are <unit>.ics and <unit>-tasks.ics: "x-tasks" would collide with x's task feed.
        guard !id.hasSuffix("-tasks") else {
            throw m.error("id", "mã đơn vị \"\(id)\" không được kết thúc bằng \"-tasks\" (trùng tên với lịch công việc của đơn vị \"\(id.dropLast(6))\")")
        }
        let name = try m.string("name")
        let roleText = try m.optionalString("role") ?? "member"
        guard let role = PlanUnit.Role(rawValue: roleText), parent == nil || role == .member else {
            throw m.error("role", "cần lead hoặc member, nhưng gặp \"\(roleText)\"")
        }
        let section = try m.optionalString("section") ?? parent?.section
        let isOrganisation = try m.bool("organisation", default: parent?.isOrganisation ?? true)
        let assumption = try m.optionalString("assumption")
        // V.6 "Đề nghị …": the plan requests the Front and the unions; members share their collective's relation.
        let relationText = try m.optionalString("relation")
        var relation = parent?.relation ?? .assigned
        if let relationText {
            guard let r = PlanUnit.Relation(rawValue: relationText) else {
                throw m.error("relation", "cần assigned (được giao nhiệm vụ) hoặc requested (được đề nghị), nhưng gặp \"\(relationText)\"")
            }
            relation = r
        }
        if relation == .requested && role == .lead {
            throw m.error("relation", "đơn vị chủ trì (role: lead) không thể là đơn vị được đề nghị (relation: requested)")
        }
        var unit = PlanUnit(id: id, name: name, role: role, section: section, isOrganisation: isOrganisation,
                            parentID: parent?.id, members: [], assumption: assumption, relation: relation)
        if parent == nil {
            for var mm in try m.maps("members") { unit.members.append(try readUnit(&mm, parent: unit, places: &places)) }
        }
        try m.rejectUnknown(allowed: parent == nil
            ? ["id", "name", "role", "section", "organisation", "assumption", "relation", "members", "notes"]
            : ["id", "name", "role", "section", "organisation", "assumption", "relation", "notes"])
        return unit
    }

    private func readTarget(_ m: inout YAMLMap, units: Set<String>, period: ClosedRange<Int>?) throws -> PlanTarget {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.targetPattern, id) else {
            throw m.error("id", "\"\(id)\" không phải là mã chỉ tiêu (cần G<mục tiêu>.T<số>, ví dụ G6.T3)")
        }
        var t = PlanTarget(id: id, text: try m.string("text"), section: try m.string("section"),
                           short: try m.optionalString("short"))
        t.figures = try readFigures(&m, units: units)
        t.indicators = try readIndicators(&m, figures: t.figures, period: period)
        t.tracking = try readTargetTracking(&m, period: period, figures: t.figures)
        try m.rejectUnknown(allowed: ["id", "text", "section", "short", "notes", "figures", "indicators", "tracking"])
        return t
    }

    private func unitList(_ m: inout YAMLMap, _ key: String, refs: References) throws -> [String]? {
        guard m.has(key) else { return nil }
        let ids = try m.strings(key)
        if ids == ["all"] { return refs.allUnitIDs }
        for id in ids where !refs.units.contains(id) {
            throw m.error(key, "không có đơn vị \"\(id)\" (các đơn vị: \(refs.allUnitIDs.joined(separator: ", ")), hoặc all)")
        }
        return ids
    }

    private func targetList(_ m: inout YAMLMap, refs: References) throws -> [String] {
        let ids = try m.strings("targets")
        for id in ids where !refs.targets.contains(id) {
            throw m.error("targets", "không có chỉ tiêu \"\(id)\" (các chỉ tiêu được liệt kê ở mục targets:, ví dụ G6.T3)")
        }
        return ids
    }

    private func revision(_ m: inout YAMLMap, meta: Header) throws -> (Int, UTCDateTime) {
        let number = try m.optionalInt("revision", range: 1...10_000) ?? 1
        guard let text = try m.optionalString("revised") else { return (number, meta.revised) }
        guard let t = Validation.parseTimestamp(text) else {
            throw m.error("revised", "\"\(text)\" không phải là ngày (yyyy-mm-dd) hoặc giờ UTC (yyyy-mm-ddThh:mm:ssZ)")
        }
        return (number, t)
    }

    private func readObligation(_ m: inout YAMLMap, refs: References, meta: Header,
                                count: inout OccurrenceCount) throws -> Obligation {
        let id = try m.string("id")
        guard PlanBuilder.matches(PlanBuilder.idPattern, id), id != "session" else {
            throw m.error("id", "\"\(id)\" không phải là mã nhiệm vụ hợp lệ (chữ thường không dấu, chữ số và '-')")
        }
        let title = try m.string("title")
        let details = try m.optionalString("details")
        let kindText = try m.string("kind")
        let kind: ObligationKind
        switch kindText {
        case "deadline":
            if m.has("days") { throw m.error("days", "hạn chót (deadline) không có độ dài; bỏ days hoặc dùng kind: span") }
            kind = .deadline
        case "span":
            guard let days = try m.optionalInt("days", range: 1...366) else {
                throw m.missing("days")
            }
            kind = .span(days: days)
        default:
            throw m.error("kind", "cần deadline hoặc span, nhưng gặp \"\(kindText)\"")
        }
        let ruleText = try m.string("rrule")
        let rule: RecurrenceRule
        do { rule = try RecurrenceRule(ruleText) } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        // Occurrences are whole days. A rule by the hour, minute or second would give the same
        // day many times, and libical searching by the second for a date that never comes (30
        // February) runs for hours.
        guard ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].contains(rule.frequency) else {
            throw m.error("rrule", "RRULE \"\(rule.text)\": plancal lập lịch theo ngày, nên FREQ phải là DAILY, WEEKLY, MONTHLY hoặc YEARLY, không phải \(rule.frequency)")
        }
        if let part = ["BYHOUR", "BYMINUTE", "BYSECOND"].first(where: rule.partNames.contains) {
            throw m.error("rrule", "RRULE \"\(rule.text)\": plancal lập lịch theo ngày, không dùng \(part)")
        }
        let dtstart = try m.date("dtstart")
        guard dtstart >= meta.start, dtstart <= meta.end else {
            throw m.error("dtstart", "\(dtstart.iso) nằm ngoài thời gian của kế hoạch \(meta.start.iso)…\(meta.end.iso)")
        }
        let first: CivilDate?
        do { first = try rule.firstDate(from: dtstart, through: meta.end) } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        guard first == dtstart else {
            let next = first.map { "; ngày đầu tiên theo quy tắc là \($0.iso)" } ?? "; quy tắc không cho ngày nào trong thời gian của kế hoạch"
            throw m.error("dtstart", "\(dtstart.iso) không khớp với quy tắc \(rule.text)\(next)")
        }
        let keyText = try m.optionalString("key")
        let key: OccurrenceKey
        if let keyText {
            guard let k = OccurrenceKey(rawValue: keyText) else {
                throw m.error("key", "cần year, quarter, month hoặc date, nhưng gặp \"\(keyText)\"")
            }
            key = k
        } else {
            key = rule.frequency == "YEARLY" ? .year : .date
        }
        let forEach = try unitList(&m, "for_each", refs: refs)
        let owner: String
        if forEach == nil {
            guard m.has("owner") else { throw m.missing("owner") }
            owner = try m.string("owner")
            guard refs.units.contains(owner) else {
                throw m.error("owner", "không có đơn vị \"\(owner)\" (các đơn vị: \(refs.allUnitIDs.joined(separator: ", ")))")
            }
        } else {
            if m.has("owner") { throw m.error("owner", "chỉ ghi owner hoặc for_each, không ghi cả hai") }
            owner = ""
            if forEach!.isEmpty { throw m.error("for_each", "phải có ít nhất một đơn vị") }
        }
        // Expand no more dates than the rule's limit and what is left under the plan's cap
        // allow, plus one to tell that it is over.
        let units = forEach.map { Schedule.owners(forEach: $0, unit: { refs.byID[$0] }).count } ?? 1
        let room = max(0, PlanLoader.maxOccurrences - count.counted) / max(1, units)
        let allDates: [CivilDate]
        do {
            allDates = try rule.firstDates(min(RecurrenceRule.defaultLimit, room) + 1, from: dtstart, through: meta.end)
        } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        if allDates.count > RecurrenceRule.defaultLimit {
            throw m.error("rrule", PlanBuilder.explain(.tooManyOccurrences(rule: rule.text, limit: RecurrenceRule.defaultLimit)))
        }
        count.counted += allDates.count * units
        if count.counted > PlanLoader.maxOccurrences, count.firstOver == nil {
            count.firstOver = m.location("rrule")
        }
        // Occurrence ids are <obligation>/<key>: the key must tell every date apart.
        var keys: Set<String> = []
        for date in allDates {
            let last: CivilDate
            if case let .span(days) = kind { last = date.adding(days: days - 1) } else { last = date }
            let k = Schedule.key(key, first: date, last: last)
            guard keys.insert(k).inserted else {
                throw m.error(m.has("key") ? "key" : "rrule",
                              "key: \(key.rawValue) làm hai lần thực hiện có cùng mã \"\(id)/\(k)\"; hãy chọn key (year, quarter, month, date) phân biệt được chúng")
            }
        }
        let participants = try unitList(&m, "participants", refs: refs) ?? []
        // Recipients receive what the owner delivers (the closing paragraph: reports go to UBND
        // through vhxh); a unit is a participant or a recipient, not both.
        let recipients = try unitList(&m, "recipients", refs: refs) ?? []
        if let both = recipients.first(where: participants.contains) {
            throw m.error("recipients", "đơn vị \"\(both)\" vừa là đơn vị phối hợp (participants) vừa là đơn vị nhận (recipients); mỗi đơn vị chỉ có một vai trò")
        }
        if forEach == nil, recipients.contains(owner) {
            throw m.error("recipients", "đơn vị chủ trì \"\(owner)\" không thể đồng thời là đơn vị nhận")
        }
        let targets = try targetList(&m, refs: refs)
        let section = try m.string("section")
        let assumption = try m.optionalString("assumption")
        let reminders = try m.strings("reminders").map { text -> Int in
            guard let d = Int(text), (0...90).contains(d) else {
                throw m.error("reminders", "\"\(text)\" không phải là số ngày nhắc trước (0…90)")
            }
            return d
        }
        let counts = try m.strings("counts").map { text -> CountKind in
            guard let c = CountKind(rawValue: text) else {
                throw m.error("counts", "không có loại số liệu \"\(text)\" (cần \(CountKind.allCases.map(\.rawValue).joined(separator: " hoặc ")))")
            }
            return c
        }
        let rev = try revision(&m, meta: meta)
        let figures = try figureList(&m, refs: refs, owner: forEach == nil ? owner : nil)
        let fulfilledBy = try readFulfilledBy(&m, id: id, figures: figures)
        try m.rejectUnknown(allowed: ["id", "title", "details", "kind", "days", "rrule", "dtstart", "key", "owner",
                                      "for_each", "participants", "recipients", "targets", "section", "assumption", "reminders",
                                      "counts", "revision", "revised", "notes", "figures", "fulfilled_by"])
        return Obligation(id: id, title: title, details: details, kind: kind, rule: rule, dtstart: dtstart, key: key,
                          owner: owner, forEach: forEach, participants: participants, recipients: recipients, targets: targets,
                          section: section, assumption: assumption,
                          reminderDays: m.has("reminders") ? Array(Set(reminders)).sorted(by: >) : defaultReminders(kind),
                          counts: counts, revision: rev.0, revised: rev.1, figures: figures, fulfilledBy: fulfilledBy)
    }

    /// An obligation's `figures:` (`G3.T2/victims-detected`): figures its completion collects,
    /// each declared by its target and supplied by the obligation's owner.
    private func figureList(_ m: inout YAMLMap, refs: References, owner: String?) throws -> [FigureRef] {
        try m.strings("figures").map { text in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw m.error("figures", "\"\(text)\" không hợp lệ (cần <chỉ tiêu>/<mã số liệu>, ví dụ G3.T2/victims-detected)")
            }
            guard let declared = refs.figures[parts[0]] else {
                if !refs.targetsComplete { return FigureRef(target: parts[0], figure: parts[1]) }
                throw m.error("figures", "không có chỉ tiêu \"\(parts[0])\"")
            }
            guard let unit = declared[parts[1]] else {
                throw m.error("figures", "chỉ tiêu \(parts[0]) không có số liệu \"\(parts[1])\" (các số liệu: \(declared.keys.sorted().joined(separator: ", ")))")
            }
            if let owner, unit != owner {
                throw m.error("figures", "số liệu \(text) do đơn vị \(unit) cung cấp, không phải đơn vị chủ trì \(owner)")
            }
            return FigureRef(target: parts[0], figure: parts[1])
        }
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
            throw m.error("id", "\"\(id)\" không phải là mã buổi hợp lệ (chữ thường không dấu, chữ số và '-')")
        }
        let title = try m.string("title")
        let date = try m.date("date")
        guard date >= meta.start, date <= meta.end else {
            throw m.error("date", "\(date.iso) nằm ngoài thời gian của kế hoạch \(meta.start.iso)…\(meta.end.iso)")
        }
        func minutes(_ key: String) throws -> Int {
            let text = try m.string(key)
            let parts = text.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let mm = Int(parts[1]), (0...23).contains(h),
                  (0...59).contains(mm), parts[1].count == 2 else {
                throw m.error(key, "\"\(text)\" không phải là giờ trong ngày (cần hh:mm, ví dụ 08:00)")
            }
            return h * 60 + mm
        }
        let startMinutes = try minutes("start")
        let endMinutes = try minutes("end")
        guard endMinutes > startMinutes else { throw m.error("end", "buổi kết thúc trước khi bắt đầu") }
        let place = try m.optionalString("place")
        let owner = try m.string("owner")
        guard refs.units.contains(owner) else { throw m.error("owner", "không có đơn vị \"\(owner)\"") }
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
