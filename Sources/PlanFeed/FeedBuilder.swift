import Foundation
public import ICal
public import PlanCore

/// One generated iCalendar feed.
public struct Feed: Sendable, Equatable {
    /// Events (every app) or tasks (VTODO, for task apps).
    public enum Variant: String, Sendable { case events, tasks }
    /// File name, e.g. `cong-an.ics`, `cong-an-tasks.ics`, `all.ics`.
    public var fileName: String
    /// The unit, or nil for the whole plan.
    public var unitID: UnitID?
    /// Which variant.
    public var variant: Variant
    /// The iCalendar text (CRLF line ends).
    public var text: String
}

/// Turns a plan's occurrences and their completions into iCalendar feeds.
///
/// Everything in a feed comes from the plan and the completion records, never the
/// clock, so the same data gives byte-identical feeds.
public struct FeedBuilder: Sendable {
    /// The plan.
    public let plan: Plan
    /// Its occurrences, in schedule order.
    public let occurrences: [Occurrence]
    /// Completion state.
    public let ledger: CompletionLedger
    private let schedule: Schedule

    /// The product identifier written in every feed.
    public static let productID = "-//plancal//plancal 1.0//VI"

    /// A builder for a plan and its records.
    public init(plan: Plan, records: [CompletionRecord]) throws {
        self.plan = plan
        self.schedule = Schedule(plan: plan)
        self.occurrences = try schedule.occurrences()
        self.ledger = CompletionLedger(records: records, plan: plan, occurrences: occurrences)
    }

    /// A builder over occurrences already expanded and a ledger already folded (the server
    /// keeps both and folds new records in as they come).
    public init(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger) {
        self.plan = plan
        self.schedule = Schedule(plan: plan)
        self.occurrences = occurrences
        self.ledger = ledger
    }

    /// Every feed of the plan: per unit (members included) events and tasks, then the whole plan's.
    /// An item reads the same in every feed whose viewer sees it in the same state, so each
    /// distinct item is built and serialised by libical once and its text shared by the feeds.
    public func feeds() throws -> [Feed] {
        let texts = ItemTexts()
        return try allParts(texts: texts).map { $0.feed(texts) }
    }

    /// The pieces of every feed of the plan, in `feeds()`'s order, their items in `texts`.
    public func allParts(texts: ItemTexts) throws -> [FeedParts] {
        var out: [FeedParts] = []
        for unit in plan.allUnits {
            out.append(try parts(unit: unit.id, variant: .events, texts: texts))
            out.append(try parts(unit: unit.id, variant: .tasks, texts: texts))
        }
        out.append(try parts(unit: nil, variant: .events, texts: texts))
        out.append(try parts(unit: nil, variant: .tasks, texts: texts))
        return out
    }

    /// The file name of a feed.
    public static func fileName(unit: UnitID?, variant: Feed.Variant) -> String {
        (unit?.rawValue ?? "all") + (variant == .tasks ? "-tasks" : "") + ".ics"
    }

    /// One feed: a unit's (nil for the whole plan) events or tasks.
    public func feed(unit unitID: UnitID?, variant: Feed.Variant) throws -> Feed {
        try feed(unit: unitID, variant: variant, texts: nil)
    }

    func feed(unit unitID: UnitID?, variant: Feed.Variant, texts: ItemTexts?) throws -> Feed {
        let texts = texts ?? ItemTexts()
        return try parts(unit: unitID, variant: variant, texts: texts).feed(texts)
    }

