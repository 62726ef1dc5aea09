public import ICal
import Foundation

/// Withdrawals and corrections of records already stored, and the lead unit's decisions on
/// them: a waiver of an occurrence, the resolution of an obstacle.
extension CompletionService {
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
        let kind: CompletionRecord.Kind
        switch target.kind {
        case .undo, .withdrawal: throw CompletionError.isWithdrawal(id)
        case let .waive(occ, _):
            try authorize(target)
            let undo = CompletionRecord(plan: plan.id, unit: target.unit, recordedBy: by, recordedAt: now,
                                        kind: .withdrawal(of: id, occurrence: occ, reason: why))
            return try await store.append(undo) { existing in
                guard CompletionLedger(records: existing).waiver(of: occ)?.id == id else {
                    throw CompletionError.alreadyWithdrawn(id)
                }
                return .append
            }.record
        case let .done(occ, _):
            // A completion of an occurrence the plan still has is undone by occurrence and unit;
            // one whose occurrence is gone (a collective's members listed since) by its number.
            guard !occurrences.contains(where: { $0.id == occ }) else { throw CompletionError.notAdHoc(id, occurrence: occ) }
            try authorize(target)
            let undo = CompletionRecord(plan: plan.id, unit: target.unit, recordedBy: by, recordedAt: now,
                                        kind: .undo(occurrence: occ, reason: why))
            return try await store.append(undo) { existing in
                guard CompletionLedger(records: existing).completion(of: occ, by: target.unit)?.record.id == id else {
                    throw CompletionError.alreadyWithdrawn(id)
                }
                return .append
            }.record
        case .adHoc, .resolve:
            kind = .withdrawal(of: id, occurrence: nil, reason: why)
        }
        try authorize(target)
        let record = CompletionRecord(plan: plan.id, unit: target.unit, recordedBy: by, recordedAt: now, kind: kind)
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
        let kind: CompletionRecord.AdHocKind
        switch target.kind {
        case let .adHoc(k, _): kind = k
        case .undo, .withdrawal: throw CompletionError.isWithdrawal(id)
        case let .done(occ, _), let .waive(occ, _): throw CompletionError.notAdHoc(id, occurrence: occ)
        case .resolve: throw CompletionError.notCorrectable(id)
        }
        try authorize(target)
        let why = try checkReason(reason)
        if try await store.records(plan: plan.id).contains(where: { $0.action == .undo && $0.withdraws == id }) {
            throw CompletionError.alreadyWithdrawn(id)
        }
        let outcome = try await recordAdHoc(kind, unit: target.unit.rawValue, details: details, recordedBy: recordedBy,
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
        guard case .adHoc(.obstacle, _) = target.kind else { throw CompletionError.notObstacle(id) }
        let ledger = CompletionLedger(records: all)
        guard ledger.adHoc.contains(where: { $0.id == id }) else { throw CompletionError.alreadyWithdrawn(id) }
        if let done = ledger.resolution(of: id) { throw CompletionError.alreadyResolved(id, by: done.id ?? 0) }
        let how = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !how.isEmpty else { throw CompletionError.missing(field: "note") }
        guard how.count <= CompletionService.maxText else { throw CompletionError.tooLong(field: "note", max: CompletionService.maxText) }
        guard Validation.isPrintable(how) else { throw CompletionError.controlCharacters(field: "note") }
        let record = CompletionRecord(plan: plan.id, unit: lead, recordedBy: try checkRecorder(recordedBy), recordedAt: now,
                                      kind: .resolve(obstacle: id, on: today, note: how))
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
        let record = CompletionRecord(plan: plan.id, unit: o.owner, recordedBy: by, recordedAt: now,
                                      kind: .waive(occurrence: o.id, reason: why))
        let name = o.name(in: plan)
        return try await store.append(record) { existing in
            let ledger = CompletionLedger(records: existing)
            guard ledger.done(o) == nil else { throw CompletionError.waiveDone(occurrence: name) }
            guard ledger.waiver(of: o.id) == nil else { throw CompletionError.alreadyWaived(occurrence: name) }
            return .append
        }.record
    }
}
