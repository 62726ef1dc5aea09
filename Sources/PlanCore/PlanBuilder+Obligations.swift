import Foundation
import ICal

/// Reading the recurring obligations (`obligations:`), expanded by libical to check their dates.
extension PlanBuilder {
    func revision(_ m: inout YAMLMap, meta: Header) throws -> (Int, UTCDateTime) {
        let number = try m.optionalInt("revision", range: 1...10_000) ?? 1
        guard let text = try m.optionalString("revised") else { return (number, meta.revised) }
        guard let t = Validation.parseTimestamp(text) else {
            throw m.error("revised", "\"\(text)\" không phải là ngày (yyyy-mm-dd) hoặc giờ UTC (yyyy-mm-ddThh:mm:ssZ)")
        }
        return (number, t)
    }

    func readObligation(_ m: inout YAMLMap, refs: References, meta: Header,
                                count: inout OccurrenceCount) throws -> Obligation {
        let id = try m.string("id")
        guard PlanBuilder.isID(id), id != "session" else {
            throw m.error("id", "\"\(id)\" không phải là mã nhiệm vụ hợp lệ (chữ thường không dấu, chữ số và '-')")
        }
        let title = try m.string("title")
        let details = try m.optionalString("details")
        let kindText = try m.string("kind")
        let kind: ObligationKind
        switch kindText {
        case "deadline":
            if m.has("days") { throw m.error("days", "hạn chót (deadline) không có độ dài; bỏ days hoặc dùng kind: span") }
            kind = .deadline
        case "span":
            guard let days = try m.optionalInt("days", range: 1...366) else {
                throw m.missing("days")
            }
            kind = .span(days: days)
        default:
            throw m.error("kind", "cần deadline hoặc span, nhưng gặp \"\(kindText)\"")
        }
        let ruleText = try m.string("rrule")
        let rule: RecurrenceRule
        do { rule = try RecurrenceRule(ruleText) } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        // Occurrences are whole days. A rule by the hour, minute or second would give the same
        // day many times, and libical searching by the second for a date that never comes (30
        // February) runs for hours.
        guard ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].contains(rule.frequency) else {
            throw m.error("rrule", "RRULE \"\(rule.text)\": plancal lập lịch theo ngày, nên FREQ phải là DAILY, WEEKLY, MONTHLY hoặc YEARLY, không phải \(rule.frequency)")
        }
        if let part = ["BYHOUR", "BYMINUTE", "BYSECOND"].first(where: rule.partNames.contains) {
            throw m.error("rrule", "RRULE \"\(rule.text)\": plancal lập lịch theo ngày, không dùng \(part)")
        }
        let dtstart = try m.date("dtstart")
        guard dtstart >= meta.start, dtstart <= meta.end else {
            throw m.error("dtstart", "\(dtstart.iso) nằm ngoài thời gian của kế hoạch \(meta.start.iso)…\(meta.end.iso)")
        }
        let first: CivilDate?
        do { first = try rule.firstDate(from: dtstart, through: meta.end) } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        guard first == dtstart else {
            let next = first.map { "; ngày đầu tiên theo quy tắc là \($0.iso)" } ?? "; quy tắc không cho ngày nào trong thời gian của kế hoạch"
            throw m.error("dtstart", "\(dtstart.iso) không khớp với quy tắc \(rule.text)\(next)")
        }
        let keyText = try m.optionalString("key")
        let key: OccurrenceKey
        if let keyText {
            guard let k = OccurrenceKey(rawValue: keyText) else {
                throw m.error("key", "cần year, quarter, month hoặc date, nhưng gặp \"\(keyText)\"")
            }
            key = k
        } else {
            key = rule.frequency == "YEARLY" ? .year : .date
        }
        let forEach = try unitList(&m, "for_each", refs: refs)
        let owner: UnitID
        if let forEach {
            if m.has("owner") { throw m.error("owner", "chỉ ghi owner hoặc for_each, không ghi cả hai") }
            guard let first = forEach.first else { throw m.error("for_each", "phải có ít nhất một đơn vị") }
            owner = first  // not used: each listed unit owns its own occurrences
        } else {
            guard m.has("owner") else { throw m.missing("owner") }
            let text = try m.string("owner")
            guard let id = refs.unit(text) else {
                throw m.error("owner", "không có đơn vị \"\(text)\" (các đơn vị: \(refs.allUnitIDs.joined(separator: ", ")))")
            }
            owner = id
        }
        // Expand no more dates than the rule's limit and what is left under the plan's cap
        // allow, plus one to tell that it is over.
        let units = forEach.map { Schedule.owners(forEach: $0, unit: { refs.byID[$0] }).count } ?? 1
        let room = max(0, PlanLoader.maxOccurrences - count.counted) / max(1, units)
        let allDates: [CivilDate]
        do {
            allDates = try rule.firstDates(min(RecurrenceRule.defaultLimit, room) + 1, from: dtstart, through: meta.end)
        } catch let e as ICalError {
            throw m.error("rrule", PlanBuilder.explain(e))
        }
        if allDates.count > RecurrenceRule.defaultLimit {
            throw m.error("rrule", PlanBuilder.explain(.tooManyOccurrences(rule: rule.text, limit: RecurrenceRule.defaultLimit)))
        }
        count.counted += allDates.count * units
        if count.counted > PlanLoader.maxOccurrences, count.firstOver == nil {
            count.firstOver = m.location("rrule")
        }
        // Occurrence ids are <obligation>/<key>: the key must tell every date apart.
        var keys: Set<String> = []
        for date in allDates {
            let last: CivilDate
            if case let .span(days) = kind { last = date.adding(days: days - 1) } else { last = date }
            let k = Schedule.key(key, first: date, last: last)
            guard keys.insert(k).inserted else {
                throw m.error(m.has("key") ? "key" : "rrule",
                              "key: \(key.rawValue) làm hai lần thực hiện có cùng mã \"\(id)/\(k)\"; hãy chọn key (year, quarter, month, date) phân biệt được chúng")
            }
        }
        let participants = try unitList(&m, "participants", refs: refs) ?? []
        // Recipients receive what the owner delivers (the closing paragraph: reports go to UBND
        // through vhxh); a unit is a participant or a recipient, not both.
        let recipients = try unitList(&m, "recipients", refs: refs) ?? []
        if let both = recipients.first(where: participants.contains) {
            throw m.error("recipients", "đơn vị \"\(both)\" vừa là đơn vị phối hợp (participants) vừa là đơn vị nhận (recipients); mỗi đơn vị chỉ có một vai trò")
        }
        if forEach == nil, recipients.contains(owner) {
            throw m.error("recipients", "đơn vị chủ trì \"\(owner)\" không thể đồng thời là đơn vị nhận")
        }
        let targets = try targetList(&m, refs: refs)
        let section = try m.string("section")
        let assumption = try m.optionalString("assumption")
        let reminders = try m.strings("reminders").map { text -> Int in
            guard let d = Int(text), (0...90).contains(d) else {
                throw m.error("reminders", "\"\(text)\" không phải là số ngày nhắc trước (0…90)")
            }
            return d
        }
        let counts = try m.strings("counts").map { text -> CountKind in
            guard let c = CountKind(rawValue: text) else {
                throw m.error("counts", "không có loại số liệu \"\(text)\" (cần \(CountKind.allCases.map(\.rawValue).joined(separator: " hoặc ")))")
            }
            return c
        }
        let rev = try revision(&m, meta: meta)
        let figures = try figureList(&m, refs: refs, owner: forEach == nil ? owner : nil)
        let fulfilledBy = try readFulfilledBy(&m, id: id, figures: figures)
        try m.rejectUnknown(allowed: ["id", "title", "details", "kind", "days", "rrule", "dtstart", "key", "owner",
                                      "for_each", "participants", "recipients", "targets", "section", "assumption", "reminders",
                                      "counts", "revision", "revised", "notes", "figures", "fulfilled_by"])
        return Obligation(id: id, title: title, details: details, kind: kind, rule: rule, dtstart: dtstart, key: key,
                          owner: owner, forEach: forEach, participants: participants, recipients: recipients,
                          terms: ObligationTerms(
                              targets: targets, section: section, assumption: assumption,
                              reminderDays: m.has("reminders") ? Array(Set(reminders)).sorted(by: >) : defaultReminders(kind),
                              counts: counts, revision: rev.0, revised: rev.1),
                          figures: figures, fulfilledBy: fulfilledBy)
    }

    /// An obligation's `figures:` (`G3.T2/victims-detected`): figures its completion collects,
    /// each declared by its target and supplied by the obligation's owner.
    func figureList(_ m: inout YAMLMap, refs: References, owner: UnitID?) throws -> [FigureRef] {
        try m.strings("figures").map { text in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw m.error("figures", "\"\(text)\" không hợp lệ (cần <chỉ tiêu>/<mã số liệu>, ví dụ G3.T2/victims-detected)")
            }
            guard let target = TargetID(rawValue: parts[0]), let declared = refs.figures[target] else {
                if !refs.targetsComplete, let target = TargetID(rawValue: parts[0]) {
                    return FigureRef(target: target, figure: parts[1])
                }
                throw m.error("figures", "không có chỉ tiêu \"\(parts[0])\"")
            }
            guard let unit = declared[parts[1]] else {
                throw m.error("figures", "chỉ tiêu \(parts[0]) không có số liệu \"\(parts[1])\" (các số liệu: \(declared.keys.sorted().joined(separator: ", ")))")
            }
            if let owner, unit != owner {
                throw m.error("figures", "số liệu \(text) do đơn vị \(unit) cung cấp, không phải đơn vị chủ trì \(owner)")
            }
            return FigureRef(target: target, figure: parts[1])
        }
    }

    func defaultReminders(_ kind: ObligationKind) -> [Int] {
        switch kind {
        case .deadline: return [7, 1]
        case .span: return [1]
        }
    }
}