    /// One feed as its pieces: the calendar's head, its items (serialised once per plan into
    /// `texts`, shared with the plan's other feeds) and the END line.
    ///
    /// libical writes a calendar as its BEGIN line and properties, each child component's own
    /// text in turn, then its END line: the items are serialised one by one and put between
    /// the calendar's head and its END line, byte for byte what serialising the whole tree at
    /// once gives (a test compares both).
    public func parts(unit unitID: UnitID?, variant: Feed.Variant, texts: ItemTexts) throws -> FeedParts {
        let unit = try unitID.map { id -> PlanUnit in
            guard let u = plan.unit(id) else { throw FeedError.unknownUnit(id.rawValue) }
            return u
        }
        var items: [(index: Int, occurrence: Occurrence)] = []
        var last = plan.revised
        for (i, o) in occurrences.enumerated() {
            if let unitID, !schedule.involves(o, unitID) { continue }
            last = max(last, lastModified(o))
            if variant == .tasks, o.minutes != nil { continue }
            items.append((i, o))
        }
        let calendar = try header(unit: unit, variant: variant)
        if items.contains(where: { $0.occurrence.minutes != nil }) {
            calendar.add(try ICalComponent.fixedOffsetTimeZone(
                tzid: plan.timeZone, offsetSeconds: plan.utcOffsetSeconds,
                abbreviation: FeedBuilder.offsetName(plan.utcOffsetSeconds)))
        }
        var head = calendar.serialize()
        guard head.hasSuffix(FeedParts.end) else { throw FeedError.unexpectedSerialisation }
        head.removeLast(FeedParts.end.count)
        var indices: [Int] = []
        indices.reserveCapacity(items.count)
        for (index, o) in items {
            let done = ledger.done(o, for: unitID)
            // A completion without an id (never stored) cannot be told apart: not shared.
            let key = done == nil || done?.record.id != nil
                ? ItemTexts.Key(occurrence: index, variant: variant, done: done?.record.id) : nil
            if let key, let shared = texts.index[key] {
                indices.append(shared)
                continue
            }
            let text = (variant == .events ? try event(o, for: unitID) : try task(o, for: unitID)).serialize()
            texts.list.append(text)
            if let key { texts.index[key] = texts.list.count - 1 }
            indices.append(texts.list.count - 1)
        }
        return FeedParts(fileName: FeedBuilder.fileName(unit: unitID, variant: variant), unitID: unitID, variant: variant,
                         head: head, items: indices, lastModified: last)
    }

    /// One feed, whole-tree serialised by libical in one call (what `feed` gives, the slow way:
    /// kept for the test that compares both).
    public func feedSerialisedWhole(unit unitID: UnitID?, variant: Feed.Variant) throws -> Feed {
        let unit = try unitID.map { id -> PlanUnit in
            guard let u = plan.unit(id) else { throw FeedError.unknownUnit(id.rawValue) }
            return u
        }
        var items = unitID.map { id in occurrences.filter { schedule.involves($0, id) } } ?? occurrences
        if variant == .tasks { items = items.filter { $0.minutes == nil } }
        let calendar = try header(unit: unit, variant: variant)
        if items.contains(where: { $0.minutes != nil }) {
            calendar.add(try ICalComponent.fixedOffsetTimeZone(
                tzid: plan.timeZone, offsetSeconds: plan.utcOffsetSeconds,
                abbreviation: FeedBuilder.offsetName(plan.utcOffsetSeconds)))
        }
        for occurrence in items {
            calendar.add(variant == .events ? try event(occurrence, for: unitID) : try task(occurrence, for: unitID))
        }
        return Feed(fileName: FeedBuilder.fileName(unit: unitID, variant: variant), unitID: unitID,
                    variant: variant, text: calendar.serialize())
    }

    /// The VCALENDAR with its properties and no items.
    private func header(unit: PlanUnit?, variant: Feed.Variant) throws -> ICalComponent {
        let calendar = try ICalComponent(.calendar)
        let calName = (unit?.name ?? "Toàn \(plan.issuer.replacingOccurrences(of: "Ủy ban nhân dân ", with: ""))")
            + (variant == .tasks ? " — Công việc" : "") + " — \(plan.tracking.subject) \(plan.start.year)-\(plan.end.year)"
        try calendar.add([
            .productID(FeedBuilder.productID),
            .version("2.0"),
            .calendarScale("GREGORIAN"),
            .methodPublish,
            .name(calName),
            .extended(name: "X-WR-CALNAME", text: calName),
            .extended(name: "X-WR-CALDESC", text: plan.title),
            .extended(name: "X-WR-TIMEZONE", text: plan.timeZone),
            .refreshInterval(seconds: plan.refreshSeconds),
            .extended(name: "X-PUBLISHED-TTL", text: FeedBuilder.duration(seconds: plan.refreshSeconds)),
        ])
        return calendar
    }

