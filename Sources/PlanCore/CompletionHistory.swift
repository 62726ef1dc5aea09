public import ICal

/// The audit trail as people read it (`plancal history`, a unit's history page and its CSV):
/// every record with what it is about by title, and what became of it later (replaced by a
/// correction, withdrawn).
public struct CompletionHistory: Sendable {
    /// One record, explained.
    public struct Entry: Sendable {
        /// The record itself.
        public var record: CompletionRecord
        /// What it is, in Vietnamese: "hoàn thành", "tham gia", "hủy bản ghi #3", …
        public var kind: String
        /// The occurrence's title, for a record of an occurrence the plan still has.
        public var title: String?
        /// The unit's name.
        public var unitName: String
        /// What became of it: "đã được thay bằng #5", "đã hủy bởi #6".
        public var later: String?
        /// Still in force: not an undo, not replaced, not withdrawn.
        public var standing: Bool
        /// The day it is about: the day done, else the local day it was recorded.
        public var day: CivilDate
        /// The occurrences this record also completes (`fulfilled_by:`), by id and name: a
        /// meeting completes the dissemination of each organisation it informed.
        public var fulfils: [(id: OccurrenceID, name: String)] = []
    }

    /// Which records to show.
    public struct Filter: Sendable {
        /// Only this unit's records (a collective's include its members').
        public var unit: String?
        /// Only records about a day of this year.
        public var year: Int?
        /// Only these kinds.
        public var kinds: Set<CompletionRecord.Action>?
        /// Only the records of this occurrence.
        public var occurrence: String?

        /// A filter; nil lets everything through.
        public init(unit: String? = nil, year: Int? = nil, kinds: Set<CompletionRecord.Action>? = nil, occurrence: String? = nil) {
            self.unit = unit
            self.year = year
            self.kinds = kinds
            self.occurrence = occurrence
        }
    }

    /// Every record of the plan, explained, oldest first.
    public let entries: [Entry]
    private let plan: Plan

