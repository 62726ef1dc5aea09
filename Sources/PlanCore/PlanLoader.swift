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

    /// An id of a plan, unit, obligation or session: `UnitID`'s format.
    static func isID(_ s: String) -> Bool { UnitID.isWellFormed(s) }

    /// A figure's id: `[a-z][a-z0-9-]{0,62}`.
    static func isFigureID(_ s: String) -> Bool {
        // A unit id's bytes that starts with a letter (no `Regex` literal: it is parsed at each call).
        guard let first = s.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return UnitID.isWellFormed(s)
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
        var targetPlaces: [TargetID: (line: Int?, path: String)] = [:]
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
            trackingFrom: meta.trackingFrom, place: meta.place, reportsTo: meta.reportsTo, reportForm: meta.reportForm)
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
        var reportForm: ReportForm
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
        var targets: Set<TargetID>
        var allUnitIDs: [String]
        /// Units read without problems, members included, by id.
        var byID: [UnitID: PlanUnit] = [:]
        /// Each target's figures and the unit supplying each.
        var figures: [TargetID: [String: UnitID]] = [:]
        /// False when a target failed to load: its figures are then not checked (no cascade).
        var targetsComplete = true

        /// The id of a unit the plan declares, from the text a list or an owner gives.
        func unit(_ text: String) -> UnitID? { units.contains(text) ? UnitID(rawValue: text) : nil }
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
}