    // MARK: - Items

    // `viewer`: the unit whose feed this is (nil: the whole plan's). A participating unit that
    // recorded its part sees the item done in its own feeds.

    func event(_ o: Occurrence, for viewer: UnitID?, notice: String? = nil) throws -> ICalComponent {
        let e = try ICalComponent(.event)
        try e.add(common(o, uid: FeedBuilder.uid(o, plan: plan.id, variant: .events), for: viewer, notice: notice))
        if let minutes = o.minutes {
            try e.add([
                .start(.local(o.first, hour: minutes.lowerBound / 60, minute: minutes.lowerBound % 60, tzid: plan.timeZone)),
                .end(.local(o.first, hour: minutes.upperBound / 60, minute: minutes.upperBound % 60, tzid: plan.timeZone)),
            ])
            if let place = o.place { try e.add(.location(place)) }
        } else {
            // All-day: DTEND is exclusive (RFC 5545 §3.6.1), the day after the last day.
            try e.add([.start(.date(o.first)), .end(.date(o.last.adding(days: 1))), .transparent])
        }
        try e.add(.status(.confirmed))
        // A done or waived item reminds nobody: its alarms go (SEQUENCE has risen, so clients update).
        if ledger.done(o, for: viewer) == nil && ledger.waiver(of: o.id) == nil {
            for days in o.reminderDays { e.add(try alarm(o, daysBefore: days)) }
        }
        return e
    }

    func task(_ o: Occurrence, for viewer: UnitID?, notice: String? = nil) throws -> ICalComponent {
        let t = try ICalComponent(.todo)
        try t.add(common(o, uid: FeedBuilder.uid(o, plan: plan.id, variant: .tasks), for: viewer, notice: notice))
        // RFC 5545 §3.8.2.3: DUE must be later than DTSTART, so a one-day item has only DUE.
        if o.first < o.last { try t.add(.start(.date(o.first))) }
        try t.add(.due(.date(o.last)))
        if let done = ledger.done(o, for: viewer) {
            try t.add([.status(.completed), .completed(completedAt(done.doneOn)), .percentComplete(100)])
        } else if ledger.waiver(of: o.id) != nil {
            try t.add(.status(.cancelled))
        } else {
            try t.add(.status(.needsAction))
        }
        return t
    }

    /// COMPLETED is a UTC time; the record holds a day, so noon local time stands for it.
    private func completedAt(_ day: CivilDate) -> UTCDateTime {
        UTCDateTime(secondsSinceEpoch: day.daysSinceEpoch * 86_400 + 12 * 3600 - plan.utcOffsetSeconds)
    }

    /// An item's UID: the occurrence's id, `task/` before it for a task.
    public static func uid(_ o: Occurrence, plan: String, variant: Feed.Variant) -> String {
        (variant == .tasks ? "task/" : "") + "\(o.id)@\(plan).plancal"
    }

    private func common(_ o: Occurrence, uid: String, for viewer: UnitID?, notice: String?) throws -> [ICalProperty] {
        let stamp = lastModified(o)
        var categories = [plan.tracking.subject, o.minutes != nil ? "Tập huấn" : (o.isDeadline ? "Hạn chót" : "Chiến dịch")]
        categories += o.targets.map(\.rawValue)
        if let done = ledger.done(o, for: viewer) {
            categories.append(o.doneBy.contains(done.unit) ? "Đã hoàn thành" : "Đã tham gia")
        } else if ledger.waiver(of: o.id) != nil {
            categories.append("Không áp dụng")
        }
        var props: [ICalProperty] = [
            .uid(uid),
            .stamp(stamp),
            .lastModified(stamp),
            .sequence(sequence(o)),
            .summary(summary(o, for: viewer)),
            .description(notice.map { "\($0)\n\n" + description(o) } ?? description(o)),
            .categories(categories),
        ]
        if let link = link(o) { props.append(.url(link)) }
        return props
    }

