import Foundation
import ICal
import PlanCore
import PlanFeed

/// One occurrence: what it is, its state and evidence, its records, the form to mark it done,
/// and (for the lead unit) the form to declare it not applicable.
struct OccurrencePage: Page {
    static let template = "occurrence"
    struct Evidence: Sendable {
        var unit: String
        var on: String
        var url: String
    }
    struct Choice: Sendable {
        var id: String
        var name: String
        var selected: Bool
    }
    /// What was typed into a refused form, given back.
    typealias Typed = TypedForm
    /// A standing waiver ("không áp dụng").
    struct Waiver: Sendable {
        var waiverReason: String
        var waiverBy: String
        var waiverOn: String
        var waiverLink: String
    }
    var chrome: PageChrome
    var summary: String
    var state: String
    var stateLabel: String
    var stateMeaning: String
    var metBy: String?
    /// Done by another record (`fulfilled_by:`): what it says, and that record's page.
    var fulfilledBy: FulfilledBy?
    struct FulfilledBy: Sendable {
        var text: String
        var link: String
    }
    var description: String
    var evidence: [Evidence]
    var hasEvidence: Bool
    var records: [HistoryPage.Row]
    var hasRecords: Bool
    var canMark: Bool
    var markHeading: String
    var occurrenceID: String
    var dayValue: String
    var hasReached: Bool
    var hasParticipants: Bool
    /// The organisations a meeting held for the item informed (`counts: [organisations]`): their
    /// own dissemination is done with this record.
    var organisations: [RecordFormPage.Organisation]
    var hasOrganisations: Bool
    var unitChoices: [Choice]
    var singleUnit: Choice?
    var typed: Typed
    var waiver: Waiver?
    var canWaive: Bool
    var signInLink: String?

    static func build(plan: Plan, occurrence o: Occurrence, builder: FeedBuilder, today: CivilDate, chrome: PageChrome,
                      token: UnitToken?, typed: Typed?, typedUnit: String?) -> OccurrencePage {
        let ledger = builder.ledger
        let state = OccurrenceState.of(o, ledger: ledger, today: today)
        var metBy: String?
        // A period's news item still open while the period already has one (an ad hoc item, or
        // one recorded against another period): say so, so the unit can mark it.
        if ledger.done(o) == nil, plan.tracking.newsTargets.contains(where: { o.serves($0.target) }),
           let track = ComplianceReport(plan: plan, occurrences: builder.occurrences, ledger: ledger,
                                                               today: today, year: o.last.year).news.first(where: { o.serves($0.target) }),
           let q = track.periods.first(where: { CivilDate(parsing: $0.ends).map { d in d >= o.last && d.year == o.last.year } ?? false }),
           q.state == .met, let item = q.items.first {
            let day = CivilDate(parsing: item.date)?.vietnamese ?? item.date
            let period = q.label.prefix(1).uppercased() + q.label.dropFirst()
            metBy = "\(period) đã có tin, bài ngày \(day)\(item.url.map { ": \($0)" } ?? "") (chỉ tiêu \(track.target) đã đạt). Nếu đó là tin của \(track.period.word), hãy đánh dấu việc này hoàn thành với đường dẫn đó."
        }
        let evidence = ledger.completions(of: o.id).compactMap { done -> Evidence? in
            guard let url = done.record.evidenceURL else { return nil }
            return Evidence(unit: plan.name(of: done.unit), on: done.doneOn.vietnamese, url: url)
        }
        let lead = token?.unit == plan.leadUnit?.id
        var choices: [Choice] = []
        if let token {
            let schedule = Schedule(plan: plan)
            // A unit that already recorded its part has nothing more to mark (a correction is
            // made from the record itself).
            let allowed = plan.allUnits.filter {
                schedule.involves(o, $0.id) && !o.isReceived(by: $0.id) && (lead || $0.id == token.unit)
                    && ledger.completion(of: o.id, by: $0.id) == nil
            }
            let chosen = typedUnit ?? (allowed.contains { $0.id == token.unit } ? token.unit : o.owner).rawValue
            choices = allowed.map { Choice(id: $0.id.rawValue, name: $0.name, selected: $0.id.rawValue == chosen) }
        }
        let waived = ledger.done(o) == nil ? ledger.waiver(of: o.id) : nil
        let history = CompletionHistory(plan: plan, occurrences: builder.occurrences, records: ledger.records,
                                        fulfilled: ledger.fulfilled)
        let rows = history.entries(.init(occurrence: o.id.rawValue)).map { HistoryPage.Row($0, plan: plan, token: token, history: history) }
        let lastDay = min(today, plan.end)
        // The day typed comes back as typed; else today, written dd/mm/yyyy.
        let day = typed.map(\.on) ?? lastDay.vietnamese
        let owns = choices.count == 1 && o.doneBy.contains { $0.rawValue == choices[0].id }
        let orgs = o.counts.contains(.organisations) ? plan.organisations : []
        return OccurrencePage(
            chrome: chrome, summary: builder.summary(o), state: state.rawValue, stateLabel: state.label,
            stateMeaning: state.meaning, metBy: metBy,
            fulfilledBy: ledger.fulfilled[o.id].map {
                FulfilledBy(text: $0.record.note ?? "", link: "/plans/\(plan.id)/records/\($0.via?.id ?? 0)")
            },
            description: builder.description(o, withLink: false), evidence: evidence, hasEvidence: !evidence.isEmpty,
            records: rows, hasRecords: !rows.isEmpty,
            canMark: !choices.isEmpty && o.opens <= today && waived == nil,
            markHeading: choices.count == 1 && !owns ? "Ghi nhận phần tham gia" : "Đánh dấu hoàn thành",
            occurrenceID: o.id.rawValue, dayValue: day, hasReached: o.counts.contains(.reached),
            hasParticipants: o.counts.contains(.participants),
            organisations: orgs.map {
                RecordFormPage.Organisation(orgID: $0.id.rawValue, orgName: $0.name, checked: (typed?.organisations ?? []).contains($0.id.rawValue))
            },
            hasOrganisations: !orgs.isEmpty, unitChoices: choices.count > 1 ? choices : [],
            singleUnit: choices.count == 1 ? choices[0] : nil, typed: typed ?? Typed(),
            waiver: waived.map {
                Waiver(waiverReason: $0.reason ?? "", waiverBy: $0.recordedBy,
                       waiverOn: Vietnamese.dateTime($0.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds),
                       waiverLink: "/plans/\(plan.id)/records/\($0.id ?? 0)")
            },
            canWaive: lead && ledger.done(o) == nil && waived == nil,
            signInLink: token == nil ? "/plans/\(plan.id)/login" : nil)
    }
}
