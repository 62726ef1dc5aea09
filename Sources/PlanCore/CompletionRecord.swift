public import ICal
import Foundation

/// One entry of the append-only completion history. Nothing is ever deleted: an
/// undo or a correction is a new record.
public struct CompletionRecord: Sendable, Equatable {
    /// What the record says.
    public enum Action: String, Sendable, CaseIterable {
        /// An occurrence was done (a later `done` by the same unit corrects an earlier one).
        case done
        /// An earlier `done` is withdrawn.
        case undo
        /// An ad hoc news item (counts for G6.T3 in its quarter).
        case news
        /// An ad hoc dissemination meeting (reach for G6.T1, organisations for G6.T2).
        case meeting
        /// A training session actually held.
        case training
        /// An obstacle ("vướng mắc") a unit raises with the lead unit: ad hoc, counts for nothing.
        case obstacle
        /// The lead unit declares an occurrence not applicable ("không áp dụng"), with a reason:
        /// it is neither due nor overdue and stays out of the rates. Withdrawn by an `undo`
        /// naming it (`withdraws`).
        case waive
        /// The lead unit settles an obstacle ("đã giải quyết"), saying how (`note`); names the
        /// obstacle in `withdraws`. The obstacle stays in the reports, marked resolved; an
        /// `undo` naming this record takes the resolution back.
        case resolve

        /// The ad hoc kinds (records of no occurrence).
        public static let adHocKinds: [Action] = [.news, .meeting, .training, .obstacle]

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
    /// What happened.
    public var action: Action
    /// The occurrence, for `done` and `undo`.
    public var occurrenceID: String?
    /// The unit that did it.
    public var unit: String
    /// The day it was done (not for `undo`).
    public var doneOn: CivilDate?
    /// Who recorded it (a person's name or a token's label).
    public var recordedBy: String
    /// When it was recorded.
    public var recordedAt: UTCDateTime
    /// Evidence link, e.g. the published article.
    public var evidenceURL: String?
    /// Free text.
    public var note: String?
    /// Residents reached.
    public var reached: Int?
    /// Participants.
    public var participants: Int?
    /// Organisations (unit ids) informed, for meetings.
    public var organisations: [String]
    /// Why: for an undo, a waiver, or a `done` that corrects an earlier one.
    public var reason: String?
    /// For an undo of an ad hoc record or of a waiver: the id of the record withdrawn.
    public var withdraws: Int64?

    /// A record; ids are assigned by the store.
    public init(id: Int64? = nil, plan: String, action: Action, occurrenceID: String?, unit: String,
                doneOn: CivilDate?, recordedBy: String, recordedAt: UTCDateTime, evidenceURL: String? = nil,
                note: String? = nil, reached: Int? = nil, participants: Int? = nil, organisations: [String] = [],
                reason: String? = nil, withdraws: Int64? = nil) {
        self.id = id
        self.plan = plan
        self.action = action
        self.occurrenceID = occurrenceID
        self.unit = unit
        self.doneOn = doneOn
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.evidenceURL = evidenceURL
        self.note = note
        self.reached = reached
        self.participants = participants
        self.organisations = organisations
        self.reason = reason
        self.withdraws = withdraws
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
