public import ICal

// The parts of the annual reports written out in sentences from the records, so that what an
// official signs needs no rewriting: each activity with its day, organiser, reach, participants
// and link; what each unit reported; the proposals in the units' reports; next year's tasks.

extension UnitAnnualReport {
    /// One sentence per activity of the year (news items, meetings, trainings, campaigns held),
    /// recorded ad hoc or on the unit's own items, in date order.
    public func activitySentences() -> [(day: CivilDate, text: String)] {
        var out: [(CivilDate, String)] = []
        for a in activities {
            var text = "Ngày \(a.day.vietnamese), \(unitName) "
            switch a.kind {
            case .news: text += "đăng tin, bài"
            case .meeting: text += "tổ chức buổi tuyên truyền, phổ biến"
            case .training: text += "tổ chức buổi tập huấn"
            default: text += a.kind.label
            }
            out.append((a.day, text + Self.details(reached: a.reached, participants: a.participants,
                                                     organisations: a.organisations, note: a.note, link: a.evidence)))
        }
        for c in completions where c.isOwn && c.isActivity {
            let when = c.starts < c.due ? "Từ ngày \(c.starts.vietnamese) đến ngày \(c.due.vietnamese)" : "Ngày \(c.doneOn.vietnamese)"
            let title = c.title.prefix(1).lowercased() + c.title.dropFirst()
            var text = c.isNews ? "\(when), \(unitName) đăng tin, bài (\(c.title))" : "\(when), \(unitName) thực hiện \(title)"
            if c.starts < c.due { text += " (ghi nhận hoàn thành ngày \(c.doneOn.vietnamese))" }
            out.append((c.doneOn, text + Self.details(reached: c.reached, participants: c.participants,
                                                       organisations: c.organisations, note: c.note, link: c.evidence)))
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    /// `, tiếp cận 1.250 người, 65 người tham gia; phổ biến cho 7 tổ chức (…); minh chứng: https://….`
    static func details(reached: Int?, participants: Int?, organisations: [String], note: String?, link: String?) -> String {
        var parts: [String] = []
        if let n = reached { parts.append("tiếp cận \(Vietnamese.number(n)) người") }
        if let n = participants { parts.append("\(Vietnamese.number(n)) người tham gia") }
        var text = parts.isEmpty ? "" : ", " + parts.joined(separator: ", ")
        if !organisations.isEmpty {
            text += "; phổ biến cho \(organisations.count) tổ chức (\(organisations.joined(separator: ", ")))"
        }
        if let note, !note.isEmpty { text += "; \(CompletionHistory.oneLine(note))" }
        if let link { text += "; minh chứng: \(link)" }
        return text + "."
    }
}

extension WardAnnualReport {
    /// Every unit's activities of the year, in date order (section I of the ward's report).
    public var activitySentences: [String] {
        units.flatMap { $0.activitySentences() }.sorted { ($0.day, $0.text) < ($1.day, $1.text) }.map(\.text)
    }

    /// The year's annual reports received, with their completions, in schedule order.
    func reportsReceived(plan: Plan, ledger: CompletionLedger,
                         occurrences: [Occurrence]) -> [(report: Occurrence, done: CompletionLedger.Completion)] {
        guard let obligation = plan.tracking.annualReport else { return [] }
        return occurrences.filter { $0.obligationID == obligation && $0.last.year == year }.compactMap { o in
            ledger.done(o).map { (o, $0) }
        }
    }

    /// What each unit reported: its annual report's day and note, for those received.
    public func reportedSentences(plan: Plan, ledger: CompletionLedger, occurrences: [Occurrence]) -> [String] {
        reportsReceived(plan: plan, ledger: ledger, occurrences: occurrences).map { o, done in
            let name = plan.name(of: o.owner)
            var text = "\(name) gửi báo cáo ngày \(done.doneOn.vietnamese)"
            if let note = done.record.note, !note.isEmpty { text += ": \(CompletionHistory.oneLine(note))" }
            if let link = done.record.evidenceURL { text += " (\(link))" }
            return text + "."
        }
    }

    /// The proposals the units wrote in their annual reports (the report's note, where it says
    /// "kiến nghị" or "đề xuất"), one line each.
    public func proposals(plan: Plan, ledger: CompletionLedger, occurrences: [Occurrence]) -> [String] {
        reportsReceived(plan: plan, ledger: ledger, occurrences: occurrences).compactMap { o, done in
            guard let note = done.record.note, Self.isProposal(note) else { return nil }
            return "\(plan.name(of: o.owner)): \(CompletionHistory.oneLine(note))"
        }
    }

    static func isProposal(_ note: String) -> Bool {
        let lower = note.lowercased()
        return lower.contains("kiến nghị") || lower.contains("đề xuất") || lower.contains("đề nghị")
    }
}

extension ReportDocument {
    /// Next year's tasks from the plan's occurrences of that year, for the units given (nil:
    /// every unit): one line per obligation with its units (in the plan's order) and its days;
    /// one per session.
    static func nextYearTasks(plan: Plan, occurrences: [Occurrence], year: Int, units: Set<UnitID>?) -> [String] {
        let order = Dictionary(plan.allUnits.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var groups: [(key: String, items: [Occurrence])] = []
        var index: [String: Int] = [:]
        for o in occurrences where o.last.year == year {
            if let units, !units.contains(o.owner), !o.participants.contains(where: units.contains) { continue }
            let key = o.obligationID == "session" ? o.id.rawValue : o.obligationID
            if let i = index[key] { groups[i].items.append(o) } else { index[key] = groups.count; groups.append((key, [o])) }
        }
        return groups.map { group in
            let first = group.items[0]
            let owners = Array(Set(group.items.map(\.owner))).sorted { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) }
            let names = owners.map { plan.name(of: $0) }.joined(separator: "; ")
            // The schedule's order is the days' order; each day (or span) once.
            var spans: [String] = []
            for o in group.items {
                let text = o.first < o.last ? "từ \(o.first.vietnamese) đến \(o.last.vietnamese)" : o.last.vietnamese
                if !spans.contains(text) { spans.append(text) }
            }
            let when = first.minutes != nil ? "ngày \(spans.joined(separator: ", "))"
                : first.first < first.last ? spans.joined(separator: "; ") : "hạn \(spans.joined(separator: ", "))"
            return "\(first.title): \(names) — \(when)"
        }
    }
}
