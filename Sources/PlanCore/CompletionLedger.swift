public import ICal

/// The state of every occurrence, folded from the append-only history.
public struct CompletionLedger: Sendable {
    /// A unit's standing completion of an occurrence.
    public struct Completion: Sendable, Equatable {
        /// The `done` record in force.
        public var record: CompletionRecord
        /// The unit.
        public var unit: String { record.unit }
        /// The day it was done.
        public var doneOn: CivilDate { record.doneOn! }
    }

    /// Every record, oldest first.
    public let records: [CompletionRecord]
    private var active: [String: [Completion]] = [:]
    private var changes: [String: (count: Int, last: UTCDateTime)] = [:]
    private var waivers: [String: CompletionRecord] = [:]

    /// Folds records (oldest first).
    public init(records: [CompletionRecord]) {
        self.records = records
        var state: [String: [String: CompletionRecord]] = [:]
        for r in records {
            guard let occ = r.occurrenceID else { continue }
            switch r.action {
            case .done: state[occ, default: [:]][r.unit] = r
            case .waive: waivers[occ] = r
            // An undo naming a record withdraws that waiver; otherwise the unit's completion.
            case .undo where r.withdraws != nil:
                if waivers[occ]?.id == r.withdraws { waivers[occ] = nil }
            case .undo: state[occ]?[r.unit] = nil
            default: continue
            }
            let c = changes[occ]
            changes[occ] = ((c?.count ?? 0) + 1, max(c?.last ?? r.recordedAt, r.recordedAt))
        }
        for (occ, byUnit) in state {
            let list = byUnit.values.sorted { ($0.doneOn!, $0.unit) < ($1.doneOn!, $1.unit) }.map { Completion(record: $0) }
            if !list.isEmpty { active[occ] = list }
        }
    }

    /// The standing waiver of an occurrence ("không áp dụng"), if the lead unit made one.
    public func waiver(of occurrenceID: String) -> CompletionRecord? { waivers[occurrenceID] }

    /// Standing completions of an occurrence, earliest first.
    public func completions(of occurrenceID: String) -> [Completion] { active[occurrenceID] ?? [] }

    /// The earliest standing completion by a unit responsible for the occurrence (its owner,
    /// the owner's collective or members): what makes it done, on time or late. A participant's
    /// completion records its part and does not complete the owner's obligation.
    public func done(_ occurrence: Occurrence) -> Completion? {
        active[occurrence.id]?.first { occurrence.doneBy.contains($0.unit) }
    }

    /// What makes an occurrence done in one unit's view (nil: the whole plan's): the owner's
    /// side completing it, or, for a participating unit, that unit having recorded its part.
    public func done(_ occurrence: Occurrence, for unit: String?) -> Completion? {
        if let done = done(occurrence) { return done }
        guard let unit, !occurrence.doneBy.contains(unit) else { return nil }
        return completion(of: occurrence.id, by: unit)
    }

    /// Occurrences with a standing completion, sorted.
    public var occurrencesWithCompletions: [String] { active.keys.sorted() }

    /// The standing completion by one unit.
    public func completion(of occurrenceID: String, by unit: String) -> Completion? {
        active[occurrenceID]?.first { $0.unit == unit }
    }

    /// How many records changed an occurrence (done, undo): added to its SEQUENCE.
    public func changeCount(of occurrenceID: String) -> Int { changes[occurrenceID]?.count ?? 0 }

    /// When the occurrence's records last changed.
    public func lastChange(of occurrenceID: String) -> UTCDateTime? { changes[occurrenceID]?.last }

    /// Ad hoc records (news, meetings, training, obstacles) still standing (not withdrawn), oldest first.
    public var adHoc: [CompletionRecord] {
        let withdrawn = Set(records.compactMap { $0.action == .undo ? $0.withdraws : nil })
        return records.filter { $0.occurrenceID == nil && $0.action != .undo && !withdrawn.contains($0.id ?? -1) }
    }
}
