public import ICal
import Foundation

/// One row per plan (a city's wards and communes), each read off that plan's own
/// `ComplianceReport` for the year: the city page, `compliance --plans-dir` and their CSV and
/// JSON say exactly what each ward's report says.
public struct CityReport: Sendable, Encodable {
    /// One ward.
    public struct Row: Sendable, Encodable {
        public var plan: String
        public var issuer: String
        public var title: String
        /// News-target quarters of the year so far that are met, and how many there are so far;
        /// nil when the plan tracks no news target.
        public var quartersMet: Int?
        public var quarters: Int?
        /// Organisations informed in the year, of how many; nil without a dissemination target.
        public var informed: Int?
        public var organisations: Int?
        /// Residents reached so far, the share of the population and where the path stands today.
        public var reached: Int?
        public var reachShare: Double?
        public var reachPath: Double?
        public var onTrack: Bool?
        /// Annual reports of the year received on time, received at all, and owed.
        public var reportsOnTime: Int
        public var reportsReceived: Int
        public var reportsOwed: Int
        /// Items of the year past their day and not done.
        public var overdue: Int
        /// The latest fetch of any of its feeds (ISO 8601 UTC), if any.
        public var lastFetch: String?
        /// The same, as a time (not encoded).
        public var lastFetchAt: UTCDateTime?
        /// The plan's offset from UTC, for local times (not encoded).
        public var utcOffsetSeconds: Int

        enum CodingKeys: String, CodingKey {
            case plan, issuer, title, quartersMet, quarters, informed, organisations, reached, reachShare, reachPath,
                 onTrack, reportsOnTime, reportsReceived, reportsOwed, overdue, lastFetch
        }

        /// Unknowns are null, never left out: the JSON shape is fixed.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(plan, forKey: .plan)
            try c.encode(issuer, forKey: .issuer)
            try c.encode(title, forKey: .title)
            try c.encode(quartersMet, forKey: .quartersMet)
            try c.encode(quarters, forKey: .quarters)
            try c.encode(informed, forKey: .informed)
            try c.encode(organisations, forKey: .organisations)
            try c.encode(reached, forKey: .reached)
            try c.encode(reachShare, forKey: .reachShare)
            try c.encode(reachPath, forKey: .reachPath)
            try c.encode(onTrack, forKey: .onTrack)
            try c.encode(reportsOnTime, forKey: .reportsOnTime)
            try c.encode(reportsReceived, forKey: .reportsReceived)
            try c.encode(reportsOwed, forKey: .reportsOwed)
            try c.encode(overdue, forKey: .overdue)
            try c.encode(lastFetch, forKey: .lastFetch)
        }

