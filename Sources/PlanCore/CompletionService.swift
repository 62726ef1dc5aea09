public import ICal
import Foundation

/// Why a completion could not be recorded. Messages are in Vietnamese (they reach
/// ward officials as they are); `field` names the input at fault.
public enum CompletionError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOccurrence(String, suggestions: [String])
    case unknownUnit(String, known: [String])
    case notInvolved(unit: String, occurrence: String, allowed: [String])
    case dateOutsidePlan(CivilDate, start: CivilDate, end: CivilDate)
    case dateInFuture(CivilDate, today: CivilDate)
    case invalidURL(String)
    case invalidCount(field: String, value: Int, max: Int)
    case notDone(occurrence: String, unit: String, doneBy: [String] = [])
    case missing(field: String)
    case tooLong(field: String, max: Int)
    case unknownOrganisation(String)
    case notAllowed(String)
    case countNotRecorded(field: String, occurrence: String)
    case beforeOpening(CivilDate, opens: CivilDate, occurrence: String)
    case unknownRecord(Int64)
    case isWithdrawal(Int64)
    case notAdHoc(Int64, occurrence: String)
    case alreadyWithdrawn(Int64)
    case countNotForKind(field: String, kind: String)
    case controlCharacters(field: String)
    case missingEvidence(occurrence: String?)
    case alreadyWaived(occurrence: String)
    case waiveDone(occurrence: String)
    case nothingChanged(Int64)
    /// The unit already has a record of that day counting residents reached: the writer must say
    /// whether this is the same event (counted once) or another one.
    case sameDayReach(earlier: Int64, reached: Int, day: CivilDate)
    /// Only an obstacle is resolved.
    case notObstacle(Int64)
    /// The obstacle is resolved already (its resolution's id).
    case alreadyResolved(Int64, by: Int64)

    /// The input field at fault, for API errors.
    public var field: String? {
        switch self {
        case .unknownOccurrence: return "occurrence"
        case .unknownUnit, .notInvolved: return "unit"
        case .dateOutsidePlan, .dateInFuture: return "on"
        case .invalidURL: return "evidence"
        case let .invalidCount(field, _, _): return field
        case .notDone: return "occurrence"
        case let .missing(field), let .tooLong(field, _): return field
        case .unknownOrganisation: return "organisations"
        case .notAllowed: return nil
        case let .countNotRecorded(field, _): return field
        case .beforeOpening: return "on"
        case .unknownRecord, .notAdHoc, .alreadyWithdrawn, .isWithdrawal: return "record"
        case let .countNotForKind(field, _): return field
        case let .controlCharacters(field): return field
        case .missingEvidence: return "evidence"
        case .alreadyWaived, .waiveDone: return "occurrence"
        case .nothingChanged: return "record"
        case .sameDayReach: return "sameDayReach"
        case .notObstacle, .alreadyResolved: return "record"
        }
    }

    /// A field's name for a person, in Vietnamese (the API names the field itself in `field`).
    public static func label(_ field: String) -> String {
        let names = ["reached": "Số người dân được tiếp cận", "participants": "Số người tham gia",
                     "evidence": "Đường dẫn minh chứng", "note": "Ghi chú", "reason": "Lý do",
                     "by": "Người ghi nhận", "organisations": "Các tổ chức được phổ biến", "on": "Ngày",
                     "occurrence": "Công việc", "unit": "Đơn vị", "record": "Bản ghi"]
        return names[field] ?? field
    }

    public var description: String {
        switch self {
        case let .unknownOccurrence(id, suggestions):
            let hint = suggestions.isEmpty ? "" : " Có phải bạn muốn: \(suggestions.joined(separator: ", "))?"
            return "Không có công việc \"\(id)\" trong kế hoạch.\(hint)"
        case let .unknownUnit(id, known):
            return "Không có đơn vị \"\(id)\" trong kế hoạch. Các đơn vị: \(known.joined(separator: ", "))"
        case let .notInvolved(unit, occurrence, allowed):
            return "Đơn vị \"\(unit)\" không chủ trì, không phối hợp thực hiện \"\(occurrence)\" (các đơn vị được ghi nhận: \(allowed.joined(separator: ", ")))"
        case let .dateOutsidePlan(d, start, end):
            return "Ngày \(d.vietnamese) nằm ngoài thời gian của kế hoạch (\(start.vietnamese) – \(end.vietnamese))"
        case let .dateInFuture(d, today):
            return "Ngày \(d.vietnamese) chưa đến (hôm nay là \(today.vietnamese)); chỉ ghi nhận việc đã làm"
        case let .invalidURL(u):
            return "Đường dẫn minh chứng \"\(u)\" không hợp lệ: cần một địa chỉ http:// hoặc https:// đầy đủ"
        case let .invalidCount(field, value, max):
            return "\(CompletionError.label(field)) = \(value) không hợp lệ: cần một số từ 0 đến \(Vietnamese.number(max))"
        case let .notDone(occurrence, unit, doneBy) where !doneBy.isEmpty:
            return "\"\(occurrence)\" không có ghi nhận nào của đơn vị \"\(unit)\" để hủy; việc này được ghi nhận bởi: \(doneBy.joined(separator: ", ")) (hủy bằng --unit \(doneBy[0]))"
        case let .notDone(occurrence, unit, _):
            return "\"\(occurrence)\" chưa được đơn vị \"\(unit)\" ghi nhận hoàn thành, không có gì để hủy"
        case let .missing(field):
            return "Thiếu thông tin bắt buộc: \(CompletionError.label(field))"
        case let .tooLong(field, max):
            return "\(CompletionError.label(field)) quá dài (tối đa \(max) ký tự)"
        case let .unknownOrganisation(id):
            return "\"\(id)\" không phải là một tổ chức được tính cho chỉ tiêu phổ biến thông tin theo kế hoạch"
        case let .notAllowed(why):
            return why
        case let .beforeOpening(day, opens, occurrence):
            return "Ngày \(day.vietnamese) trước khi việc \"\(occurrence)\" bắt đầu (từ \(opens.vietnamese)): việc làm trước đó không được tính cho kỳ này"
        case let .unknownRecord(id):
            return "Không có bản ghi số \(id) trong kế hoạch (xem lịch sử ghi nhận)"
        case let .isWithdrawal(id):
            return "Bản ghi số \(id) là một lần hủy; lần hủy không hủy được (hãy ghi nhận lại nếu cần)"
        case let .notAdHoc(id, occurrence):
            return "Bản ghi số \(id) là ghi nhận của công việc \"\(occurrence)\": hãy hủy bằng mã việc và đơn vị (plancal undo \(occurrence) --unit …)"
        case let .alreadyWithdrawn(id):
            return "Bản ghi số \(id) đã được hủy trước đó"
        case let .controlCharacters(field):
            return "\(CompletionError.label(field)) có ký tự điều khiển (không in được); hãy xóa các ký tự đó rồi gửi lại"
        case let .countNotForKind(field, kind):
            return "\(CompletionError.label(field)) không dùng cho \(kind)"
        case let .missingEvidence(occurrence):
            let what = occurrence.map { "\"\($0)\"" } ?? "tin, bài"
            return "Cần minh chứng cho \(what): đường dẫn bài đã đăng, hoặc ghi chú nơi và ngày đưa tin nếu tin không có đường dẫn (ví dụ phát trên loa truyền thanh)"
        case let .countNotRecorded(field, occurrence):
            let what = field == "reached" ? "số người dân được tiếp cận"
                : field == "organisations" ? "các tổ chức được phổ biến" : "số người tham gia"
            return "Công việc \"\(occurrence)\" không ghi \(what) (kế hoạch không khai báo số này cho việc này)"
        case let .alreadyWaived(occurrence):
            return "\"\(occurrence)\" đã được xác định là không áp dụng"
        case let .waiveDone(occurrence):
            return "\"\(occurrence)\" đã được ghi nhận hoàn thành; hãy hủy ghi nhận trước nếu việc này không áp dụng"
        case let .nothingChanged(id):
            return "Bản sửa giống hệt bản ghi số \(id): không có gì thay đổi"
        case let .notObstacle(id):
            return "Bản ghi số \(id) không phải là một vướng mắc: chỉ vướng mắc mới được đánh dấu đã giải quyết"
        case let .alreadyResolved(id, by):
            return "Vướng mắc số \(id) đã được đánh dấu giải quyết (bản ghi số \(by)); hủy bản ghi đó trước nếu cần ghi lại"
        case let .sameDayReach(earlier, reached, day):
            return "Ngày \(day.vietnamese) đơn vị đã có bản ghi số \(earlier) ghi \(Vietnamese.number(reached)) người dân được tiếp cận. Nếu đây là cùng một sự kiện, chọn \"cùng sự kiện\" (same-event) để số người chỉ tính một lần; nếu là một sự kiện khác, chọn \"sự kiện khác\" (separate-event)"
        }
    }
}

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
    }

    /// The occurrence with an id, or an error suggesting the nearest ids.
    public func occurrence(_ id: String) throws -> Occurrence {
        if let o = occurrences.first(where: { $0.id == id }) { return o }
        // No id is this long: suggesting (an edit distance per id) would only burn time.
        guard id.count <= 200 else { throw CompletionError.unknownOccurrence(String(id.prefix(120)) + "…", suggestions: []) }
        throw CompletionError.unknownOccurrence(id, suggestions: Suggest.nearest(id, in: occurrences.map(\.id)))
    }

    /// Checks that a unit exists and may record an occurrence (owner, participant, or a member
    /// or the collective of one).
    public func checkUnit(_ unit: String, for occurrence: Occurrence) throws {
        guard plan.unit(unit) != nil else {
            throw CompletionError.unknownUnit(unit, known: plan.allUnits.map(\.id))
        }
        // A recipient receives the item; it records nothing of its own unless it may complete it (the lead unit).
        guard schedule.involves(occurrence, unit), !occurrence.isReceived(by: unit) || occurrence.doneBy.contains(unit) else {
            throw CompletionError.notInvolved(unit: name(unit), occurrence: occurrence.name(in: plan),
                                              allowed: occurrence.units.map(name))
        }
    }

    /// A unit's name for messages (its id when the plan has no such unit).
    private func name(_ unit: String) -> String { plan.unit(unit)?.name ?? unit }

    private func checkDetails(_ d: Details, today: CivilDate) throws -> CivilDate {
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
        for org in d.organisations {
            guard let unit = plan.unit(org), unit.isOrganisation else { throw CompletionError.unknownOrganisation(org) }
        }
        return day
    }

    /// Records that a unit did an occurrence. A second `done` by the same unit changes
    /// nothing and says so, unless `correct` is set: then it supersedes the first.
    /// With `correct`, `reason` says why (kept with the record).
    /// `known`: the plan's records as the caller holds them, to find a record of the same unit and
    /// day that also counts residents reached (`Details.sameDayReach`).
    public func markDone(_ occurrenceID: String, unit: String, details: Details, recordedBy: String,
                         correct: Bool = false, reason: String? = nil, now: UTCDateTime,
                         today: CivilDate, known: CompletionLedger? = nil) async throws -> Outcome {
        let o = try occurrence(occurrenceID)
        try checkUnit(unit, for: o)
        let day = try checkDetails(details, today: today)
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
        var record = CompletionRecord(
            plan: plan.id, action: .done, occurrenceID: o.id, unit: unit, doneOn: day, recordedBy: by,
            recordedAt: now, evidenceURL: details.evidenceURL, note: details.note, reached: details.reached,
            participants: details.participants, organisations: details.organisations, reason: why)
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
                     now: UTCDateTime) async throws -> CompletionRecord {
        let o = try occurrence(occurrenceID)
        try checkUnit(unit, for: o)
        let why = try checkReason(reason)
        let by = try checkRecorder(recordedBy)
        let record = CompletionRecord(plan: plan.id, action: .undo, occurrenceID: o.id, unit: unit, doneOn: nil,
                                      recordedBy: by, recordedAt: now, reason: why)
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
    public func recordAdHoc(_ action: CompletionRecord.Action, unit: String, details: Details, recordedBy: String,
                            now: UTCDateTime, today: CivilDate, known: CompletionLedger? = nil,
                            replacing: Int64? = nil) async throws -> Outcome {
        precondition(CompletionRecord.Action.adHocKinds.contains(action))
        guard plan.unit(unit) != nil else { throw CompletionError.unknownUnit(unit, known: plan.allUnits.map(\.id)) }
        let day = try checkDetails(details, today: today)
        if action == .news, !CompletionService.hasEvidence(details) { throw CompletionError.missingEvidence(occurrence: nil) }
        // An obstacle is its description; it reaches nobody and informs no organisation.
        if action == .obstacle {
            guard !(details.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CompletionError.missing(field: "note")
            }
            for (field, given) in [("reached", details.reached != nil), ("participants", details.participants != nil)] where given {
                throw CompletionError.countNotForKind(field: field, kind: "vướng mắc")
            }
        }
        // Organisations informed are what a dissemination meeting reports (G6.T2); residents
        // reached are not what a training session of officials counts.
        if action != .meeting, !details.organisations.isEmpty {
            throw CompletionError.countNotForKind(field: "organisations", kind: action.label)
        }
        if action == .training, details.reached != nil {
            throw CompletionError.countNotForKind(field: "reached", kind: "buổi tập huấn (dùng số người tham gia)")
        }
        let by = try checkRecorder(recordedBy)
        var record = CompletionRecord(
            plan: plan.id, action: action, occurrenceID: nil, unit: unit, doneOn: day, recordedBy: by, recordedAt: now,
            evidenceURL: details.evidenceURL, note: details.note, reached: details.reached,
            participants: details.participants, organisations: details.organisations)
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

    /// Withdraws an ad hoc record (a new `undo` record naming it); `authorize` sees the record
    /// first, so a caller can refuse another unit's.
    public func withdraw(record id: Int64, reason: String, recordedBy: String, now: UTCDateTime,
                         authorize: @Sendable (CompletionRecord) throws -> Void = { _ in }) async throws -> CompletionRecord {
        let why = try checkReason(reason)
        let by = try checkRecorder(recordedBy)
        // The target is looked up among all records first, to say what it is if not ad hoc.
        guard let target = try await store.record(id, plan: plan.id) else {
            throw CompletionError.unknownRecord(id)
        }
        guard target.action != .undo else { throw CompletionError.isWithdrawal(id) }
        if target.action == .waive, let occ = target.occurrenceID {
            try authorize(target)
            let undo = CompletionRecord(plan: plan.id, action: .undo, occurrenceID: occ, unit: target.unit, doneOn: nil,
                                        recordedBy: by, recordedAt: now, reason: why, withdraws: id)
            return try await store.append(undo) { existing in
                guard CompletionLedger(records: existing).waiver(of: occ)?.id == id else {
                    throw CompletionError.alreadyWithdrawn(id)
                }
                return .append
            }.record
        }
        if let occ = target.occurrenceID {
            // A completion of an occurrence the plan still has is undone by occurrence and unit;
            // one whose occurrence is gone (a collective's members listed since) by its number.
            guard !occurrences.contains(where: { $0.id == occ }) else { throw CompletionError.notAdHoc(id, occurrence: occ) }
            try authorize(target)
            let undo = CompletionRecord(plan: plan.id, action: .undo, occurrenceID: occ, unit: target.unit, doneOn: nil,
                                        recordedBy: by, recordedAt: now, reason: why)
            return try await store.append(undo) { existing in
                guard CompletionLedger(records: existing).completion(of: occ, by: target.unit)?.record.id == id else {
                    throw CompletionError.alreadyWithdrawn(id)
                }
                return .append
            }.record
        }
        try authorize(target)
        let record = CompletionRecord(plan: plan.id, action: .undo, occurrenceID: nil, unit: target.unit, doneOn: nil,
                                      recordedBy: by, recordedAt: now, reason: why, withdraws: id)
        return try await store.append(record) { existing in
            guard !existing.contains(where: { $0.action == .undo && $0.withdraws == id }) else {
                throw CompletionError.alreadyWithdrawn(id)
            }
            return .append
        }.record
    }

    /// Corrects an ad hoc record: records the corrected one, then withdraws the old one with
    /// the reason (both stay in the history). `authorize` sees the old record first.
    public func correctAdHoc(record id: Int64, details: Details, reason: String, recordedBy: String, now: UTCDateTime,
                             today: CivilDate, authorize: @Sendable (CompletionRecord) throws -> Void = { _ in })
        async throws -> CompletionRecord {
        guard let target = try await store.record(id, plan: plan.id) else { throw CompletionError.unknownRecord(id) }
        guard target.action != .undo else { throw CompletionError.isWithdrawal(id) }
        if let occ = target.occurrenceID { throw CompletionError.notAdHoc(id, occurrence: occ) }
        try authorize(target)
        let why = try checkReason(reason)
        if try await store.records(plan: plan.id).contains(where: { $0.action == .undo && $0.withdraws == id }) {
            throw CompletionError.alreadyWithdrawn(id)
        }
        let outcome = try await recordAdHoc(target.action, unit: target.unit, details: details, recordedBy: recordedBy,
                                            now: now, today: today, replacing: id)
        if case let .alreadyRecorded(same) = outcome, same.id == id { throw CompletionError.nothingChanged(id) }
        _ = try await withdraw(record: id, reason: "Sửa thành bản ghi số \(outcome.record.id ?? 0): \(why)",
                               recordedBy: recordedBy, now: now)
        return outcome.record
    }

    /// The lead unit settles an obstacle a unit raised, saying how (`note`, required): the obstacle
    /// stays in the reports, marked "đã giải quyết" with the day and what was done. The caller
    /// checks who asks; withdrawing the resolution (`withdraw(record:)`) opens it again.
    public func resolveObstacle(record id: Int64, note: String, recordedBy: String, now: UTCDateTime,
                                today: CivilDate) async throws -> CompletionRecord {
        guard let lead = plan.leadUnit?.id else { throw CompletionError.notAllowed("kế hoạch không có đơn vị chủ trì") }
        let all = try await store.records(plan: plan.id)
        guard let target = all.first(where: { $0.id == id }) else { throw CompletionError.unknownRecord(id) }
        guard target.action == .obstacle else { throw CompletionError.notObstacle(id) }
        let ledger = CompletionLedger(records: all)
        guard ledger.adHoc.contains(where: { $0.id == id }) else { throw CompletionError.alreadyWithdrawn(id) }
        if let done = ledger.resolution(of: id) { throw CompletionError.alreadyResolved(id, by: done.id ?? 0) }
        let how = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !how.isEmpty else { throw CompletionError.missing(field: "note") }
        guard how.count <= CompletionService.maxText else { throw CompletionError.tooLong(field: "note", max: CompletionService.maxText) }
        guard Validation.isPrintable(how) else { throw CompletionError.controlCharacters(field: "note") }
        let record = CompletionRecord(plan: plan.id, action: .resolve, occurrenceID: nil, unit: lead, doneOn: today,
                                      recordedBy: try checkRecorder(recordedBy), recordedAt: now, note: how, withdraws: id)
        return try await store.append(record) { existing in
            // Another resolution of the same day, come meanwhile (the store's lock holds here).
            if let earlier = existing.last(where: { $0.action == .resolve && $0.withdraws == id }) {
                throw CompletionError.alreadyResolved(id, by: earlier.id ?? 0)
            }
            return .append
        }.record
    }

    /// Declares an occurrence not applicable ("không áp dụng"), with a reason: it is then
    /// neither due nor overdue and stays out of the rates. Only the lead unit decides this (the
    /// caller checks who asks); an occurrence already done, or already waived, is refused.
    public func waive(_ occurrenceID: String, reason: String, recordedBy: String, now: UTCDateTime) async throws -> CompletionRecord {
        let o = try occurrence(occurrenceID)
        let why = try checkReason(reason)
        let by = try checkRecorder(recordedBy)
        let record = CompletionRecord(plan: plan.id, action: .waive, occurrenceID: o.id, unit: o.owner, doneOn: nil,
                                      recordedBy: by, recordedAt: now, reason: why)
        let name = o.name(in: plan)
        return try await store.append(record) { existing in
            let ledger = CompletionLedger(records: existing)
            guard ledger.done(o) == nil else { throw CompletionError.waiveDone(occurrence: name) }
            guard ledger.waiver(of: o.id) == nil else { throw CompletionError.alreadyWaived(occurrence: name) }
            return .append
        }.record
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

    private func checkRecorder(_ name: String) throws -> String {
        let by = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !by.isEmpty else { throw CompletionError.missing(field: "by") }
        guard by.count <= 200 else { throw CompletionError.tooLong(field: "by", max: 200) }
        guard Validation.isPrintableLine(by) else { throw CompletionError.controlCharacters(field: "by") }
        return by
    }
}

/// Nearest-id suggestions for a mistyped occurrence id.
enum Suggest {
    /// Ranked by edit distance, then by the longer shared prefix, then by how close the first
    /// differing characters are (so `…-Q5` suggests `…-Q4` before `…-Q1`).
    static func nearest(_ id: String, in ids: [String], count: Int = 3) -> [String] {
        let typed = Array(id)
        let limit = max(3, id.count / 3)
        func rank(_ candidate: String) -> (Int, Int, Int, String) {
            let c = Array(candidate)
            var prefix = 0
            while prefix < min(c.count, typed.count) && c[prefix] == typed[prefix] { prefix += 1 }
            var gap = Int.max / 2
            if prefix < c.count, prefix < typed.count, let a = c[prefix].unicodeScalars.first, let b = typed[prefix].unicodeScalars.first {
                gap = abs(Int(a.value) - Int(b.value))
            }
            return (distance(id, candidate), -prefix, gap, candidate)
        }
        return ids.map(rank).filter { $0.0 <= limit }.sorted { $0 < $1 }.prefix(count).map(\.3)
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
