public import ICal
import Foundation

/// Records completions, undos and ad hoc Goal 6 events, after checking them against the plan.
public struct CompletionService: Sendable {
    /// The plan.
    public let plan: Plan
    /// Its occurrences.
    public let occurrences: [Occurrence]
    /// Where records go.
    public let store: any CompletionRepository
    private let schedule: Schedule

    /// The most a count may be when the plan gives no population.
    public static let maxCount = 10_000_000
    /// The longest note or reason.
    public static let maxText = 2000

    /// A service over a plan and a store.
    public init(plan: Plan, store: any CompletionRepository) throws {
        try self.init(plan: plan, occurrences: Schedule(plan: plan).occurrences(), store: store)
    }

    /// A service over a plan whose occurrences are already expanded (the server keeps them).
    public init(plan: Plan, occurrences: [Occurrence], store: any CompletionRepository) {
        self.plan = plan
        self.store = store
        self.schedule = Schedule(plan: plan)
        self.occurrences = occurrences
    }

    /// What a `done` or an ad hoc record did.
    public typealias Outcome = RecordOutcome

    /// The details of a completion.
    public struct Details: Sendable {
        public var doneOn: CivilDate?
        public var evidenceURL: String?
        public var note: String?
        public var reached: Int?
        public var participants: Int?
        public var organisations: [String]
        /// Where the unit already has a record of the day counting residents reached: whether this
        /// is the same event (not counted again) or another one. Nil: ask (`sameDayReach`).
        public var sameDayReach: SameDayReach?

        /// Details; a nil day means today.
        public init(doneOn: CivilDate? = nil, evidenceURL: String? = nil, note: String? = nil, reached: Int? = nil,
                    participants: Int? = nil, organisations: [String] = [], sameDayReach: SameDayReach? = nil) {
            self.sameDayReach = sameDayReach
            self.doneOn = doneOn
            self.evidenceURL = evidenceURL
            self.note = note
            self.reached = reached
            self.participants = participants
            self.organisations = organisations
        }

        /// The facts to record, on the day checked, with the organisations checked.
        func activity(on checked: Checked, reason: String? = nil) -> CompletionRecord.Activity {
            CompletionRecord.Activity(on: checked.day, evidenceURL: evidenceURL, note: note, reached: reached,
                                      participants: participants, organisations: checked.organisations, reason: reason)
        }
    }

    /// What the checks of a `Details` made of its text: the day and the organisations' ids.
    struct Checked {
        var day: CivilDate
        var organisations: [UnitID]
    }

