public import ICal
import Foundation

/// An indicator's baseline (its value in one year) as the plan's lead unit recorded it:
/// append-only, and the latest record of an indicator (by record order) replaces the plan
/// file's `baseline:` for it, so the indicator is judged against its path.
public struct BaselineRecord: Sendable, Equatable {
    /// Store id; nil before it is stored.
    public var id: Int64?
    /// The plan's id.
    public var plan: String
    /// The target, e.g. `G6.T1`.
    public var target: TargetID
    /// The indicator's id within the target.
    public var indicator: String
    /// The year the value is for.
    public var year: Int
    /// The value, in the indicator's measure (percent for a share).
    public var value: Double
    /// A link to the source.
    public var evidenceURL: String?
    /// Where the value comes from, when there is no link.
    public var note: String?
    /// Who recorded it (a token's label, or the CLI's user).
    public var recordedBy: String
    /// When.
    public var recordedAt: UTCDateTime

    /// A record.
    public init(id: Int64? = nil, plan: String, target: TargetID, indicator: String, year: Int, value: Double,
                evidenceURL: String? = nil, note: String? = nil, recordedBy: String, recordedAt: UTCDateTime) {
        self.id = id
        self.plan = plan
        self.target = target
        self.indicator = indicator
        self.year = year
        self.value = value
        self.evidenceURL = evidenceURL
        self.note = note
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    /// The baseline it gives.
    public var baseline: IndicatorBaseline { IndicatorBaseline(year: year, value: value) }

    /// The latest record of each indicator, keyed `target|indicator`: later records replace
    /// earlier ones by record order (ids; a record without one after every stored record, in
    /// the order given), never by `recordedAt`.
    public static func latest(_ records: [BaselineRecord]) -> [String: BaselineRecord] {
        let ordered = records.enumerated().sorted { a, b in
            (a.element.id ?? .max, a.offset) < (b.element.id ?? .max, b.offset)
        }
        var out: [String: BaselineRecord] = [:]
        for (_, r) in ordered { out[key(r.target, r.indicator)] = r }
        return out
    }

    static func key(_ target: TargetID, _ indicator: String) -> String { "\(target)|\(indicator)" }
}

/// Baseline records, append-only, per plan. Records are ordered by their ids (record order).
public protocol BaselineRepository: Sendable {
    /// Stores `record`; returns it with its id.
    func append(_ record: BaselineRecord) async throws -> BaselineRecord
    /// Every baseline record of a plan, oldest first (by id).
    func baselines(plan: String) async throws -> [BaselineRecord]
}

/// Why a baseline could not be recorded. Vietnamese messages naming the field at fault.
public enum BaselineError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownTarget(String, known: [String])
    case unknownIndicator(String, target: String, known: [String])
    case notLead(actor: String, lead: String?)
    case yearOutsidePlan(Int, start: Int, end: Int)
    case yearInFuture(Int, current: Int)
    case notFinite
    case negative(Double)
    case shareAbove100(Double)
    case tooLarge(Double)
    case noPath(indicator: String, why: String)
    case missingSource
    case invalidURL(String)

    /// The input field at fault.
    public var field: String {
        switch self {
        case .unknownTarget: return "target"
        case .unknownIndicator, .noPath: return "indicator"
        case .notLead: return "unit"
        case .yearOutsidePlan, .yearInFuture: return "year"
        case .notFinite, .negative, .shareAbove100, .tooLarge: return "value"
        case .missingSource, .invalidURL: return "evidence"
        }
    }

