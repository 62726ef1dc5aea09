public import ICal

/// What else fulfils an obligation's occurrence besides its own completion (the plan file's
/// `fulfilled_by:`): one activity is recorded once and counts for every duty it serves.
public enum Fulfilment: Sendable, Equatable {
    /// A meeting that informed the occurrence's owner (an ad hoc `meeting` record, or a
    /// completion carrying `organisations`), held in the occurrence's period: `meeting`.
    case meeting
    /// A news item published in the occurrence's period (an ad hoc `news` record, or a
    /// completion of another occurrence of the same obligation): `news`.
    case news
    /// Every figure the obligation declares recorded for the occurrence's year: `figures`. A
    /// figure record that completes them records the occurrence's completion when it is stored.
    case figures
    /// The same period's occurrence of another obligation done (e.g. the action month's
    /// planning by the action month itself): that obligation's id.
    case occurrence(String)

    /// The words of the plan file.
    public static let keywords = ["meeting", "news", "figures"]

    /// Reads one entry of `fulfilled_by:`: a keyword, or another obligation's id.
    public init(_ text: String) {
        switch text {
        case "meeting": self = .meeting
        case "news": self = .news
        case "figures": self = .figures
        default: self = .occurrence(text)
        }
    }
}

extension Obligation {
    /// The days an occurrence's fulfilling activity may fall on: the calendar year, quarter or
    /// month its last day is in (by the obligation's key), or the occurrence's own days.
    func window(of o: Occurrence) -> ClosedRange<CivilDate> {
        let d = o.last
        switch key {
        case .year:
            return CivilDate(year: d.year, month: 1, day: 1)!...CivilDate(year: d.year, month: 12, day: 31)!
        case .quarter:
            let first = (d.quarter - 1) * 3 + 1
            let last = CivilDate(year: d.year, month: first + 2, day: CivilDate.daysIn(month: first + 2, year: d.year))!
            return CivilDate(year: d.year, month: first, day: 1)!...last
        case .month:
            let last = CivilDate(year: d.year, month: d.month, day: CivilDate.daysIn(month: d.month, year: d.year))!
            return CivilDate(year: d.year, month: d.month, day: 1)!...last
        case .date:
            return o.first...o.last
        }
    }
}

/// The plan's `fulfilled_by:` rules over its occurrences, kept by a ledger so that every fold
/// brings the fulfilled occurrences up to date (`CompletionLedger.init(records:plan:occurrences:)`).
public struct FulfilmentRules: Sendable, Equatable {
    /// What the pass needs of an occurrence: a fold runs it after every write, and copying whole
    /// occurrences (a dozen strings and arrays each) was most of its cost.
    struct Slot: Sendable, Equatable {
        var id: OccurrenceID
        var owner: UnitID
        var obligationID: String
        var doneBy: [UnitID]
        var last: CivilDate

        init(_ o: Occurrence) {
            id = o.id
            owner = o.owner
            obligationID = o.obligationID
            doneBy = o.doneBy
            last = o.last
        }
    }

    struct Duty: Sendable, Equatable {
        var occurrence: Slot
        var rules: [Fulfilment]
        var window: ClosedRange<CivilDate>
    }
    /// Occurrences whose obligation names other ways to be fulfilled.
    var duties: [Duty]
    /// Occurrences by obligation id: the obligations `.occurrence` rules name, and those with a
    /// `.news` rule (an item of another period's occurrence published in this one).
    var byObligation: [String: [Slot]]
    /// Members of each collective: naming a collective informs its members.
    var members: [UnitID: [UnitID]]
    /// Unit names, for the notes.
    var names: [UnitID: String]

