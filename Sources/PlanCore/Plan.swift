public import ICal
import Foundation

/// A government action plan held as data: who must do what, when, towards which targets.
///
/// Loaded and validated by ``PlanLoader``; everything in it has been checked
/// (units and targets referenced exist, rules expand from their DTSTART, ids are unique).
public struct Plan: Sendable {
    /// Short id used in paths and UIDs, e.g. `bach-dang`.
    public var id: String
    /// The document's title, in Vietnamese.
    public var title: String
    /// Who issued it, e.g. `UBND phường Bạch Đằng`.
    public var issuer: String
    /// Document number, as printed (may be incomplete in a draft).
    public var number: String?
    /// Who signed it.
    public var signedBy: String?
    /// The legal basis the document cites.
    public var legalBasis: [String]
    /// First day of the plan period.
    public var start: CivilDate
    /// Last day of the plan period.
    public var end: CivilDate
    /// IANA time zone of the plan (a fixed-offset zone).
    public var timeZone: String
    /// Seconds east of UTC for `timeZone`.
    public var utcOffsetSeconds: Int
    /// Public base URL of the dashboard (e.g. `https://lich.example.vn`), used for links in feeds.
    public var publicBaseURL: String?
    /// Residents of the area, for the Goal 6 target 1 share; nil when the plan does not give it.
    public var population: Int?
    /// When the plan data was last revised: the DTSTAMP/LAST-MODIFIED base of every feed item.
    public var revised: UTCDateTime
    /// The units, in document order; collectives carry their members.
    public var units: [PlanUnit]
    /// The targets of the plan.
    public var targets: [PlanTarget]
    /// Recurring obligations.
    public var obligations: [Obligation]
    /// One-off dated sessions (training, meetings) with a time and place.
    public var sessions: [Session]
    /// How often subscribers should refresh, in seconds.
    public var refreshSeconds: Int
    /// What the plan is about and which of its targets and obligations plancal's compliance
    /// report tracks (the plan file's `tracking:` section).
    public var tracking: Tracking
    /// The day the ward starts tracking the plan (`plan.tracking_from`): items due before it are
    /// history ("trước khi theo dõi"), never overdue, and stay out of the rates. Nil: the plan's start.
    public var trackingFrom: CivilDate? = nil
    /// The short place name a document is dated at (`plan.place`, e.g. `Bạch Đằng` in
    /// "Bạch Đằng, ngày … tháng … năm …", Decree 30/2020/NĐ-CP); nil: the issuer's name without
    /// "Ủy ban nhân dân".
    public var place: String? = nil
    /// Whom the ward's annual report goes to (`plan.reports_to`, e.g. the city's People's
    /// Committee); nil: the report names no recipient above the issuer.
    public var reportsTo: String? = nil
    /// How the issuer's reports are numbered and sent (`plan.report_number_suffix`,
    /// `plan.report_recipients`): nil takes the defaults.
    public var reportForm = ReportForm()

    /// The first day tracked: `trackingFrom`, else the plan's start.
    public var trackedFrom: CivilDate { max(trackingFrom ?? start, start) }

    /// True when the public base URL is an example or local address that reaches nobody
    /// (links inside the feeds and the subscribe buttons point at it).
    public var publicBaseIsExample: Bool {
        guard let base = publicBaseURL, let host = URL(string: base)?.host?.lowercased() else { return false }
        return ["example", "example.com", "example.org", "example.net", "localhost", "invalid", "test"]
            .contains { host == $0 || host.hasSuffix("." + $0) }
    }

    /// Every unit, members after their collective, in document order.
    public var allUnits: [PlanUnit] {
        units.flatMap { [$0] + $0.members }
    }

    /// The unit a person or a request named, as typed: nil when it is not a unit id of the plan.
    public func unit(named text: String) -> PlanUnit? { UnitID(rawValue: text).flatMap(unit) }

    /// A unit's name for people; its id when the plan has no such unit (a record kept after the
    /// unit left the plan).
    public func name(of id: UnitID) -> String { unit(id)?.name ?? id.rawValue }

