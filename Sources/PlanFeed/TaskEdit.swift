import Foundation
public import ICal
public import PlanCore

/// What a task app asks for when it sends a task back (a CalDAV PUT), read against the task as
/// plancal renders it for the same viewer: tick it, untick it, or nothing plancal records.
///
/// The plan owns the task's name, its days, its recurrence and its text; a change to those is
/// refused (`TaskEditError.planOwned`). What the person adds is read: `COMPLETED` gives the day,
/// a `URL` of their own (ours is the dashboard's link), an `ATTACH` link or a link in the text
/// they added below ours gives the evidence, and that text is the record's note.
public enum TaskEdit: Sendable, Equatable {
    /// Tick: a completion with these details (a nil day: today).
    case complete(day: CivilDate?, evidenceURL: String?, note: String?)
    /// Untick: the unit's completion is withdrawn.
    case reopen
    /// Nothing to record (the state did not change; alarms, categories and the like are the app's).
    case unchanged

    /// The first line of the notice put at the top of a task's DESCRIPTION when a tick was refused.
    public static let noticePrefix = "Chưa ghi nhận:"

    /// Reads `text` (one VCALENDAR with one VTODO) as an edit of occurrence `o` in `viewer`'s
    /// tasks (nil: the whole plan's).
    public static func read(_ text: String, occurrence o: Occurrence, builder: FeedBuilder, viewer: UnitID?)
        throws(TaskEditError) -> TaskEdit {
        let root: ICalComponent
        do { root = try ICalComponent(parsing: text) } catch { throw .unreadable }
        guard root.kindName == "VCALENDAR" else { throw .unreadable }
        let todos = root.children(.todo)
        guard todos.count == 1, root.children(.event).isEmpty, let todo = todos.first else { throw .notOneTask }
        let uid = FeedBuilder.uid(o, plan: builder.plan.id, variant: .tasks)
        guard todo.value(of: "UID") == uid else { throw .otherItem(expected: uid) }
        let added = try checkPlanOwned(todo, o, builder: builder).trimmedOfWhitespace
        let status = todo.value(of: "STATUS")?.uppercased()
        let done = builder.ledger.done(o, for: viewer) != nil
        if status == "CANCELLED" {
            if builder.ledger.waiver(of: o.id) != nil { return .unchanged }
            throw .cancelled
        }
        // STATUS is the state (RFC 5545 §3.8.1.11): an app that unticks may leave the
        // PERCENT-COMPLETE:100 we wrote. Without a STATUS, COMPLETED or 100% is a tick.
        let ticked: Bool
        switch status {
        case "COMPLETED"?: ticked = true
        case "NEEDS-ACTION"?, "IN-PROCESS"?: ticked = false
        default:
            ticked = todo.value(of: "COMPLETED") != nil
                || todo.value(of: "PERCENT-COMPLETE").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } == 100
        }
        if ticked == done { return .unchanged }
        if !ticked { return .reopen }
        let note = added.isEmpty ? nil : added
        let link = evidence(todo, added: note, ours: builder.link(o))
        // Only the link added: it is the evidence, not a note as well.
        return .complete(day: try day(todo.properties(named: "COMPLETED").first, plan: builder.plan),
                         evidenceURL: link, note: note == link ? nil : note)
    }

    /// SUMMARY, DUE, DTSTART, RRULE and the plan's DESCRIPTION text as plancal renders them; gives
    /// the text the person added below the plan's.
    private static func checkPlanOwned(_ todo: ICalComponent, _ o: Occurrence, builder: FeedBuilder)
        throws(TaskEditError) -> Substring {
        // The check mark and "Không áp dụng" are the records', which may have changed since the
        // app fetched the task: the plan's part must be there as it is.
        let base = builder.planSummary(o)
        let summary = todo.value(of: "SUMMARY")?.trimmedOfWhitespace ?? ""
        guard [base, "✓ " + base, "Không áp dụng — " + base].contains(summary) else {
            throw .planOwned(property: "SUMMARY")
        }
        guard todo.value(of: "DUE").map({ String($0.prefix(8)) }) == o.last.basic else { throw .planOwned(property: "DUE") }
        let start = o.first < o.last ? o.first.basic : nil
        if let theirs = todo.value(of: "DTSTART").map({ String($0.prefix(8)) }), theirs != start {
            throw .planOwned(property: "DTSTART")
        }
        guard todo.value(of: "RRULE") == nil, todo.value(of: "RDATE") == nil else { throw .planOwned(property: "RRULE") }
        guard let added = addedPart(todo, o, builder: builder) else { throw .planOwned(property: "DESCRIPTION") }
        return added
    }

    /// What follows the plan's text in the task's DESCRIPTION, or nil when the plan's text is not
    /// there: its first lines (what the plan says) at the start, a notice of ours before them set
    /// aside, and its closing lines (the id, the link) after them. The lines between (who did it,
    /// when) are the records', which may have changed since the app fetched the task.
    private static func addedPart(_ todo: ICalComponent, _ o: Occurrence, builder: FeedBuilder) -> Substring? {
        let text = normalised(todo.value(of: "DESCRIPTION") ?? "")
        let head = normalised(builder.planLines(o).joined(separator: "\n"))
        let tail = normalised(builder.closingLines(o).joined(separator: "\n"))
        // Byte for byte first (an app sends back the bytes it was given; comparing by
        // Character, with grapheme breaking, was most of a PUT's cost), then by Character, for
        // an app that normalised the text's Unicode.
        return addedPart(bytes: text, head: head, tail: tail) ?? addedPart(characters: text, head: head, tail: tail)
    }

    private static func addedPart(bytes text: String, head: String, tail: String) -> Substring? {
        var bytes = Array(text.utf8)[...]
        if bytes.starts(with: noticePrefix.utf8), let end = firstIndex(of: Array("\n\n".utf8), in: bytes) {
            bytes = bytes[(end + 2)...]
        }
        let after = bytes.startIndex + head.utf8.count
        guard bytes.starts(with: head.utf8), let found = lastIndex(of: Array(tail.utf8), in: bytes), found >= after else {
            return nil
        }
        let rest = bytes[(found + tail.utf8.count)...]
        return Substring(String(decoding: rest, as: UTF8.self))
    }

    private static func addedPart(characters text: String, head: String, tail: String) -> Substring? {
        var theirs = Substring(text)
        if theirs.hasPrefix(noticePrefix), let end = theirs.firstRange(of: "\n\n") { theirs = theirs[end.upperBound...] }
        guard theirs.hasPrefix(head), let end = theirs.ranges(of: tail).last,
              end.lowerBound >= theirs.index(theirs.startIndex, offsetBy: head.count) else { return nil }
        return theirs[end.upperBound...]
    }

    // Byte searches of our own: the standard library's firstRange(of:)/ranges(of:) on bytes,
    // tried in their place, cut the PUT benchmark from 1,863 to 1,266 records/s.
    private static func firstIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= hay.count, let first = needle.first else { return nil }
        var i = hay.startIndex
        while i + needle.count <= hay.endIndex {
            if hay[i] == first, hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    private static func lastIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= hay.count, let first = needle.first else { return nil }
        var i = hay.endIndex - needle.count
        while i >= hay.startIndex {
            if hay[i] == first, hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }

    private static func normalised(_ s: String) -> String {
        // Swift's own search, not Foundation's (which goes through CFString on Linux); most texts have no CR.
        guard s.utf8.contains(13) else { return s }
        return s.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
    }

    /// A URL of the person's own, else an ATTACH link, else the first link in their text.
    private static func evidence(_ todo: ICalComponent, added: String?, ours: String?) -> String? {
        if let url = todo.value(of: "URL")?.trimmedOfWhitespace, !url.isEmpty, url != ours { return url }
        for attach in todo.values(of: "ATTACH") where isLink(attach) { return attach }
        guard let added, let match = added.firstMatch(of: #/https?://[^\s<>"]+/#) else { return nil }
        return String(match.output)
    }

    private static func isLink(_ s: String) -> Bool {
        let lower = s.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    /// The day of `COMPLETED` in the plan's time zone: a UTC time is moved by the plan's offset,
    /// a local one is taken as it is.
    static func day(_ completed: ICalReadProperty?, plan: Plan) throws(TaskEditError) -> CivilDate? {
        guard let value = completed?.value.trimmedOfWhitespace else { return nil }
        guard let date = CivilDate(basic: value) else { throw .badCompleted(String(value.prefix(40))) }
        guard value.hasSuffix("Z") else { return date }
        guard let instant = UTCDateTime(basic: value) else { throw .badCompleted(String(value.prefix(40))) }
        return CivilDate(instant: instant.date, utcOffsetSeconds: plan.utcOffsetSeconds)
    }
}

/// Why a task sent back by an app cannot be read as an edit of plancal's task.
public enum TaskEditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not iCalendar libical can read.
    case unreadable
    /// Not one VCALENDAR holding exactly one VTODO.
    case notOneTask
    /// A VTODO of another item.
    case otherItem(expected: String)
    /// A change to what the plan owns.
    case planOwned(property: String)
    /// Cancelled in the app: waiving is the lead unit's decision, on the web.
    case cancelled
    /// A COMPLETED value that is not a date-time.
    case badCompleted(String)

    /// True when the request is malformed (400) rather than refused (403).
    public var isMalformed: Bool {
        switch self {
        case .unreadable, .notOneTask, .otherItem, .badCompleted: return true
        case .planOwned, .cancelled: return false
        }
    }

    public var description: String {
        switch self {
        case .unreadable:
            return "Nội dung gửi lên không phải là iCalendar đọc được"
        case .notOneTask:
            return "Nội dung gửi lên phải là một VCALENDAR chứa đúng một công việc (VTODO)"
        case let .otherItem(expected):
            return "Công việc gửi lên không phải là việc này (UID phải là \(expected))"
        case let .planOwned(property):
            let what = ["SUMMARY": "tên công việc", "DUE": "hạn hoàn thành", "DTSTART": "ngày bắt đầu",
                        "RRULE": "lịch lặp lại", "DESCRIPTION": "phần mô tả do kế hoạch quy định"][property] ?? property
            return "Không sửa được \(what) (\(property)): nội dung này do kế hoạch quy định. Chỉ đánh dấu hoàn thành, thêm đường dẫn minh chứng hoặc ghi chú bên dưới phần mô tả"
        case .cancelled:
            return "Không hủy được công việc trong ứng dụng: việc \"không áp dụng\" do đơn vị chủ trì ghi trên trang của kế hoạch"
        case let .badCompleted(value):
            return "Thời điểm hoàn thành (COMPLETED) \"\(value)\" không đúng định dạng ngày giờ iCalendar"
        }
    }
}
