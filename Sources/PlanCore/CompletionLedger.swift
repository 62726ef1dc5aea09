public import ICal

/// The state of every occurrence, folded from the append-only history.
///
/// A ledger can be folded further as new records arrive (`fold`): the server folds only the
/// records after the last one it saw, so a write costs the new records, not the whole history.
/// Folding in pieces gives the same ledger as one fold of everything (a test checks it).
public struct CompletionLedger: Sendable, Equatable {
    /// A unit's standing completion of an occurrence.
    public struct Completion: Sendable, Equatable {
        /// The `done` record in force; for an occurrence fulfilled by another record (`via`), a
        /// record made for it (no id: it is not stored), dated and signed as its source.
        public let record: CompletionRecord
        /// The day it was done.
        public let doneOn: CivilDate
        /// The record that fulfilled the occurrence (a meeting, a news item, another
        /// occurrence's completion), when it was not completed itself (`fulfilled_by:`).
        public let via: CompletionRecord?
        /// The unit.
        public var unit: UnitID { record.unit }

        /// A completion by a record, done on the activity's day.
        init(record: CompletionRecord, activity: CompletionRecord.Activity, via: CompletionRecord? = nil) {
            self.record = record
            self.doneOn = activity.on
            self.via = via
        }
    }

    /// How many records changed an occurrence, and when last.
    struct Change: Sendable, Equatable {
        var count: Int
        var last: UTCDateTime
    }

    /// The completion in force per occurrence and unit.
    private var state: [OccurrenceID: [UnitID: Completion]] = [:]
    private var active: [OccurrenceID: [Completion]] = [:]
    private var changes: [OccurrenceID: Change] = [:]
    /// The standing waiver ("không áp dụng") per occurrence.
    private var waivers: [OccurrenceID: CompletionRecord] = [:]
    /// Every record folded, oldest first, in chunks (see `adHocChunks`).
    private var recordChunks: [[CompletionRecord]] = []
    /// Ad hoc records not withdrawn, oldest first (kept in chunks, so that folding a few new
    /// records into a ledger someone else still holds copies a chunk, not the whole history).
    private var adHocChunks: [[CompletionRecord]] = []
    /// Ids named by ad hoc withdrawals.
    private var withdrawn: Set<Int64> = []
    /// The standing resolution of each obstacle, by the obstacle's id.
    private var resolutions: [Int64: CompletionRecord] = [:]
    /// The plan's `fulfilled_by:` rules (nil: a ledger of records alone) and what they fulfil.
    private var rules: FulfilmentRules?
    private var fulfilment: [OccurrenceID: Completion] = [:]
    /// The highest record id folded so far (0 before any).
    public private(set) var lastID: Int64 = 0
    /// How many records were folded.
    public private(set) var count = 0

    private static let chunkSize = 512

    /// Folds records (oldest first).
    public init(records: [CompletionRecord]) {
        fold(records)
    }

    /// Folds records and applies the plan's `fulfilled_by:` rules, now and after every fold:
    /// an occurrence another record fulfils is done in every view.
    public init(records: [CompletionRecord], plan: Plan, occurrences: [Occurrence]) {
        rules = FulfilmentRules(plan: plan, occurrences: occurrences)
        fold(records)
    }

    /// Folds records that came after the ones already folded (oldest first). Records whose id
    /// is not above `lastID` were folded before and are skipped, so folding an overlapping
    /// batch twice changes nothing.
    public mutating func fold(_ records: some Collection<CompletionRecord>) {
        var touched: Set<OccurrenceID> = []
        for r in records {
            if let id = r.id {
                guard id > lastID else { continue }
                lastID = id
            }
            count += 1
            CompletionLedger.append(r, to: &recordChunks)
            let occ: OccurrenceID
            switch r.kind {
            case let .done(occurrence, activity):
                occ = occurrence
                state[occ, default: [:]][r.unit] = Completion(record: r, activity: activity)
            case let .waive(occurrence, _):
                occ = occurrence
                waivers[occ] = r
            case let .undo(occurrence, _):
                occ = occurrence
                state[occ]?[r.unit] = nil
            // A withdrawal naming a waiver: the occurrence's waiver goes.
            case let .withdrawal(named, occurrence?, _):
                withdraw(named)
                occ = occurrence
                if waivers[occ]?.id == named { waivers[occ] = nil }
            case let .withdrawal(named, nil, _):
                withdraw(named)
                continue
            case let .resolve(obstacle, _, _):
                if !(r.id.map(withdrawn.contains) ?? false) { resolutions[obstacle] = r }
                continue
            case .adHoc:
                if let id = r.id, withdrawn.contains(id) { continue }
                CompletionLedger.append(r, to: &adHocChunks)
                continue
            }
            let c = changes[occ]
            changes[occ] = Change(count: (c?.count ?? 0) + 1, last: max(c?.last ?? r.recordedAt, r.recordedAt))
            touched.insert(occ)
        }
        for occ in touched {
            let list = (state[occ] ?? [:]).values.sorted { ($0.doneOn, $0.unit) < ($1.doneOn, $1.unit) }
            active[occ] = list.isEmpty ? nil : list
        }
        if let rules { fulfilment = rules.fulfilled(in: self) }
    }