        /// The row of one ward, from its compliance report for the year.
        public init(plan: Plan, report: ComplianceReport, lastFetch: UTCDateTime?) {
            self.plan = plan.id
            issuer = plan.issuer
            title = plan.title
            if !report.news.isEmpty {
                // Periods judged so far (begun, and ended after tracking started), over every news target.
                let judged = report.news.flatMap(\.periods).filter(\.isJudged)
                quartersMet = judged.filter { $0.state == .met }.count
                quarters = judged.count
            }
            informed = report.dissemination?.informed
            organisations = report.dissemination?.total
            reached = report.reach?.reached
            reachShare = report.reach?.share
            reachPath = report.reach?.path
            onTrack = report.reach?.onTrack
            // Reports owed by the units the plan directs; a requested unit's (V.6) is no office's duty.
            let reports = report.units.filter { !$0.requested && $0.owesAnnualReport }.compactMap(\.annualReport)
            reportsOwed = reports.count
            reportsOnTime = reports.filter { $0 == .doneOnTime }.count
            reportsReceived = reports.filter { $0 == .doneOnTime || $0 == .doneLate }.count
            overdue = report.units.map(\.overdue).reduce(0, +)
            self.lastFetch = lastFetch?.iso
            lastFetchAt = lastFetch
            utcOffsetSeconds = plan.utcOffsetSeconds
        }
    }

    /// The columns a city page or `--sort` may order by.
    public enum SortKey: String, Sendable, CaseIterable {
        case plan, quarters, informed, reach, reports, overdue, fetch
    }

    public var today: String
    public var year: Int
    public var rows: [Row]

    /// The report for `year` (the plans' own current year when nil) as of `today`.
    /// `plans` gives each plan with its occurrences, ledger and latest feed fetch.
    public init(plans: [(plan: Plan, occurrences: [Occurrence], ledger: CompletionLedger, lastFetch: UTCDateTime?)],
                today: CivilDate, year: Int? = nil) {
        self.today = today.iso
        self.year = year ?? today.year
        rows = plans.map { p in
            let y = p.plan.reportYear(year, today: today)
            let report = ComplianceReport(plan: p.plan, occurrences: p.occurrences, ledger: p.ledger, today: today, year: y)
            return Row(plan: p.plan, report: report, lastFetch: p.lastFetch)
        }.sorted { $0.plan < $1.plan }
    }

    /// Rows ordered by a column (ties by plan id); worst first where `descending` is false for
    /// shares (fewest quarters met first) and true for overdue counts is up to the caller.
    public mutating func sort(by key: SortKey, descending: Bool) {
        func value(_ r: Row) -> Double {
            switch key {
            case .plan: return 0
            case .quarters: return r.quarters.map { $0 == 0 ? 1 : Double(r.quartersMet ?? 0) / Double($0) } ?? -1
            case .informed: return r.organisations.map { $0 == 0 ? 1 : Double(r.informed ?? 0) / Double($0) } ?? -1
            case .reach: return r.reachShare ?? Double(r.reached ?? -1)
            case .reports: return r.reportsOwed == 0 ? 1 : Double(r.reportsReceived) / Double(r.reportsOwed)
            case .overdue: return Double(r.overdue)
            case .fetch: return Double(r.lastFetchAt?.secondsSinceEpoch ?? -1)
            }
        }
        rows.sort { a, b in
            let (va, vb) = (value(a), value(b))
            if va != vb { return descending ? va > vb : va < vb }
            return descending && key == .plan ? a.plan > b.plan : a.plan < b.plan
        }
    }

    /// JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A ward's quarters as `2/4`, or `—` when untracked.
    public static func fraction(_ n: Int?, _ of: Int?) -> String {
        guard let n, let of else { return "—" }
        return "\(n)/\(of)"
    }

    /// CSV (UTF-8 with a byte-order mark), one row per ward, Vietnamese headers' codes.
    public func csv() -> String {
        var rows: [[CSVCell]] = [[
            .text("ke_hoach"), .text("don_vi_ban_hanh"), .text("quy_dat"), .text("so_quy"), .text("to_chuc_da_pho_bien"),
            .text("so_to_chuc"), .text("luot_tiep_can"), .text("ty_le_tiep_can"), .text("lo_trinh"),
            .text("bao_cao_dung_han"), .text("bao_cao_da_nop"), .text("bao_cao_phai_nop"), .text("qua_han"),
            .text("lan_tai_lich_cuoi"),
        ]]
        func int(_ n: Int?) -> CSVCell { n.map { .number(String($0)) } ?? .text("") }
        func pct(_ d: Double?) -> CSVCell { d.map { .number(Vietnamese.percent($0)) } ?? .text("") }
        for r in self.rows {
            rows.append([
                .text(r.plan), .text(r.issuer), int(r.quartersMet), int(r.quarters), int(r.informed), int(r.organisations),
                int(r.reached), pct(r.reachShare), pct(r.reachPath), int(r.reportsOnTime), int(r.reportsReceived),
                int(r.reportsOwed), int(r.overdue),
                .text(r.lastFetchAt.map { Vietnamese.dateTime($0, utcOffsetSeconds: r.utcOffsetSeconds) } ?? ""),
            ])
        }
        return CSVCell.document(rows)
    }

    /// A table for a terminal.
    public func table() -> String {
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        var out = ["TỔNG HỢP CÁC PHƯỜNG, XÃ — năm \(year), ngày \(CivilDate(parsing: today)?.vietnamese ?? today)",
                   "\(pad("Kế hoạch", 24)) \(pad("Quý đạt", 8)) \(pad("Tổ chức", 8)) \(pad("Tiếp cận", 12)) \(pad("Báo cáo", 8)) Quá hạn"]
        for r in rows {
            let reach = r.reachShare.map { Vietnamese.percent($0) } ?? r.reached.map { Vietnamese.number($0) + " lượt" } ?? "—"
            out.append("\(pad(r.plan, 24)) \(pad(CityReport.fraction(r.quartersMet, r.quarters), 8)) \(pad(CityReport.fraction(r.informed, r.organisations), 8)) \(pad(reach, 12)) \(pad("\(r.reportsReceived)/\(r.reportsOwed)", 8)) \(r.overdue)")
        }
        out.append("\(rows.count) kế hoạch.")
        return out.joined(separator: "\n") + "\n"
    }
}