    /// An app's User-Agent as kept on a record: one line, control characters dropped, at most
    /// 200 characters; nil when there is nothing left.
    static func clientName(_ userAgent: String?) -> String? {
        guard let userAgent else { return nil }
        let clean = String(String.UnicodeScalarView(userAgent.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
            .prefix(200)).trimmingCharacters(in: .whitespaces)
        return clean.isEmpty ? nil : clean
    }

    /// The occurrence an id names, as a person or a request gave it, or an error suggesting the
    /// nearest ids.
    public func occurrence(_ id: String) throws -> Occurrence {
        if let typed = OccurrenceID(rawValue: id), let o = occurrences.first(where: { $0.id == typed }) { return o }
        // No id is this long: suggesting (an edit distance per id) would only burn time.
        guard id.count <= 200 else { throw CompletionError.unknownOccurrence(String(id.prefix(120)) + "…", suggestions: []) }
        throw CompletionError.unknownOccurrence(id, suggestions: Suggest.nearest(id, in: occurrences.map(\.id.rawValue)))
    }

    /// The unit a person or a request named, or `CompletionError.unknownUnit` listing the plan's.
    public func unit(_ text: String) throws -> UnitID {
        guard let unit = plan.unit(named: text) else {
            throw CompletionError.unknownUnit(text, known: plan.allUnits.map(\.id.rawValue))
        }
        return unit.id
    }

    /// Checks that a unit exists and may record an occurrence (owner, participant, or a member
    /// or the collective of one), and gives its id.
    @discardableResult
    public func checkUnit(_ text: String, for occurrence: Occurrence) throws -> UnitID {
        let unit = try self.unit(text)
        // A recipient receives the item; it records nothing of its own unless it may complete it (the lead unit).
        guard schedule.involves(occurrence, unit), !occurrence.isReceived(by: unit) || occurrence.doneBy.contains(unit) else {
            throw CompletionError.notInvolved(unit: plan.name(of: unit), occurrence: occurrence.name(in: plan),
                                              allowed: occurrence.units.map(plan.name(of:)))
        }
        return unit
    }

    private func checkDetails(_ d: Details, today: CivilDate) throws -> Checked {
        let day = d.doneOn ?? today
        guard day >= plan.start, day <= plan.end else {
            throw CompletionError.dateOutsidePlan(day, start: plan.start, end: plan.end)
        }
        guard day <= today else { throw CompletionError.dateInFuture(day, today: today) }
        if let url = d.evidenceURL, !Validation.isHTTPURL(url) { throw CompletionError.invalidURL(url) }
        let maxCount = plan.population ?? CompletionService.maxCount
        if let n = d.reached, !(0...maxCount).contains(n) {
            throw CompletionError.invalidCount(field: "reached", value: n, max: maxCount)
        }
        if let n = d.participants, !(0...maxCount).contains(n) {
            throw CompletionError.invalidCount(field: "participants", value: n, max: maxCount)
        }
        if let note = d.note, note.count > CompletionService.maxText {
            throw CompletionError.tooLong(field: "note", max: CompletionService.maxText)
        }
        if let note = d.note, !Validation.isPrintable(note) { throw CompletionError.controlCharacters(field: "note") }
        // G6.T2 counts organisations; a collective that lists members stands for them.
        let organisations = try d.organisations.map { org in
            guard let unit = plan.unit(named: org), unit.isOrganisation else { throw CompletionError.unknownOrganisation(org) }
            return unit.id
        }
        return Checked(day: day, organisations: organisations)
    }

    /// Records that a unit did an occurrence. A second `done` by the same unit changes
    /// nothing and says so, unless `correct` is set: then it supersedes the first.
    /// With `correct`, `reason` says why (kept with the record).
    /// `known`: the plan's records as the caller holds them, to find a record of the same unit and
    /// day that also counts residents reached (`Details.sameDayReach`). `client`: the app that
    /// sent it (a task app's User-Agent), kept with the record.
    public func markDone(_ occurrenceID: String, unit: String, details: Details, recordedBy: String,
                         correct: Bool = false, reason: String? = nil, now: UTCDateTime,
                         today: CivilDate, known: CompletionLedger? = nil, client: String? = nil) async throws -> Outcome {
        let o = try occurrence(occurrenceID)
        let unit = try checkUnit(unit, for: o)
        let checked = try checkDetails(details, today: today)
        let day = checked.day
        guard day >= o.opens else { throw CompletionError.beforeOpening(day, opens: o.opens, occurrence: o.name(in: plan)) }
        // A count only makes sense where the plan says the obligation has it (its `counts`):
        // a resident count on an annual report would inflate G6.T1.
        if details.reached != nil, !o.counts.contains(.reached) {
            throw CompletionError.countNotRecorded(field: "reached", occurrence: o.name(in: plan))
        }
        if details.participants != nil, !o.counts.contains(.participants) {
            throw CompletionError.countNotRecorded(field: "participants", occurrence: o.name(in: plan))
        }
        if !details.organisations.isEmpty, !o.counts.contains(.organisations) {
            throw CompletionError.countNotRecorded(field: "organisations", occurrence: o.name(in: plan))
        }
        // A news target (Bạch Đằng: G6.T3) is checked on its evidence: the article's link, or
        // where it has none (a loudspeaker bulletin) a note saying where and when it ran.
        if plan.tracking.needsEvidence(o), !CompletionService.hasEvidence(details) {
            throw CompletionError.missingEvidence(occurrence: o.name(in: plan))
        }
        let by = try checkRecorder(recordedBy)
        let why = try reason.map(checkReason)
        var record = CompletionRecord(plan: plan.id, unit: unit, recordedBy: by, recordedAt: now,
                                      kind: .done(occurrence: o.id, details.activity(on: checked, reason: why)),
                                      client: CompletionService.clientName(client))
        try SameDayReach.apply(details.sameDayReach, to: &record, known: known)
        return try await store.append(record) { existing in
            guard let standing = CompletionLedger(records: existing).completion(of: o.id, by: unit), !correct else {
                return .append
            }
            return .alreadyRecorded(standing.record)
        }
    }

    /// Withdraws a unit's completion of an occurrence (a new `undo` record).
    public func undo(_ occurrenceID: String, unit: String, reason: String, recordedBy: String,
                     now: UTCDateTime, client: String? = nil) async throws -> CompletionRecord {
        let o = try occurrence(occurrenceID)
        let unit = try checkUnit(unit, for: o)
        let why = try checkReason(reason)
        let by = try checkRecorder(recordedBy)
        let record = CompletionRecord(plan: plan.id, unit: unit, recordedBy: by, recordedAt: now,
                                      kind: .undo(occurrence: o.id, reason: why), client: CompletionService.clientName(client))
        return try await store.append(record) { existing in
            let ledger = CompletionLedger(records: existing)
            guard ledger.completion(of: o.id, by: unit) != nil else {
                throw CompletionError.notDone(occurrence: o.id, unit: unit, doneBy: ledger.completions(of: o.id).map(\.unit))
            }
            return .append
        }.record
    }

    static func hasEvidence(_ d: Details) -> Bool {
        d.evidenceURL != nil || !(d.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Records an ad hoc event: a news item, a dissemination meeting or a training session
    /// actually held (they count for Goal 6), or an obstacle a unit raises (it counts for
    /// nothing; the lead unit reads it). The same event recorded twice (same kind, unit, day,
    /// link, note and counts) is written once and the second time says so.
    /// `known`: as for `markDone`; `replacing`: the record a correction replaces (not asked about).
    public func recordAdHoc(_ kind: CompletionRecord.AdHocKind, unit: String, details: Details, recordedBy: String,
                            now: UTCDateTime, today: CivilDate, known: CompletionLedger? = nil,
                            replacing: Int64? = nil) async throws -> Outcome {
        let unit = try self.unit(unit)
        let checked = try checkDetails(details, today: today)
        let day = checked.day
        if kind == .news, !CompletionService.hasEvidence(details) { throw CompletionError.missingEvidence(occurrence: nil) }
        // An obstacle is its description; it reaches nobody and informs no organisation.
        if kind == .obstacle {
            guard !(details.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CompletionError.missing(field: "note")
            }
            for (field, given) in [("reached", details.reached != nil), ("participants", details.participants != nil)] where given {
                throw CompletionError.countNotForKind(field: field, kind: "vướng mắc")
            }
        }
        // Organisations informed are what a dissemination meeting reports (G6.T2); residents
        // reached are not what a training session of officials counts.
        if kind != .meeting, !details.organisations.isEmpty {
            throw CompletionError.countNotForKind(field: "organisations", kind: kind.label)
        }
        if kind == .training, details.reached != nil {
            throw CompletionError.countNotForKind(field: "reached", kind: "buổi tập huấn (dùng số người tham gia)")
        }
        let by = try checkRecorder(recordedBy)
        var record = CompletionRecord(plan: plan.id, unit: unit, recordedBy: by, recordedAt: now,
                                      kind: .adHoc(kind, details.activity(on: checked)))
        let asked = record
        try SameDayReach.apply(details.sameDayReach, to: &record, known: known, except: replacing)
        return try await store.append(record) { existing in
            // The same command run twice: same kind, unit, day, link, note and counts.
            let standing = CompletionLedger(records: existing).adHoc
            if let earlier = standing.first(where: { SameDayReach.isRepeat($0, of: asked) }) { return .alreadyRecorded(earlier) }
            // Another record of the day counting residents, come meanwhile (or unknown to the
            // caller): ask, under the store's lock.
            if details.sameDayReach == nil,
               let earlier = SameDayReach.earlier(than: asked, in: CompletionLedger(records: existing), except: replacing) {
                throw CompletionError.sameDayReach(earlier: earlier.id ?? 0, reached: earlier.reached ?? 0, day: day)
            }
            return .append
        }
    }

    /// The reason an undo or a withdrawal must give: present, not too long, printable.
    func checkReason(_ reason: String) throws -> String {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw CompletionError.missing(field: "reason") }
        guard why.count <= CompletionService.maxText else {
            throw CompletionError.tooLong(field: "reason", max: CompletionService.maxText)
        }
        guard Validation.isPrintable(why) else { throw CompletionError.controlCharacters(field: "reason") }
        return why
    }

    func checkRecorder(_ name: String) throws -> String {
        let by = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !by.isEmpty else { throw CompletionError.missing(field: "by") }
        guard by.count <= 200 else { throw CompletionError.tooLong(field: "by", max: 200) }
        guard Validation.isPrintableLine(by) else { throw CompletionError.controlCharacters(field: "by") }
        return by
    }
}
