public import ICal

/// What a record says, read field by field: the views (history, pages, reports, the API's JSON)
/// show whichever fields a record has. Nil where the record's kind has no such field.
extension CompletionRecord {
    /// The verb the record is stored and filtered by.
    public var action: Action {
        switch kind {
        case .done: return .done
        case let .adHoc(kind, _): return kind.action
        case .undo, .withdrawal: return .undo
        case .waive: return .waive
        case .resolve: return .resolve
        }
    }

    /// The facts of a completion or of an ad hoc record.
    public var activity: Activity? {
        switch kind {
        case let .done(_, a), let .adHoc(_, a): return a
        case .undo, .withdrawal, .waive, .resolve: return nil
        }
    }

    /// The occurrence a completion, an undo, a waiver or a waiver's withdrawal is about.
    public var occurrenceID: OccurrenceID? {
        switch kind {
        case let .done(occurrence, _), let .undo(occurrence, _), let .waive(occurrence, _): return occurrence
        case let .withdrawal(_, occurrence, _): return occurrence
        case .adHoc, .resolve: return nil
        }
    }

    /// The day it was done (a completion, an ad hoc record, a resolution).
    public var doneOn: CivilDate? {
        if case let .resolve(_, day, _) = kind { return day }
        return activity?.on
    }

    /// Evidence link.
    public var evidenceURL: String? { activity?.evidenceURL }

    /// Free text (a resolution's is how the obstacle was settled).
    public var note: String? {
        if case let .resolve(_, _, note) = kind { return note }
        return activity?.note
    }

    /// Residents reached.
    public var reached: Int? { activity?.reached }

    /// Participants.
    public var participants: Int? { activity?.participants }

    /// Organisations (unit ids) informed.
    public var organisations: [UnitID] { activity?.organisations ?? [] }

    /// Why: for an undo, a withdrawal, a waiver, or a completion that corrects an earlier one.
    public var reason: String? {
        switch kind {
        case let .done(_, a), let .adHoc(_, a): return a.reason
        case let .undo(_, reason), let .withdrawal(_, _, reason), let .waive(_, reason): return reason
        case .resolve: return nil
        }
    }

    /// The record a withdrawal names, or the obstacle a resolution settles.
    public var withdraws: Int64? {
        switch kind {
        case let .withdrawal(id, _, _): return id
        case let .resolve(obstacle, _, _): return obstacle
        case .done, .adHoc, .undo, .waive: return nil
        }
    }
}

/// A stored row that is not a record plancal writes (a column missing for its action, an unknown
/// action): reading it is an error, not a crash or a guess.
public struct StoredRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row's id.
    public var id: Int64?
    /// What is wrong with it (English, for the log).
    public var problem: String

    /// An error about one row.
    public init(id: Int64?, problem: String) {
        self.id = id
        self.problem = problem
    }

    public var description: String {
        "Bản ghi số \(id ?? 0) trong cơ sở dữ liệu không hợp lệ (\(problem)); hãy báo cho người quản trị."
    }
}

extension CompletionRecord {
    /// A record as a row of the store's `record` table: a column per field, nil (or empty) where
    /// its kind has none. Both engines map their rows through this.
    public struct Columns: Sendable, Equatable {
        public var action: String
        public var occurrenceID: String?
        /// The day, `YYYY-MM-DD`.
        public var doneOn: String?
        public var evidenceURL: String?
        public var note: String?
        public var reached: Int?
        public var participants: Int?
        public var organisations: [String]
        public var reason: String?
        public var withdraws: Int64?

        /// A row's columns.
        public init(action: String, occurrenceID: String?, doneOn: String?, evidenceURL: String?, note: String?,
                    reached: Int?, participants: Int?, organisations: [String], reason: String?, withdraws: Int64?) {
            self.action = action
            self.occurrenceID = occurrenceID
            self.doneOn = doneOn
            self.evidenceURL = evidenceURL
            self.note = note
            self.reached = reached
            self.participants = participants
            self.organisations = organisations
            self.reason = reason
            self.withdraws = withdraws
        }
    }

    /// The record's row.
    public var columns: Columns {
        Columns(action: action.rawValue, occurrenceID: occurrenceID?.rawValue, doneOn: doneOn?.iso, evidenceURL: evidenceURL, note: note,
                reached: reached, participants: participants, organisations: organisations.map(\.rawValue), reason: reason,
                withdraws: withdraws)
    }

    /// A record read from a row. Columns its kind does not have are ignored; a column it needs
    /// that is missing, or an action plancal does not know, is a `StoredRecordError`.
    public init(id: Int64?, plan: String, unit: String, recordedBy: String, recordedAt: UTCDateTime,
                columns c: Columns, client: String? = nil) throws {
        func need<T>(_ value: T?, _ column: String) throws -> T {
            guard let value else { throw StoredRecordError(id: id, problem: "\(c.action) without \(column)") }
            return value
        }
        func stored<ID: PlanIdentifier>(_ text: String, _ column: String) throws -> ID {
            guard let parsed = ID(rawValue: text) else { throw StoredRecordError(id: id, problem: "\(column) \(text.prefix(80))") }
            return parsed
        }
        let occurrence: OccurrenceID? = try c.occurrenceID.map { try stored($0, "occurrenceID") }
        let organisations: [UnitID] = try c.organisations.map { try stored($0, "organisations") }
        let day = try c.doneOn.map { text in
            guard let day = CivilDate(parsing: text) else { throw StoredRecordError(id: id, problem: "doneOn \(text.prefix(20))") }
            return day
        }
        func activity() throws -> Activity {
            Activity(on: try need(day, "doneOn"), evidenceURL: c.evidenceURL, note: c.note, reached: c.reached,
                     participants: c.participants, organisations: organisations, reason: c.reason)
        }
        guard let action = Action(rawValue: c.action) else {
            throw StoredRecordError(id: id, problem: "unknown action \(c.action.prefix(40))")
        }
        let kind: Kind
        switch action {
        case .done: kind = .done(occurrence: try need(occurrence, "occurrenceID"), try activity())
        case .news, .meeting, .training, .obstacle:
            kind = .adHoc(try need(AdHocKind(action), "kind"), try activity())
        case .undo:
            if let named = c.withdraws {
                kind = .withdrawal(of: named, occurrence: occurrence, reason: c.reason)
            } else {
                kind = .undo(occurrence: try need(occurrence, "occurrenceID or withdraws"), reason: c.reason)
            }
        case .waive: kind = .waive(occurrence: try need(occurrence, "occurrenceID"), reason: c.reason)
        case .resolve:
            kind = .resolve(obstacle: try need(c.withdraws, "withdraws"), on: try need(day, "doneOn"), note: c.note)
        }
        self.init(id: id, plan: plan, unit: try stored(unit, "unit"), recordedBy: recordedBy, recordedAt: recordedAt, kind: kind,
                  client: client)
    }
}
