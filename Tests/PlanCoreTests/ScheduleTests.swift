import Foundation
import ICal
@testable import PlanCore
import Testing

/// Occurrences of the shipped plan over 2025–2030, against dates written out here.
@Suite struct ScheduleTests {
    let plan: Plan
    let all: [Occurrence]

    init() throws {
        plan = try TestSupport.shippedPlan()
        all = try Schedule(plan: plan).occurrences()
    }

    func of(_ obligation: String) -> [Occurrence] { all.filter { $0.obligationID == obligation } }

    func occurrence(_ id: String) -> Occurrence? { all.first { $0.id.rawValue == id } }

    static let years = [2025, 2026, 2027, 2028, 2029, 2030]

    @Test func quarterlyNewsHasTwentyFourQuarterEnds() async {
        let expected: [(String, CivilDate)] = [
            ("quarterly-news/2025-Q1", day(31, 3, 2025)), ("quarterly-news/2025-Q2", day(30, 6, 2025)),
            ("quarterly-news/2025-Q3", day(30, 9, 2025)), ("quarterly-news/2025-Q4", day(31, 12, 2025)),
            ("quarterly-news/2026-Q1", day(31, 3, 2026)), ("quarterly-news/2026-Q2", day(30, 6, 2026)),
            ("quarterly-news/2026-Q3", day(30, 9, 2026)), ("quarterly-news/2026-Q4", day(31, 12, 2026)),
            ("quarterly-news/2027-Q1", day(31, 3, 2027)), ("quarterly-news/2027-Q2", day(30, 6, 2027)),
            ("quarterly-news/2027-Q3", day(30, 9, 2027)), ("quarterly-news/2027-Q4", day(31, 12, 2027)),
            ("quarterly-news/2028-Q1", day(31, 3, 2028)), ("quarterly-news/2028-Q2", day(30, 6, 2028)),
            ("quarterly-news/2028-Q3", day(30, 9, 2028)), ("quarterly-news/2028-Q4", day(31, 12, 2028)),
            ("quarterly-news/2029-Q1", day(31, 3, 2029)), ("quarterly-news/2029-Q2", day(30, 6, 2029)),
            ("quarterly-news/2029-Q3", day(30, 9, 2029)), ("quarterly-news/2029-Q4", day(31, 12, 2029)),
            ("quarterly-news/2030-Q1", day(31, 3, 2030)), ("quarterly-news/2030-Q2", day(30, 6, 2030)),
            ("quarterly-news/2030-Q3", day(30, 9, 2030)), ("quarterly-news/2030-Q4", day(31, 12, 2030)),
        ]
        let news = of("quarterly-news")
        #expect(news.count == 24)
        #expect(news.map(\.id.rawValue) == expected.map(\.0))
        for (id, due) in expected {
            guard let o = occurrence(id) else {
                Issue.record("missing \(id)")
                continue
            }
            #expect(o.isDeadline, "\(id)")
            #expect(o.first == due, "\(id)")
            #expect(o.last == due, "\(id)")
            #expect(o.owner == "vhxh", "\(id)")
            #expect(o.targets == ["G6.T3"], "\(id)")
            #expect(o.minutes == nil, "\(id)")
        }
        #expect(occurrence("quarterly-news/2026-Q4")?.periodLabel == "quý IV/2026")
        #expect(occurrence("quarterly-news/2025-Q1")?.periodLabel == "quý I/2025")
    }