    /// The unit with an id, member or not.
    public func unit(_ id: UnitID) -> PlanUnit? {
        // allUnits' order, without building it (this is asked per item of every feed).
        for u in units {
            if u.id == id { return u }
            for m in u.members where m.id == id { return m }
        }
        return nil
    }

    /// The target with an id.
    public func target(_ id: TargetID) -> PlanTarget? { targets.first { $0.id == id } }

    /// The lead unit (role `lead`), which may act for any unit.
    public var leadUnit: PlanUnit? { units.first { $0.role == .lead } }

    /// Units that count as organisations for Goal 6 target 2 (informed every year).
    public var organisations: [PlanUnit] { allUnits.filter { $0.isOrganisation && !$0.hasMembers } }
}

/// How a target is tracked (a target's `tracking:` in the plan file). The rule says which
/// records count towards the target; nothing about a particular plan is fixed in code.
public enum TrackingRule: Sendable, Equatable {
    /// At least one news item with its evidence (the article's link, or a note where it has none)
    /// in every period: `per_quarter_with_evidence`, `per_month_with_evidence`.
    case newsEvery(NewsPeriod)
    /// Every organisation informed each year: `every_organisation_yearly`.
    case everyOrganisationYearly
    /// Residents reached against the population, `goal` (a share) by the end of year `by`:
    /// `share_reached`.
    case shareReached(goal: Double, by: Int)
    /// Measured by the figures the units supply: `figures`.
    case figures

    /// The period of a news rule.
    public enum NewsPeriod: String, Sendable, Equatable {
        case quarter, month

        /// The Vietnamese word, e.g. `quý`.
        public var word: String { self == .quarter ? "quý" : "tháng" }
    }

    /// The rule's name in the plan file.
    public var name: String {
        switch self {
        case .newsEvery(let p): return "per_\(p.rawValue)_with_evidence"
        case .everyOrganisationYearly: return "every_organisation_yearly"
        case .shareReached: return "share_reached"
        case .figures: return "figures"
        }
    }

    /// Every rule's name, for error messages.
    public static let names = ["per_quarter_with_evidence", "per_month_with_evidence", "every_organisation_yearly",
                               "share_reached", "figures"]

    /// True for a rule measured from completion records (news, dissemination, reach).
    public var countsRecords: Bool { self != .figures }
}

/// A target and the rule it is tracked by.
public struct TrackedTarget: Sendable, Equatable {
    public var target: TargetID
    public var rule: TrackingRule
    public init(target: TargetID, rule: TrackingRule) {
        self.target = target
        self.rule = rule
    }
}

/// The plan's subject and how its targets are tracked in the compliance report. Nothing here is
/// fixed in code: a plan of another kind names its own rules, several targets under one rule, or none.
public struct Tracking: Sendable, Equatable {
    /// The subject in a few words, e.g. `Bình đẳng giới`: calendar names, categories, headings.
    public var subject: String
    /// The tracked targets in the plan file's order, each with its rule.
    public var targets: [TrackedTarget]
    /// The per-unit obligation whose occurrences are the units' annual reports.
    public var annualReport: String?

    /// Rules; a plan that tracks none gives only its dates.
    public init(subject: String, targets: [TrackedTarget] = [], annualReport: String? = nil) {
        self.subject = subject
        self.targets = targets
        self.annualReport = annualReport
    }

    /// The rule a target is tracked by, if any.
    public func rule(of target: TargetID) -> TrackingRule? { targets.first { $0.target == target }?.rule }

    /// The news targets with their periods (Bạch Đằng: G6.T3, every quarter).
    public var newsTargets: [(target: TargetID, period: TrackingRule.NewsPeriod)] {
        targets.compactMap { t in
            if case .newsEvery(let p) = t.rule { return (t.target, p) }
            return nil
        }
    }

    /// The targets met when every organisation is informed each year (Bạch Đằng: G6.T2).
    public var disseminationTargets: [TargetID] {
        targets.filter { $0.rule == .everyOrganisationYearly }.map(\.target)
    }

