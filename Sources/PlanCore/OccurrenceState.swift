public import ICal

/// Where an occurrence stands on a given day.
public enum OccurrenceState: String, Sendable, Codable, CaseIterable {
    case doneOnTime = "done-on-time"
    case doneLate = "done-late"
    /// In a participating unit's own view: it recorded its part (the owner has not completed it).
    case participated
    /// In a participating unit's own view: another unit's duty it takes part in, not done yet.
    case takingPart = "taking-part"
    /// The lead unit declared it not applicable, with a reason: neither due nor overdue.
    case waived
    /// Due before the plan's `tracking_from`: history, not judged.
    case beforeTracking = "before-tracking"
    case overdue
    /// A request to a unit the plan does not direct ("Đề nghị", Bạch Đằng V.6) whose day has
    /// passed with nothing recorded: visible, never an overdue duty, out of the rates.
    case requestPending = "request-pending"
    /// In a receiving unit's own view (e.g. the lead unit receiving a report): not delivered yet.
    case awaiting
    /// In a receiving unit's own view: the owner has delivered it.
    case received
    case inProgress = "in-progress"
    case dueSoon = "due-soon"
    case upcoming

    /// Vietnamese label.
    public var label: String {
        switch self {
        case .doneOnTime: return "Hoàn thành đúng hạn"
        case .doneLate: return "Hoàn thành trễ hạn"
        case .participated: return "Đã tham gia"
        case .takingPart: return "Phối hợp"
        case .waived: return "Không áp dụng"
        case .beforeTracking: return "Trước khi theo dõi"
        case .overdue: return "Quá hạn"
        case .requestPending: return "Đề nghị, chưa ghi nhận"
        case .awaiting: return "Chờ nhận"
        case .received: return "Đã nhận"
        case .inProgress: return "Đang diễn ra"
        case .dueSoon: return "Sắp đến hạn"
        case .upcoming: return "Chưa đến hạn"
        }
    }

    /// What the state means, for a legend.
    public var meaning: String {
        switch self {
        case .doneOnTime: return "đã ghi nhận hoàn thành, không muộn hơn hạn"
        case .doneLate: return "đã ghi nhận hoàn thành sau hạn"
        case .participated: return "đơn vị đã ghi nhận phần tham gia của mình"
        case .takingPart: return "nhiệm vụ của đơn vị khác mà đơn vị tham gia, chưa hoàn thành"
        case .waived: return "đơn vị chủ trì xác định không áp dụng, có lý do; không tính vào tỷ lệ"
        case .beforeTracking: return "hạn trước ngày phường bắt đầu theo dõi; không tính vào tỷ lệ"
        case .overdue: return "đã qua hạn, chưa ghi nhận hoàn thành"
        case .requestPending: return "việc kế hoạch đề nghị (không giao) Mặt trận, hội đoàn thể; đã qua thời hạn đề nghị, chưa ghi nhận; không tính là quá hạn, không tính vào tỷ lệ"
        case .awaiting: return "đơn vị là nơi nhận (ví dụ báo cáo của đơn vị khác), đơn vị nộp chưa ghi nhận hoàn thành"
        case .received: return "đơn vị nộp đã ghi nhận hoàn thành; đơn vị là nơi nhận"
        case .inProgress: return "đang trong thời gian thực hiện"
        case .dueSoon: return "hạn trong \(OccurrenceState.dueSoonDays) ngày tới"
        case .upcoming: return "chưa đến thời gian thực hiện"
        }
    }

    /// True for the states that count as done.
    public var isDone: Bool { self == .doneOnTime || self == .doneLate || self == .participated || self == .received }

    /// Days before the last day from which an open occurrence is "due soon".
    public static let dueSoonDays = 14

    /// The state of an occurrence on `today`: a span (e.g. the action month) is in progress
    /// from its first day to its last; a deadline is due soon from 14 days before it.
    /// With `unit`, in that unit's view: a participant that recorded its part has done it,
    /// another unit's duty it takes part in is participation, and what it receives is awaited or
    /// received — never its own overdue item. A request's passed day is `requestPending`.
    public static func of(_ o: Occurrence, ledger: CompletionLedger, today: CivilDate,
                          for unit: UnitID? = nil) -> OccurrenceState {
        if let unit, o.isReceived(by: unit) {
            if ledger.done(o) != nil { return .received }
            return ledger.waiver(of: o.id) != nil ? .waived : .awaiting
        }
        if let done = ledger.done(o, for: unit) {
            guard o.doneBy.contains(done.unit) else { return .participated }
            return done.doneOn <= o.last ? .doneOnTime : .doneLate
        }
        if ledger.waiver(of: o.id) != nil { return .waived }
        if let unit, !o.isDuty(of: unit) { return .takingPart }
        if !o.tracked { return .beforeTracking }
        if today > o.last { return o.requested ? .requestPending : .overdue }
        if o.first < o.last && today >= o.first { return .inProgress }
        if today >= o.first || o.last.days(until: today) >= -dueSoonDays { return .dueSoon }
        return .upcoming
    }
}