    public var description: String {
        func n(_ v: Double) -> String { IndicatorMeasure.decimal(v) }
        switch self {
        case let .unknownTarget(id, known):
            return FigureError.unknownTarget(id, known: known).description
        case let .unknownIndicator(id, target, known):
            return "Chỉ tiêu \(target) không có chỉ số \"\(id)\" (các chỉ số: \(known.joined(separator: ", ")))"
        case let .notLead(actor, lead):
            return "Chỉ đơn vị chủ trì\(lead.map { " (\($0))" } ?? "") được ghi số liệu ban đầu, không phải đơn vị \(actor)"
        case let .yearOutsidePlan(y, start, end):
            return "Năm của số liệu ban đầu \(y) nằm ngoài thời gian của kế hoạch (\(start)–\(end))"
        case let .yearInFuture(y, current):
            return "Năm của số liệu ban đầu \(y) sau năm hiện tại (\(current))"
        case .notFinite:
            return "Giá trị số liệu ban đầu không hợp lệ: cần một số hữu hạn"
        case let .negative(v):
            return "Giá trị số liệu ban đầu \(n(v)) không hợp lệ: không được âm"
        case let .shareAbove100(v):
            return "Giá trị số liệu ban đầu \(n(v))% không hợp lệ: một tỷ lệ phần trăm không vượt quá 100"
        case let .tooLarge(v):
            return "Giá trị số liệu ban đầu \(n(v)) vượt quá giới hạn tính toán"
        case let .noPath(indicator, why):
            return "Chỉ số \(indicator) không có lộ trình (\(why)): không ghi số liệu ban đầu cho chỉ số này"
        case .missingSource:
            return "Cần đường dẫn minh chứng (evidence) hoặc ghi chú (note) nêu nguồn số liệu ban đầu"
        case let .invalidURL(u):
            return FigureError.invalidURL(u).description
        }
    }
}

/// Checks a baseline before it is stored: the target and indicator exist and have a path, the
/// actor is the lead unit, the year is within the plan and not after the current year, the
/// value is a finite non-negative number (a share at most 100), and a source is given.
public enum BaselineValidator {
    /// The target a request or a command line names (`text`), or `unknownTarget` listing the
    /// targets with indicators.
    public static func target(_ text: String, in plan: Plan) throws -> TargetID {
        guard let id = TargetID(rawValue: text), plan.target(id) != nil else {
            throw BaselineError.unknownTarget(text, known: knownTargets(plan))
        }
        return id
    }

    static func knownTargets(_ plan: Plan) -> [String] {
        plan.targets.filter { !$0.indicators.isEmpty }.map(\.id.rawValue)
    }

    /// The record to store, or the first problem found. `today`: the current day (the year
    /// must not be after it).
    public static func validate(_ record: BaselineRecord, actor: UnitID, plan: Plan, today: CivilDate) throws -> BaselineRecord {
        guard let target = plan.target(record.target) else {
            throw BaselineError.unknownTarget(record.target.rawValue, known: knownTargets(plan))
        }
        guard let indicator = target.indicators.first(where: { $0.id == record.indicator }) else {
            throw BaselineError.unknownIndicator(record.indicator, target: target.id.rawValue, known: target.indicators.map(\.id))
        }
        guard actor == plan.leadUnit?.id else { throw BaselineError.notLead(actor: actor.rawValue, lead: plan.leadUnit?.id.rawValue) }
        if indicator.direction == .within {
            throw BaselineError.noPath(indicator: "\(target.id)/\(indicator.id)",
                                       why: "mục tiêu là một khoảng, áp dụng mọi năm")
        }
        if indicator.byYear == nil {
            throw BaselineError.noPath(indicator: "\(target.id)/\(indicator.id)", why: "mục tiêu áp dụng mọi năm, không có năm đích")
        }
        guard plan.years.contains(record.year) else {
            throw BaselineError.yearOutsidePlan(record.year, start: plan.start.year, end: plan.end.year)
        }
        guard record.year <= today.year else { throw BaselineError.yearInFuture(record.year, current: today.year) }
        guard record.value.isFinite else { throw BaselineError.notFinite }
        guard record.value >= 0 else { throw BaselineError.negative(record.value) }
        if indicator.measure == .share, record.value > 100 { throw BaselineError.shareAbove100(record.value) }
        guard record.value < IndicatorReport.largestValue else { throw BaselineError.tooLarge(record.value) }
        if let url = record.evidenceURL, !Validation.isHTTPURL(url) { throw BaselineError.invalidURL(url) }
        if record.evidenceURL == nil, (record.note ?? "").isEmpty { throw BaselineError.missingSource }
        return record
    }

    /// Checks `record` and stores it.
    public static func append(_ record: BaselineRecord, actor: UnitID, plan: Plan, today: CivilDate,
                              to store: any BaselineRepository) async throws -> BaselineRecord {
        try await store.append(validate(record, actor: actor, plan: plan, today: today))
    }
}