    @Test func actionMonthRunsFifteenNovemberToFifteenDecemberInclusive() async {
        let expected: [(String, CivilDate, CivilDate)] = [
            ("action-month/2025", day(15, 11, 2025), day(15, 12, 2025)),
            ("action-month/2026", day(15, 11, 2026), day(15, 12, 2026)),
            ("action-month/2027", day(15, 11, 2027), day(15, 12, 2027)),
            ("action-month/2028", day(15, 11, 2028), day(15, 12, 2028)),
            ("action-month/2029", day(15, 11, 2029), day(15, 12, 2029)),
            ("action-month/2030", day(15, 11, 2030), day(15, 12, 2030)),
        ]
        let months = of("action-month")
        #expect(months.map(\.id.rawValue) == expected.map(\.0))
        for (id, first, last) in expected {
            guard let o = occurrence(id) else {
                Issue.record("missing \(id)")
                continue
            }
            #expect(!o.isDeadline, "\(id) is a span")
            #expect(o.first == first, "\(id)")
            #expect(o.last == last, "\(id)")
            // 15/11 … 15/12 both included is 31 days.
            #expect(o.first.days(until: o.last) + 1 == 31, "\(id)")
            #expect(o.owner == "vhxh")
            // participants: all — every other unit takes part.
            #expect(Set(o.participants) == ["kthtdt", "cong-an", "chi-bo", "to-dan-pho", "mttq", "hoi-lhpn", "hoi-nong-dan"])
            #expect(o.periodLabel == "năm \(first.year)")
        }
    }

    static let reportingUnits = ["kthtdt", "cong-an", "chi-bo", "to-dan-pho", "mttq", "hoi-lhpn", "hoi-nong-dan"]

    @Test func annualReportIsDueFourteenDecemberForTheSevenReportingUnits() async {
        var expected: [String: CivilDate] = [:]
        for y in ScheduleTests.years {
            for unit in ScheduleTests.reportingUnits { expected["annual-report/\(y)/\(unit)"] = day(14, 12, y) }
        }
        let reports = of("annual-report")
        #expect(reports.count == 42)
        #expect(Set(reports.map(\.id.rawValue)) == Set(expected.keys))
        for o in reports {
            #expect(o.isDeadline)
            #expect(o.first == expected[o.id.rawValue], "\(o.id)")
            #expect(o.last == expected[o.id.rawValue], "\(o.id)")
            #expect(o.perUnit)
            #expect(o.id.rawValue.hasSuffix("/\(o.owner)"), "\(o.id) is owned by \(o.owner)")
            // vhxh receives them (closing paragraph); it does not co-organise them.
            #expect(o.participants == [], "\(o.id)")
            #expect(o.recipients == ["vhxh"], "\(o.id)")
        }
        #expect(occurrence("annual-report/2026/vhxh") == nil)
        #expect(!reports.contains { $0.owner == "vhxh" })
        #expect(occurrence("annual-report/2026/cong-an")?.last == day(14, 12, 2026))
        #expect(occurrence("annual-report/2030/hoi-nong-dan")?.last == day(14, 12, 2030))
    }

    @Test func disseminationIsPerOrganisationEveryYear() async {
        let orgs = ["vhxh", "kthtdt", "cong-an", "chi-bo", "mttq", "hoi-lhpn", "hoi-nong-dan"]
        var expected: [String: CivilDate] = [:]
        for y in ScheduleTests.years {
            for org in orgs { expected["dissemination/\(y)/\(org)"] = day(30, 6, y) }
        }
        let items = of("dissemination")
        #expect(items.count == 42)
        #expect(Set(items.map(\.id.rawValue)) == Set(expected.keys))
        for o in items {
            #expect(o.last == expected[o.id.rawValue], "\(o.id)")
            #expect(o.targets == ["G6.T2"])
        }
        #expect(occurrence("dissemination/2026/to-dan-pho") == nil)
        // vhxh owns its own; the participant list does not repeat the owner.
        #expect(occurrence("dissemination/2026/vhxh")?.participants == [])
        #expect(occurrence("dissemination/2026/mttq")?.participants == ["vhxh"])
    }