    /// The targets measured by residents reached, with their goals (Bạch Đằng: G6.T1, 80% by 2030).
    public var reachTargets: [(target: TargetID, goal: Double, by: Int)] {
        targets.compactMap { t in
            if case .shareReached(let goal, let by) = t.rule { return (t.target, goal, by) }
            return nil
        }
    }

    /// True when a completion of an occurrence serving these targets needs its evidence (a news rule).
    public func needsEvidence(_ o: Occurrence) -> Bool {
        o.targets.contains { if case .newsEvery = rule(of: $0) { return true } else { return false } }
    }

    /// The target a completion's `reached` count is first reported under (for a prompt's wording).
    public var firstReachTarget: TargetID? { reachTargets.first?.target }
}

extension Occurrence {
    /// True when the occurrence serves the target (nil: no such role in the plan).
    public func serves(_ target: TargetID?) -> Bool { target.map(terms.targets.contains) ?? false }
}

/// A unit named by the plan (section V), or a member of a collective unit.
public struct PlanUnit: Sendable, Equatable {
    /// The unit's role.
    public enum Role: String, Sendable { case lead, member }
    /// How the plan addresses the unit (plan file `relation:`): it *assigns* duties to the issuer's
    /// own offices, the police, Party cells and residential groups (Bạch Đằng V.1–V.5), and only
    /// *requests* ("Đề nghị", V.6) the Front and the unions, which the issuer does not direct.
    public enum Relation: String, Sendable, CaseIterable { case assigned, requested }
    /// Stable id, e.g. `cong-an`.
    public var id: UnitID
    /// The Vietnamese name, as the document writes it.
    public var name: String
    /// Lead or member.
    public var role: Role
    /// Where the document assigns its tasks, e.g. `V.3`.
    public var section: String?
    /// Counts for G6.T2 (Party organisations, authorities, agencies, departments, unions).
    public var isOrganisation: Bool
    /// The collective this unit belongs to, if it is a member.
    public var parentID: UnitID?
    /// Members of a collective (e.g. each Party cell); empty otherwise.
    public var members: [PlanUnit]
    /// Set when the entry is not the ward's data but an example or assumption.
    public var assumption: String?
    /// Assigned (the default) or requested: a requested unit's items are requests, never the
    /// issuer's overdue duties, and stay out of the on-time rates.
    public var relation: Relation = .assigned
    /// How the unit's annual report is numbered and sent (`report_number_suffix`, `report_recipients`).
    public var reportForm = ReportForm()

    /// True when the plan only requests this unit's work ("Đề nghị").
    public var isRequested: Bool { relation == .requested }

    /// True for a collective that lists its members.
    public var hasMembers: Bool { !members.isEmpty }
}

/// The parts of a report's form that its issuer decides (Decree 30/2020/NĐ-CP): the suffix of
/// its number (`Số: …/BC-<suffix>`) and the "Nơi nhận" lines.
public struct ReportForm: Sendable, Equatable {
    /// e.g. `UBND`, `VHXH`, `CAP`; nil: the default.
    public var numberSuffix: String?
    /// e.g. `- UBND thành phố Hải Phòng;`, `- Lưu: VT, VHXH.`; nil: the default.
    public var recipients: [String]?

    public init(numberSuffix: String? = nil, recipients: [String]? = nil) {
        self.numberSuffix = numberSuffix
        self.recipients = recipients
    }

    /// `Số: …/BC-<suffix>`, or with `fallback` (nil: `Số: …/BC`).
    public func number(fallback: String? = nil) -> String {
        (numberSuffix ?? fallback).map { "Số: …/BC-\($0)" } ?? "Số: …/BC"
    }
}

/// A measurable target of the plan (section II.2).
public struct PlanTarget: Sendable, Equatable {
    /// Id like `G6.T3`.
    public var id: TargetID
    /// The document's Vietnamese text.
    public var text: String
    /// Section, e.g. `II.2.6`.
    public var section: String
    /// A short wording for headings, e.g. `mỗi quý có 01 tin, bài về bình đẳng giới`.
    public var short: String?
    /// The figures the units supply each year for it (empty when it is measured from records or not at all).
    public var figures: [TargetFigure] = []
    /// How it is measured; empty when the plan file does not say.
    public var indicators: [Indicator] = []
    /// The rule given with the target in the plan file (`tracking:`); the plan's `Tracking`
    /// holds every tracked target, this form and the older one.
    public var tracking: TrackingRule? = nil