    /// Explains a plan's records (oldest first); `fulfilled` (a ledger's) names what each record
    /// also completes.
    public init(plan: Plan, occurrences: [Occurrence], records: [CompletionRecord],
                fulfilled: [OccurrenceID: CompletionLedger.Completion] = [:]) {
        self.plan = plan
        let byID = Dictionary(occurrences.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // First what each record became: replaced by a correction, or withdrawn by an undo.
        var standing: [String: Int64] = [:]
        var replaces: [Int64: Int64] = [:], later: [Int64: String] = [:]
        var resolvedBy: [Int64: Int64] = [:]
        for r in records {
            guard let id = r.id else { continue }
            // A resolution settles an obstacle, which stays in force (resolved, not withdrawn).
            if r.action == .resolve, let obstacle = r.withdraws { resolvedBy[obstacle] = id; continue }
            if let target = r.withdraws {
                later[target] = "đã hủy bởi #\(id)"
                if let obstacle = resolvedBy.first(where: { $0.value == target })?.key { resolvedBy[obstacle] = nil }
                continue
            }
            guard let occ = r.occurrenceID else { continue }
            let key = "\(occ)\u{0}\(r.unit)"
            if r.action == .done {
                if let earlier = standing[key] { replaces[id] = earlier; later[earlier] = "đã được thay bằng #\(id)" }
                standing[key] = id
            } else if r.action == .undo, let earlier = standing[key] {
                later[earlier] = "đã hủy bởi #\(id)"
                standing[key] = nil
            }
        }
        var fulfils: [Int64: [(id: OccurrenceID, name: String)]] = [:]
        for (occ, c) in fulfilled {
            guard let source = c.via?.id else { continue }
            fulfils[source, default: []].append((occ, byID[occ]?.name(in: plan) ?? occ.rawValue))
        }
        entries = records.map { r in
            var kind = r.action == .undo ? "hủy hoàn thành" : r.action.label
            let o = r.occurrenceID.flatMap { byID[$0] }
            if r.action == .done, let o, !o.doneBy.contains(r.unit) { kind = "tham gia" }
            if let id = r.id, let earlier = replaces[id] { kind += " (sửa, thay bản ghi #\(earlier))" }
            if let target = r.withdraws { kind = r.action == .resolve ? "giải quyết vướng mắc #\(target)" : "hủy bản ghi #\(target)" }
            var note = r.id.flatMap { later[$0] }
            if note == nil, let id = r.id, let by = resolvedBy[id] { note = "đã giải quyết (#\(by))" }
            return Entry(record: r, kind: kind, title: o?.name(in: plan), unitName: plan.name(of: r.unit),
                         later: note, standing: r.action != .undo && (note == nil || r.id.map { resolvedBy[$0] != nil } == true),
                         day: r.doneOn ?? Vietnamese.localDay(r.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds),
                         fulfils: (r.id.flatMap { fulfils[$0] } ?? []).sorted { $0.id < $1.id })
        }
    }

    /// The entries a filter lets through, oldest first.
    public func entries(_ filter: Filter) -> [Entry] {
        let units: Set<String>? = filter.unit.map { id in Set([id] + (plan.unit(named: id)?.members.map(\.id.rawValue) ?? [])) }
        return entries.filter { e in
            (units.map { $0.contains(e.record.unit.rawValue) } ?? true)
                && (filter.year.map { e.day.year == $0 } ?? true)
                && (filter.kinds.map { $0.contains(e.record.action) } ?? true)
                && (filter.occurrence.map { e.record.occurrenceID?.rawValue == $0 } ?? true)
        }
    }

    /// Free text on one line: a line break in a note must not look like another record.
    public static func oneLine(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ⏎ ")
    }

    /// One entry as a line of text (`plancal history`).
    public func line(_ e: Entry) -> String {
        let r = e.record
        var line = "#\(r.id ?? 0) \(Vietnamese.dateTime(r.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds)) \(Self.oneLine(r.recordedBy)): \(e.kind)"
        if let occ = r.occurrenceID { line += " \(occ)" }
        line += " — \(e.unitName)"
        if let d = r.doneOn { line += ", ngày \(d.vietnamese)" }
        if let u = r.evidenceURL { line += ", minh chứng \(u)" }
        if let n = r.reached { line += ", tiếp cận \(Vietnamese.number(n)) người" }
        if let n = r.participants { line += ", \(Vietnamese.number(n)) người tham gia" }
        if !r.organisations.isEmpty { line += ", tổ chức: \(organisationNames(r))" }
        if let why = r.reason { line += ", lý do: \(Self.oneLine(why))" }
        if let note = r.note { line += ", ghi chú: \(Self.oneLine(note))" }
        if let client = r.client { line += ", qua ứng dụng: \(Self.oneLine(client))" }
        if let later = e.later { line += " [\(later)]" }
        if !e.fulfils.isEmpty { line += " → cũng hoàn thành: \(e.fulfils.map(\.id.rawValue).joined(separator: ", "))" }
        return line
    }

    /// The organisations a meeting names, by name.
    public func organisationNames(_ r: CompletionRecord) -> String {
        r.organisations.map { plan.name(of: $0) }.joined(separator: ", ")
    }

    /// Entries as CSV (UTF-8 with a byte-order mark; cells a spreadsheet would run as formulas
    /// are neutralised).
    public func csv(_ entries: [Entry]) -> String {
        var rows: [[CSVCell]] = [["so_ban_ghi", "ghi_luc", "nguoi_ghi", "loai", "ma_loai", "cong_viec", "ma_cong_viec", "don_vi",
                                  "ngay", "minh_chung", "tiep_can", "tham_gia", "to_chuc", "ly_do", "ghi_chu", "tinh_trang", "ung_dung"].map(CSVCell.text)]
        func number(_ n: Int?) -> CSVCell { n.map { .number(String($0)) } ?? .text("") }
        for e in entries {
            let r = e.record
            rows.append([
                number(r.id.map(Int.init)), .text(Vietnamese.dateTime(r.recordedAt, utcOffsetSeconds: plan.utcOffsetSeconds)),
                .text(r.recordedBy), .text(e.kind), .text(r.action.rawValue), .text(e.title ?? ""), .text(r.occurrenceID?.rawValue ?? ""),
                .text(e.unitName), .text(r.doneOn?.vietnamese ?? ""), .text(r.evidenceURL ?? ""), number(r.reached),
                number(r.participants), .text(organisationNames(r)), .text(r.reason ?? ""), .text(r.note ?? ""),
                .text(e.later ?? (e.standing ? "đang có hiệu lực" : "")), .text(r.client ?? ""),
            ])
        }
        return CSVCell.document(rows)
    }
}