    /// SEQUENCE rises with each edit of the obligation and each completion change of this
    /// occurrence, and only then.
    public func sequence(_ o: Occurrence) -> Int { (o.revision - 1) + ledger.changeCount(of: o.id) }

    /// LAST-MODIFIED (and DTSTAMP): the later of the obligation's edit and its last record.
    public func lastModified(_ o: Occurrence) -> UTCDateTime {
        // A fulfilment is there only while the occurrence has no completion of its own.
        let via = ledger.fulfilled[o.id]?.via?.recordedAt
        return max(o.revised, ledger.lastChange(of: o.id) ?? o.revised, via ?? o.revised)
    }

    /// The dashboard page of an occurrence, when the plan gives a public base URL.
    public func link(_ o: Occurrence) -> String? {
        guard let base = plan.publicBaseURL else { return nil }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return "\(trimmed)/plans/\(plan.id)/occurrences/\(o.id)"
    }

    /// The SUMMARY: a check mark when done (in the viewer's view), "Hạn:" for deadlines, the
    /// period and (per unit) the unit.
    public func summary(_ o: Occurrence, for viewer: UnitID? = nil) -> String {
        var s = planSummary(o)
        if ledger.done(o, for: viewer) != nil { s = "✓ " + s } else if ledger.waiver(of: o.id) != nil { s = "Không áp dụng — " + s }
        return s
    }

    /// Participants by name, or "all other units" when the owner and they cover the plan.
    private func participantNames(_ o: Occurrence) -> String {
        // Every unit of the plan is the owner or a participant (allUnits has no duplicates).
        let all = plan.allUnits
        if o.units.count >= all.count, all.allSatisfy({ o.owner == $0.id || o.participants.contains($0.id) }) {
            return "tất cả các đơn vị khác"
        }
        return o.participants.compactMap { plan.unit($0)?.name }.joined(separator: "; ")
    }

    /// The DESCRIPTION, in Vietnamese, ending with the occurrence id (for `plancal done`) and the
    /// dashboard link. The dashboard's own page leaves both out: the link would point at itself
    /// and people there read titles, not ids.
    public func description(_ o: Occurrence, withLink: Bool = true) -> String {
        var lines = planLines(o)
        for c in ledger.completions(of: o.id) {
            // The owner's side completes it; a participant's records its part.
            var line = o.doneBy.contains(c.unit) ? "✓ Đã hoàn thành ngày \(c.doneOn.vietnamese)"
                : "Đã tham gia, ghi nhận ngày \(c.doneOn.vietnamese)"
            if let unit = plan.unit(c.unit) { line += " — \(unit.name)" }
            line += " (ghi nhận bởi \(c.record.recordedBy))"
            if c.doneOn > o.last { line += " — trễ hạn" }
            lines.append(line)
            if let url = c.record.evidenceURL { lines.append("Minh chứng: \(url)") }
            if let n = c.record.reached { lines.append("Số người dân được tiếp cận: \(Vietnamese.number(n))") }
            if let n = c.record.participants { lines.append("Số người tham gia: \(Vietnamese.number(n))") }
            if let note = c.record.note { lines.append("Ghi chú: \(note)") }
        }
        // Done through another record (the plan's `fulfilled_by`): which one, so the check
        // mark is explained.
        if let f = ledger.fulfilled[o.id], let note = f.record.note {
            lines.append("✓ \(note)")
            if let url = f.record.evidenceURL { lines.append("Minh chứng: \(url)") }
        }
        if ledger.done(o) == nil, let w = ledger.waiver(of: o.id) {
            lines.append("Không áp dụng: \(w.reason ?? "") (ghi nhận bởi \(w.recordedBy))")
        }
        if withLink { lines += closingLines(o) }
        return lines.joined(separator: "\n")
    }

