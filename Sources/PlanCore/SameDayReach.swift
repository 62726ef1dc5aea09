public import ICal

/// Two records of one unit on one day that both count residents reached may be one event
/// recorded twice (a meeting entered ad hoc and again on the action month): whoever records the
/// second says which, and reach is counted once for one event.
public enum SameDayReach: String, Sendable, CaseIterable {
    /// One event: this record keeps its facts, but its residents are not counted again (its note
    /// says so and names the earlier record).
    case sameEvent = "same-event"
    /// Two events: both are counted; the record says it was confirmed.
    case separateEvent = "separate-event"

    /// The standing record of the same unit and day, other than `record` (and not the same
    /// command run twice), that also counts residents reached; the earliest.
    static func earlier(than record: CompletionRecord, in ledger: CompletionLedger, except replaced: Int64? = nil) -> CompletionRecord? {
        guard record.reached != nil, let day = record.doneOn else { return nil }
        return ledger.standingRecords.filter {
            $0.unit == record.unit && $0.doneOn == day && $0.reached != nil && !isRepeat($0, of: record) && $0.id != replaced
                && ($0.occurrenceID == nil || $0.occurrenceID != record.occurrenceID)
        }.min { ($0.id ?? .max) < ($1.id ?? .max) }
    }

    /// Applies the writer's choice to `record` against the records the caller knows: asks (throws)
    /// when there is an earlier record of the day with residents and no choice was made.
    static func apply(_ choice: SameDayReach?, to record: inout CompletionRecord, known: CompletionLedger?,
                      except replaced: Int64? = nil) throws {
        guard let known, var activity = record.activity, let n = activity.reached,
              let earlier = earlier(than: record, in: known, except: replaced) else { return }
        let id = earlier.id ?? 0
        switch choice {
        case nil:
            throw CompletionError.sameDayReach(earlier: id, reached: earlier.reached ?? 0, day: activity.on)
        case .sameEvent:
            activity.reached = nil
            activity.note = join(activity.note, "Cùng sự kiện với bản ghi số \(id): \(Vietnamese.number(n)) người được tiếp cận đã tính ở đó, không tính lại.")
        case .separateEvent:
            activity.reason = join(activity.reason, "Sự kiện khác với bản ghi số \(id) cùng ngày (đã xác nhận).")
        }
        switch record.kind {
        case let .done(occurrence, _): record.kind = .done(occurrence: occurrence, activity)
        case let .adHoc(kind, _): record.kind = .adHoc(kind, activity)
        case .undo, .withdrawal, .waive, .resolve: return
        }
    }

    /// The words a confirmed separate event carries in its `reason`.
    static let confirmedMark = "Sự kiện khác với bản ghi số "

    /// The same command run twice: same kind, unit, occurrence, day, link, note and counts.
    static func isRepeat(_ a: CompletionRecord, of b: CompletionRecord) -> Bool {
        func norm(_ s: String?) -> String { (s ?? "").lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        return a.action == b.action && a.unit == b.unit && a.occurrenceID == b.occurrenceID && a.doneOn == b.doneOn
            && norm(a.evidenceURL) == norm(b.evidenceURL) && norm(a.note) == norm(b.note) && a.reached == b.reached
            && a.participants == b.participants && Set(a.organisations) == Set(b.organisations)
    }

    private static func join(_ a: String?, _ b: String) -> String {
        guard let a, !a.isEmpty else { return b }
        return a + " — " + b
    }

    /// Pairs of standing records of one unit and day that both count residents, the later one not
    /// confirmed as another event: possibly one event counted twice (the reports say so).
    public static func unconfirmedPairs(in ledger: CompletionLedger, year: Int) -> [(first: CompletionRecord, second: CompletionRecord)] {
        let withReach = ledger.standingRecords.filter { $0.reached != nil && $0.doneOn?.year == year }
            .sorted { ($0.id ?? .max) < ($1.id ?? .max) }
        var out: [(CompletionRecord, CompletionRecord)] = []
        var firstOf: [String: CompletionRecord] = [:]
        for r in withReach {
            let key = "\(r.unit)|\(r.doneOn?.iso ?? "")"
            if let first = firstOf[key] {
                if !(r.reason ?? "").contains(confirmedMark) { out.append((first, r)) }
            } else {
                firstOf[key] = r
            }
        }
        return out
    }
}