    /// The heading a report gives it: `Chỉ tiêu 3 (G6.T3): <short wording>`.
    public var heading: String {
        "Chỉ tiêu \(id.number) (\(id)): \(short ?? text)"
    }
}

/// What an occurrence is in a calendar.
public enum ObligationKind: Sendable, Equatable {
    /// Due on one day (the last day allowed): an all-day item on that day.
    case deadline
    /// Covers a number of consecutive days, inclusive.
    case span(days: Int)
}

/// How an occurrence of a recurring obligation is named in its id.
public enum OccurrenceKey: String, Sendable {
    case year, quarter, month, date
}

/// A recurring obligation of the plan. What each of its occurrences repeats (targets, section,
/// reminders, counts, revision) is its `terms`, read as if they were its own fields.
@dynamicMemberLookup
public struct Obligation: Sendable {
    /// Id, e.g. `quarterly-news`; occurrence ids start with it.
    public var id: String
    /// Vietnamese title.
    public var title: String
    /// Longer Vietnamese explanation, optional.
    public var details: String?
    /// Deadline or span.
    public var kind: ObligationKind
    /// The RFC 5545 rule, expanded by libical.
    public var rule: RecurrenceRule
    /// First occurrence; must match the rule.
    public var dtstart: CivilDate
    /// How occurrence ids name their period.
    public var key: OccurrenceKey
    /// The unit responsible (ignored when `forEach` is set: each listed unit owns its own).
    public var owner: UnitID
    /// When set, one occurrence per unit (collectives expand into their members).
    public var forEach: [UnitID]?
    /// Units taking part.
    public var participants: [UnitID]
    /// Units that receive what the owner delivers (plan file `recipients:`), e.g. the lead unit
    /// receiving every unit's annual report: neither owners nor participants ("phối hợp").
    public var recipients: [UnitID] = []
    /// The targets, section, reminders, counts and revision its occurrences carry.
    public var terms: ObligationTerms
    /// Figures a completion of it may carry (a data report: `plancal done … --figure`).
    public var figures: [FigureRef] = []
    /// What else fulfils an occurrence (plan file `fulfilled_by:`): a meeting informing its
    /// owner, a news item of its period, its declared figures, another obligation's occurrence.
    public var fulfilledBy: [Fulfilment] = []
}

/// A figure of a target, as an obligation names it: `G3.T2/victims-detected`.
public struct FigureRef: Sendable, Equatable, CustomStringConvertible {
    public var target: TargetID
    public var figure: String
    public init(target: TargetID, figure: String) {
        self.target = target
        self.figure = figure
    }
    public var description: String { "\(target)/\(figure)" }
}

/// A count recorded with a completion or an ad hoc record.
public enum CountKind: String, Sendable, CaseIterable, Codable {
    /// Residents reached (G6.T1).
    case reached
    /// Participants at a session or meeting.
    case participants
    /// The organisations a meeting informed (a dissemination target; `fulfilled_by: [meeting]`
    /// makes their own dissemination duties done).
    case organisations
}

/// A one-off session with a time and place, e.g. a training course.
public struct Session: Sendable {
    /// Id, unique among sessions; the occurrence id is `session/<id>`.
    public var id: String
    /// Vietnamese title.
    public var title: String
    /// The day.
    public var date: CivilDate
    /// Start, minutes after midnight local time.
    public var startMinutes: Int
    /// End, minutes after midnight local time.
    public var endMinutes: Int
    /// Where it takes place.
    public var place: String?
    /// Organiser.
    public var owner: UnitID
    /// Attending units.
    public var participants: [UnitID]
    /// Targets served.
    public var targets: [TargetID]
    /// Section of the document.
    public var section: String
    /// Set when the date is not the document's.
    public var assumption: String?
    /// Revision, as for obligations.
    public var revision: Int
    /// When the session was last edited (defaults to the plan's `revised`).
    public var revised: UTCDateTime
}