    /// The DESCRIPTION's first lines: what the plan says of the occurrence, whatever its records.
    public func planLines(_ o: Occurrence) -> [String] {
        var lines: [String] = []
        // A requested unit (V.6 "Đề nghị …") is asked, not directed: say so.
        if let unit = plan.unit(o.owner) { lines.append((o.requested ? "Đề nghị đơn vị thực hiện: " : "Đơn vị chủ trì: ") + unit.name) }
        if !o.participants.isEmpty { lines.append("Đơn vị phối hợp: \(participantNames(o))") }
        if !o.recipients.isEmpty {
            lines.append("Đơn vị nhận: \(o.recipients.compactMap { plan.unit($0)?.name }.joined(separator: "; "))")
        }
        if let minutes = o.minutes {
            var when = "Thời gian: \(o.first.vietnamese), \(Vietnamese.time(minutes.lowerBound))–\(Vietnamese.time(minutes.upperBound))"
            if let place = o.place { when += ", tại \(place)" }
            lines.append(when)
        } else if o.isDeadline {
            lines.append("Hạn chót: \(o.last.vietnamese)")
        } else {
            lines.append("Thời gian: từ \(o.first.vietnamese) đến hết \(o.last.vietnamese)")
        }
        for id in o.targets {
            if let t = plan.target(id) { lines.append("Chỉ tiêu \(t.id) (mục \(t.section)): \(t.text)") }
        }
        lines.append("Căn cứ: \(Vietnamese.source(section: o.section, title: plan.title))")
        if let details = o.details { lines.append(details) }
        if let a = o.assumption { lines.append("Lưu ý về ngày: \(a)") }
        return lines
    }

    /// The DESCRIPTION's last lines: the occurrence id and the dashboard link.
    public func closingLines(_ o: Occurrence) -> [String] {
        var lines = ["Mã công việc: \(o.id)"]
        if let link = link(o) { lines.append("Xem và đánh dấu hoàn thành: \(link)") }
        return lines
    }

    /// The SUMMARY without what the records add (the check mark, "Không áp dụng").
    public func planSummary(_ o: Occurrence) -> String {
        (o.isDeadline ? "Hạn: " : "") + o.name(in: plan)
    }

    private func alarm(_ o: Occurrence, daysBefore days: Int) throws -> ICalComponent {
        let a = try ICalComponent(.alarm)
        let seconds: Int
        if o.minutes != nil {
            seconds = -days * 86_400
        } else {
            // All-day items start at local midnight: remind at 08:00 instead.
            seconds = -days * 86_400 + 8 * 3600
        }
        let when = days == 0 ? "hôm nay" : "còn \(days) ngày"
        try a.add([.actionDisplay, .trigger(seconds: seconds), .description("Nhắc việc (\(when)): \(summary(o))")])
        return a
    }

    static func duration(seconds: Int) -> String {
        seconds % 86_400 == 0 ? "P\(seconds / 86_400)D" : "PT\(seconds / 3600)H"
    }

    static func offsetName(_ seconds: Int) -> String {
        let h = abs(seconds) / 3600, m = abs(seconds) % 3600 / 60
        return String(format: "%@%02d%@", seconds < 0 ? "-" : "+", h, m == 0 ? "" : String(format: "%02d", m))
    }
}

/// Errors building a feed.
public enum FeedError: Error, Equatable, CustomStringConvertible {
    /// No unit with that id in the plan.
    case unknownUnit(String)
    /// libical's text of a calendar did not end as RFC 5545 says it must.
    case unexpectedSerialisation

    public var description: String {
        switch self {
        case let .unknownUnit(id): return "Không có đơn vị \"\(id)\" trong kế hoạch"
        case .unexpectedSerialisation: return "libical trả về lịch không kết thúc bằng END:VCALENDAR"
        }
    }
}