    @Test func reviewsFinalOnlyIn2030AnnualOnly2025To2029() async {
        #expect(of("final-review").map(\.id.rawValue) == ["final-review/2030"])
        #expect(occurrence("final-review/2030")?.last == day(25, 12, 2030))
        #expect(of("annual-review").map(\.id.rawValue)
            == ["annual-review/2025", "annual-review/2026", "annual-review/2027", "annual-review/2028", "annual-review/2029"])
        #expect(of("annual-review").map(\.last)
            == [day(25, 12, 2025), day(25, 12, 2026), day(25, 12, 2027), day(25, 12, 2028), day(25, 12, 2029)])
        #expect(occurrence("annual-review/2030") == nil)
    }

    @Test func otherYearlyDeadlines() async {
        let expected: [(String, Int, Int)] = [
            ("action-month-planning", 31, 10), ("ward-report", 20, 12), ("budget-estimate", 15, 7),
            ("data-report-violence", 14, 12), ("data-report-enterprise", 14, 12), ("data-report-support", 14, 12),
            ("training", 30, 9), ("gbv-programme", 31, 3), ("sex-selection-monitoring", 31, 8),
            ("teacher-training", 15, 8), ("anti-trafficking-report", 14, 12),
        ]
        for (obligation, d, m) in expected {
            #expect(of(obligation).map(\.id.rawValue) == ScheduleTests.years.map { "\(obligation)/\($0)" })
            #expect(of(obligation).map(\.last) == ScheduleTests.years.map { day(d, m, $0) }, "\(obligation)")
        }
        #expect(occurrence("budget-estimate/2026")?.owner == "kthtdt")
        #expect(occurrence("data-report-violence/2026")?.owner == "cong-an")
        #expect(occurrence("anti-trafficking-report/2026")?.owner == "cong-an")
        #expect(occurrence("anti-trafficking-report/2026")?.section == "V.3")
    }

    /// V.5 and V.6: the residential groups' meetings (yearly) and detection duty (every quarter),
    /// the unions' collaborator teams (yearly, one each); every date assumed.
    @Test func residentialGroupsAndUnionItems() async throws {
        #expect(of("residential-propaganda").map(\.id.rawValue) == ScheduleTests.years.map { "residential-propaganda/\($0)/to-dan-pho" })
        #expect(occurrence("residential-propaganda/2026/to-dan-pho")?.last == day(30, 9, 2026))
        #expect(of("community-detection").count == 24)
        let q = try #require(occurrence("community-detection/2026-Q3/to-dan-pho"))
        #expect(q.last == day(30, 9, 2026))
        #expect(q.participants == ["cong-an"])
        #expect(q.section == "V.5; V.3")
        #expect(of("collaborator-team").filter { $0.last.year == 2026 }.map(\.owner) == ["hoi-lhpn", "hoi-nong-dan"])
        for id in ["residential-propaganda", "community-detection", "collaborator-team", "gbv-programme",
                   "sex-selection-monitoring", "teacher-training", "anti-trafficking-report"] {
            #expect(of(id).allSatisfy { $0.assumption != nil }, "\(id) needs its assumption")
        }
    }

    @Test func trainingSessionIsOnEighteenMarch2027Morning() async throws {
        let s = try #require(occurrence("session/tap-huan-2027"))
        #expect(s.obligationID == "session")
        #expect(s.first == day(18, 3, 2027))
        #expect(s.last == day(18, 3, 2027))
        #expect(s.minutes == (8 * 60)...(11 * 60 + 30))
        #expect(!s.isDeadline)
        #expect(s.place == "Hội trường UBND phường Bạch Đằng")
        #expect(s.owner == "vhxh")
        #expect(s.participants == ["chi-bo", "to-dan-pho", "mttq", "hoi-lhpn", "hoi-nong-dan"])
        #expect(s.periodLabel == "18/03/2027")
        #expect(all.filter { $0.obligationID == "session" }.count == 1)
    }

    @Test func everyIdIsUniqueAndTheTotalIsKnown() async {
        let ids = all.map(\.id.rawValue)
        #expect(Set(ids).count == ids.count)
        // 24 news + 6 action months + 6 plannings + 42 disseminations + 42 annual reports + 6 ward
        // reports + 5 annual reviews + 1 final review + 6 budgets + 3×6 data reports + 6 trainings + 1 session
        // (163), then V.1's GBV programme, sex-selection monitoring and teachers' training (3×6), V.3's
        // anti-trafficking report (6), V.5's residential meetings (6) and quarterly detection (24), and
        // V.6's collaborator teams of two unions (12).
        #expect(all.count == 229)
        for o in all {
            #expect(o.first >= day(1, 1, 2025) && o.last <= day(31, 12, 2030), "\(o.id) outside 2025–2030")
            #expect(o.first <= o.last, "\(o.id)")
        }
    }

    @Test func occurrencesAreOrderedByLastDayThenFirstThenId() async {
        for (a, b) in zip(all, all.dropFirst()) {
            #expect((a.last, a.first, a.id) < (b.last, b.first, b.id), "\(a.id) before \(b.id)")
        }
    }

    @Test func congAnSeesActionMonthAndItsOwnReportOnly() async throws {
        let schedule = Schedule(plan: plan)
        let ids = Set(try schedule.occurrences(for: "cong-an").map(\.id.rawValue))
        for y in ScheduleTests.years {
            #expect(ids.contains("action-month/\(y)"))
            #expect(ids.contains("annual-report/\(y)/cong-an"))
            #expect(ids.contains("dissemination/\(y)/cong-an"))
            #expect(ids.contains("data-report-violence/\(y)"))
            for other in ScheduleTests.reportingUnits where other != "cong-an" {
                #expect(!ids.contains("annual-report/\(y)/\(other)"), "cong-an must not see \(other)'s report")
            }
        }
        #expect(!ids.contains("quarterly-news/2026-Q1"))
        #expect(!ids.contains("session/tap-huan-2027"))
        #expect(!ids.contains("budget-estimate/2026"))
        // vhxh receives every report.
        let lead = Set(try schedule.occurrences(for: "vhxh").map(\.id.rawValue))
        for unit in ScheduleTests.reportingUnits { #expect(lead.contains("annual-report/2026/\(unit)")) }
        // An unknown unit sees nothing.
        #expect(try schedule.occurrences(for: "nobody").isEmpty)
    }

    // MARK: - A collective that lists its members

    @Test func collectiveMembersEachOweTheirOwnReport() async throws {
        let plan = try PlanLoader.load(path: TestSupport.fixture("members.yaml"))
        let chiBo = try #require(plan.unit("chi-bo"))
        #expect(chiBo.members.map(\.id) == ["chi-bo-1", "chi-bo-2"])
        #expect(plan.unit("chi-bo-1")?.parentID == "chi-bo")
        #expect(plan.allUnits.map(\.id) == ["vhxh", "chi-bo", "chi-bo-1", "chi-bo-2", "cong-an"])
        #expect(plan.organisations.map(\.id) == ["vhxh", "chi-bo-1", "chi-bo-2", "cong-an"])

        let schedule = Schedule(plan: plan)
        let all = try schedule.occurrences()
        let reports2026 = all.filter { $0.obligationID == "annual-report" && $0.last.year == 2026 }.map(\.id.rawValue)
        #expect(Set(reports2026) == ["annual-report/2026/chi-bo-1", "annual-report/2026/chi-bo-2", "annual-report/2026/cong-an"])
        #expect(!all.contains { $0.id == "annual-report/2026/chi-bo" })
        #expect(all.first { $0.id == "annual-report/2026/chi-bo-1" }?.last == day(14, 12, 2026))

        let member = Set(try schedule.occurrences(for: "chi-bo-1").map(\.id.rawValue))
        #expect(member.contains("annual-report/2026/chi-bo-1"))
        #expect(!member.contains("annual-report/2026/chi-bo-2"))
        #expect(!member.contains("annual-report/2026/cong-an"))
        // Through its collective: owned by chi-bo, and a session chi-bo attends.
        #expect(member.contains("cell-propaganda/2026"))
        #expect(member.contains("session/hop-chi-bo"))
        #expect(!member.contains("police-data/2026"))

        // The collective sees its members' reports.
        let collective = Set(try schedule.occurrences(for: "chi-bo").map(\.id.rawValue))
        #expect(collective.contains("annual-report/2026/chi-bo-1"))
        #expect(collective.contains("annual-report/2026/chi-bo-2"))
        #expect(!collective.contains("annual-report/2026/cong-an"))
    }
}