    private static func append(_ r: CompletionRecord, to chunks: inout [[CompletionRecord]]) {
        if chunks.isEmpty || chunks[chunks.count - 1].count >= chunkSize { chunks.append([]) }
        chunks[chunks.count - 1].append(r)
    }

    /// A withdrawal takes its record out of the ad hoc list (rare: a linear search is fine).
    private mutating func withdraw(_ id: Int64) {
        guard withdrawn.insert(id).inserted else { return }
        // A resolution withdrawn: the obstacle is open again.
        if let obstacle = resolutions.first(where: { $0.value.id == id })?.key {
            resolutions[obstacle] = nil
            return
        }
        for c in adHocChunks.indices.reversed() {
            if let i = adHocChunks[c].firstIndex(where: { $0.id == id }) {
                adHocChunks[c].remove(at: i)
                return
            }
        }
    }

    /// Every record folded, oldest first.
    public var records: [CompletionRecord] { Array(recordChunks.joined()) }

    /// The standing waiver of an occurrence ("không áp dụng"), if the lead unit made one.
    public func waiver(of occurrenceID: OccurrenceID) -> CompletionRecord? { waivers[occurrenceID] }

    /// Standing completions of an occurrence, earliest first.
    public func completions(of occurrenceID: OccurrenceID) -> [Completion] { active[occurrenceID] ?? [] }

    /// Every standing completion, by occurrence id.
    public var standing: [OccurrenceID: [Completion]] { active }

    /// Every record in force: the ad hoc ones, then the standing completions (in no set order).
    public var standingRecords: [CompletionRecord] { adHoc + active.values.flatMap { $0.map(\.record) } }

    /// The earliest standing completion by a unit responsible for the occurrence (its owner,
    /// the owner's collective or members): what makes it done, on time or late. A participant's
    /// completion records its part and does not complete the owner's obligation.
    public func done(_ occurrence: Occurrence) -> Completion? {
        ownDone(occurrence) ?? fulfilment[occurrence.id]
    }

    /// `done` by the occurrence's own completions only, not by another record fulfilling it.
    public func ownDone(_ occurrence: Occurrence) -> Completion? {
        ownDone(id: occurrence.id, doneBy: occurrence.doneBy)
    }

    /// `ownDone` by an occurrence's id and the units whose completion makes it done.
    func ownDone(id: OccurrenceID, doneBy: [UnitID]) -> Completion? {
        active[id]?.first { doneBy.contains($0.unit) }
    }

    /// Occurrences fulfilled by another record (`fulfilled_by:`), by id.
    public var fulfilled: [OccurrenceID: Completion] { fulfilment }

    /// What makes an occurrence done in one unit's view (nil: the whole plan's): the owner's
    /// side completing it, or, for a participating unit, that unit having recorded its part.
    public func done(_ occurrence: Occurrence, for unit: UnitID?) -> Completion? {
        if let done = done(occurrence) { return done }
        guard let unit, !occurrence.doneBy.contains(unit) else { return nil }
        return completion(of: occurrence.id, by: unit)
    }

    /// Occurrences with a standing completion, sorted.
    public var occurrencesWithCompletions: [OccurrenceID] { active.keys.sorted() }

    /// The standing completion by one unit.
    public func completion(of occurrenceID: OccurrenceID, by unit: UnitID) -> Completion? {
        active[occurrenceID]?.first { $0.unit == unit }
    }

    /// How many records changed an occurrence (done, undo): added to its SEQUENCE.
    public func changeCount(of occurrenceID: OccurrenceID) -> Int { changes[occurrenceID]?.count ?? 0 }

    /// When the occurrence's records last changed.
    public func lastChange(of occurrenceID: OccurrenceID) -> UTCDateTime? { changes[occurrenceID]?.last }

    /// The lead unit's standing resolution of an obstacle, if it settled it.
    public func resolution(of obstacle: Int64) -> CompletionRecord? { resolutions[obstacle] }

    /// Ad hoc records (news, meetings, training, obstacles) still standing (not withdrawn), oldest first.
    public var adHoc: [CompletionRecord] { Array(adHocChunks.joined()) }
}