    /// The rules of a plan over its occurrences.
    public init(plan: Plan, occurrences: [Occurrence]) {
        let obligations = Dictionary(plan.obligations.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        duties = occurrences.compactMap { o in
            guard let ob = obligations[o.obligationID], !ob.fulfilledBy.isEmpty else { return nil }
            return Duty(occurrence: Slot(o), rules: ob.fulfilledBy, window: ob.window(of: o))
        }
        let referenced = Set(duties.flatMap(\.rules).compactMap { if case .occurrence(let id) = $0 { return id } else { return nil } })
            .union(duties.filter { $0.rules.contains(.news) }.map(\.occurrence.obligationID))
        byObligation = Dictionary(grouping: occurrences.filter { referenced.contains($0.obligationID) }.map(Slot.init),
                                  by: \.obligationID)
        members = Dictionary(plan.units.filter(\.hasMembers).map { ($0.id, $0.members.map(\.id)) }, uniquingKeysWith: { a, _ in a })
        names = Dictionary(plan.allUnits.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    /// How a duty came to be fulfilled: the note is written for the winning source only.
    private enum Source {
        case informed, news, occurrence

        func note(_ record: String) -> String {
            switch self {
            case .informed: return "Đã được phổ biến qua \(record)"
            case .news: return "Đã có tin, bài trong kỳ: \(record)"
            case .occurrence: return "Đã hoàn thành qua \(record)"
            }
        }
    }

    /// The completion each duty gets from another record, where it has none of its own.
    func fulfilled(in ledger: CompletionLedger) -> [OccurrenceID: CompletionLedger.Completion] {
        guard !duties.isEmpty else { return [:] }
        // Sources, each at most once: what informed whom, and the news items by day.
        var informing: [(day: CivilDate, units: Set<UnitID>, record: CompletionRecord)] = []
        var news: [(day: CivilDate, record: CompletionRecord)] = []
        // Ad hoc meetings and completions both carry organisations (the order does not matter:
        // the earliest source wins, by day then id).
        for r in ledger.standingRecords {
            guard let activity = r.activity else { continue }
            if !activity.organisations.isEmpty { informing.append((activity.on, expand(activity.organisations), r)) }
            if case .adHoc(.news, _) = r.kind { news.append((activity.on, r)) }
        }
        var out: [OccurrenceID: CompletionLedger.Completion] = [:]
        for d in duties.indices where ledger.ownDone(id: duties[d].occurrence.id, doneBy: duties[d].occurrence.doneBy) == nil {
            let window = duties[d].window
            var best: (day: CivilDate, record: CompletionRecord, source: Source)?
            func offer(_ day: CivilDate, _ record: CompletionRecord, _ source: Source) {
                guard window.contains(day) else { return }
                if let b = best, (b.day, b.record.id ?? .max) <= (day, record.id ?? .max) { return }
                best = (day, record, source)
            }
            for rule in duties[d].rules {
                switch rule {
                case .meeting:
                    let owner = duties[d].occurrence.owner
                    for i in informing where i.units.contains(owner) { offer(i.day, i.record, .informed) }
                case .news:
                    for n in news { offer(n.day, n.record, .news) }
                    let own = duties[d].occurrence.id
                    for other in byObligation[duties[d].occurrence.obligationID] ?? [] where other.id != own {
                        if let c = ledger.ownDone(id: other.id, doneBy: other.doneBy) { offer(c.doneOn, c.record, .news) }
                    }
                case .occurrence(let id):
                    for other in byObligation[id] ?? [] where window.contains(other.last) {
                        if let c = ledger.ownDone(id: other.id, doneBy: other.doneBy) { offer(c.doneOn, c.record, .occurrence) }
                    }
                case .figures:
                    continue
                }
            }
            guard let best else { continue }
            let o = duties[d].occurrence
            let source = best.record
            let activity = CompletionRecord.Activity(on: best.day, evidenceURL: source.evidenceURL,
                                                     note: best.source.note(describe(source)))
            let record = CompletionRecord(plan: source.plan, unit: o.owner, recordedBy: source.recordedBy,
                                          recordedAt: source.recordedAt, kind: .done(occurrence: o.id, activity))
            out[o.id] = CompletionLedger.Completion(record: record, activity: activity, via: source)
        }
        return out
    }

    private func expand(_ units: [UnitID]) -> Set<UnitID> {
        Set(units.flatMap { [$0] + (members[$0] ?? []) })
    }

    /// `hoạt động số 12 của Phòng Văn hóa - Xã hội (ngày 02/06/2026)`.
    func describe(_ r: CompletionRecord) -> String {
        let what = r.occurrenceID == nil ? "\(r.action.label) số \(r.id ?? 0)" : "bản ghi số \(r.id ?? 0)"
        return "\(what) của \(names[r.unit] ?? r.unit.rawValue)\(r.doneOn.map { " (ngày \($0.vietnamese))" } ?? "")"
    }
}

extension CompletionService {
    /// After `stored` (a figure record) is written: the data duties (`fulfilled_by: [figures]`)
    /// of its year that declare one of its figures, and whose declared figures are now all
    /// recorded, are completed by their owners, noting the figure record. A duty done already,
    /// not open yet on `today`, or refused for another reason is left as it is: the figures stand.
    public func completeDataDuties(after stored: FigureRecord, figures: [FigureRecord], now: UTCDateTime,
                                   today: CivilDate) async -> [CompletionRecord] {
        let ledger = FigureLedger(figures.filter { $0.plan == plan.id } + (figures.contains(stored) ? [] : [stored]))
        let obligations = plan.obligations.filter {
            $0.fulfilledBy.contains(.figures) && $0.figures.contains { $0.target == stored.target && stored.values[$0.figure] != nil }
        }
        var done: [CompletionRecord] = []
        for ob in obligations {
            guard ob.figures.allSatisfy({ ledger.value($0.target, year: stored.year, figure: $0.figure) != nil }) else { continue }
            for o in occurrences where o.obligationID == ob.id && o.last.year == stored.year {
                let day = min(today, Vietnamese.localDay(stored.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds))
                let details = Details(doneOn: day, evidenceURL: stored.evidenceURL,
                                      note: "Đã ghi nhận qua bản ghi số liệu số \(stored.id ?? 0) (chỉ tiêu \(stored.target), năm \(stored.year))")
                guard let outcome = try? await markDone(o.id.rawValue, unit: o.owner.rawValue, details: details, recordedBy: stored.recordedBy,
                                                        now: now, today: today),
                      case .recorded(let record) = outcome else { continue }
                done.append(record)
            }
        }
        return done
    }
}
