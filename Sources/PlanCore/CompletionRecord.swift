public import ICal
import Foundation

/// One entry of the append-only completion history. Nothing is ever deleted: an
/// undo or a correction is a new record.
///
/// The envelope (who, when, which plan and unit) is common to every record; what the record
/// says is its `kind`, whose cases carry exactly the fields they have. The store keeps one flat
/// row per record (`CompletionRecord+Columns.swift`: the mapping, where a bad stored row is an
/// error).
public struct CompletionRecord: Sendable, Equatable {
    /// What a record says, with the fields each kind of record has.
    public enum Kind: Sendable, Equatable {
        /// The unit did an occurrence (a later `done` by the same unit corrects an earlier one; the
        /// activity's `reason` then says why).
        case done(occurrence: OccurrenceID, Activity)
        /// An ad hoc event of no occurrence: a news item, a meeting, a training, an obstacle.
        case adHoc(AdHocKind, Activity)
        /// The unit's completion of an occurrence is withdrawn.
        case undo(occurrence: OccurrenceID, reason: String?)
        /// A record is withdrawn by its id: an ad hoc record or a resolution (no occurrence), or a
        /// waiver (its occurrence).
        case withdrawal(of: Int64, occurrence: OccurrenceID?, reason: String?)
        /// The lead unit declares an occurrence not applicable ("không áp dụng"), with a reason:
        /// it is neither due nor overdue and stays out of the rates.
        case waive(occurrence: OccurrenceID, reason: String?)
        /// The lead unit settles an obstacle ("đã giải quyết") on a day, saying how. The obstacle
        /// stays in the reports, marked resolved; a withdrawal naming this record takes it back.
        case resolve(obstacle: Int64, on: CivilDate, note: String?)
    }

    /// What a unit did on a day: a completion's or an ad hoc record's facts.
    public struct Activity: Sendable, Equatable {
        /// The day it was done.
        public var on: CivilDate
        /// Evidence link, e.g. the published article.
        public var evidenceURL: String?
        /// Free text.
        public var note: String?
        /// Residents reached.
        public var reached: Int?
        /// Participants.
        public var participants: Int?
        /// Organisations (unit ids) informed.
        public var organisations: [UnitID]
        /// Why: for a completion that corrects an earlier one, or one confirmed as a separate
        /// event of its day (`SameDayReach`).
        public var reason: String?

        /// An activity of a day.
        public init(on: CivilDate, evidenceURL: String? = nil, note: String? = nil, reached: Int? = nil,
                    participants: Int? = nil, organisations: [UnitID] = [], reason: String? = nil) {
            self.on = on
            self.evidenceURL = evidenceURL
            self.note = note
            self.reached = reached
            self.participants = participants
            self.organisations = organisations
            self.reason = reason
        }
    }

    /// The kinds of ad hoc record (records of no occurrence).
    public enum AdHocKind: String, Sendable, CaseIterable {
        /// An ad hoc news item (counts for the news target in its quarter).
        case news
        /// An ad hoc dissemination meeting (reach, organisations informed).
        case meeting
        /// A training session actually held.
        case training
        /// An obstacle ("vướng mắc") a unit raises with the lead unit: counts for nothing.
        case obstacle

        /// The same word as an action.
        public var action: Action {
            switch self {
            case .news: return .news
            case .meeting: return .meeting
            case .training: return .training
            case .obstacle: return .obstacle
            }
        }

        /// The ad hoc kind an action names, if it names one.
        public init?(_ action: Action) {
            self.init(rawValue: action.rawValue)
        }

        /// What a person calls it.
        public var label: String { action.label }
    }

    /// The verb a record is stored and filtered by (the store's `action` column).
    public enum Action: String, Sendable, CaseIterable {
        /// An occurrence was done.
        case done
        /// An earlier record is withdrawn (`undo`, `withdrawal`).
        case undo
        /// An ad hoc news item.
        case news
        /// An ad hoc dissemination meeting.
        case meeting
        /// A training session actually held.
        case training
        /// An obstacle a unit raises.
        case obstacle
        /// The lead unit's waiver of an occurrence.
        case waive
        /// The lead unit's resolution of an obstacle.
        case resolve

        /// What a person calls it.
        public var label: String {
            switch self {
            case .done: return "hoàn thành"
            case .undo: return "hủy"
            case .news: return "tin, bài"
            case .meeting: return "buổi tuyên truyền, phổ biến"
            case .training: return "buổi tập huấn"
            case .obstacle: return "vướng mắc"
            case .waive: return "không áp dụng"
            case .resolve: return "giải quyết vướng mắc"
            }
        }
    }

    /// Row id in the store; nil before it is stored.
    public var id: Int64?
    /// The plan's id.
    public var plan: String
    /// The unit that did it (for a waiver, the occurrence's owner; for a resolution, the lead unit).
    public var unit: UnitID
    /// Who recorded it (a person's name or a token's label).
    public var recordedBy: String
    /// When it was recorded.
    public var recordedAt: UTCDateTime
    /// What it says.
    public var kind: Kind
    /// The app that sent it, by its User-Agent, when a task app did (CalDAV); nil otherwise.
    public var client: String?

    /// A record; ids are assigned by the store.
    public init(id: Int64? = nil, plan: String, unit: UnitID, recordedBy: String, recordedAt: UTCDateTime, kind: Kind,
                client: String? = nil) {
        self.id = id
        self.client = client
        self.plan = plan
        self.unit = unit
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.kind = kind
    }
}

extension CompletionRecord {
    /// Which of a unit's records of an occurrence an append's check must see the latest of
    /// (`CompletionRepository.append`): 0 for its completions (done, undo), 1 for a waiver
    /// (waive, and the undo withdrawing it by id), so that neither hides the other.
    public var lane: Int { action == .waive || withdraws != nil ? 1 : 0 }
}

/// Completion records in memory: for tests, and for trying a write before a database exists.
public actor InMemoryCompletionRepository: CompletionRepository {
    private var rows: [CompletionRecord] = []

    /// An empty repository.
    public init() {}

    public func append(_ record: CompletionRecord,
                       check: @escaping @Sendable ([CompletionRecord]) throws -> AppendDecision) throws -> RecordOutcome {
        var existing = rows.filter {
            $0.plan == record.plan && $0.occurrenceID == record.occurrenceID
                && (record.occurrenceID != nil || $0.unit == record.unit && ($0.doneOn == record.doneOn || $0.doneOn == nil))
        }
        if record.occurrenceID != nil {
            // Each unit's latest record of the occurrence only (the protocol's contract).
            var latest: [String: CompletionRecord] = [:]
            for r in existing { latest["\(r.lane)|\(r.unit)"] = r }
            existing = existing.filter { latest["\($0.lane)|\($0.unit)"]?.id == $0.id }
        }
        if case let .alreadyRecorded(earlier) = try check(existing) { return .alreadyRecorded(earlier) }
        var stored = record
        stored.id = Int64(rows.count + 1)
        rows.append(stored)
        return .recorded(stored)
    }

    public func records(plan: String) -> [CompletionRecord] { rows.filter { $0.plan == plan } }

    public func record(_ id: Int64, plan: String) -> CompletionRecord? {
        rows.first { $0.id == id && $0.plan == plan }
    }

    public func version(plan: String) -> Int64 { Int64(rows.filter { $0.plan == plan }.count) }

    public func versions() -> [String: Int64]? { rows.reduce(into: [:]) { $0[$1.plan, default: 0] += 1 } }
}
