public import ICal
import Foundation

/// Figures of one target for one year, as a supplying unit recorded them (append-only: a
/// correction is a new record whose values replace the earlier ones of the same figures).
public struct FigureRecord: Sendable, Equatable {
    /// Store id; nil before it is stored.
    public var id: Int64?
    /// The plan's id.
    public var plan: String
    /// The target, e.g. `G3.T2`.
    public var target: TargetID
    /// The year the figures are for.
    public var year: Int
    /// The supplying unit.
    public var unit: UnitID
    /// Values by figure id (a count is a whole number).
    public var values: [String: Double]
    /// A link to the source (a report, a statistics sheet).
    public var evidenceURL: String?
    /// Where the figures come from, when there is no link.
    public var note: String?
    /// Who recorded them (a token's label).
    public var recordedBy: String
    /// When.
    public var recordedAt: UTCDateTime

    /// A record.
    public init(id: Int64? = nil, plan: String, target: TargetID, year: Int, unit: UnitID, values: [String: Double],
                evidenceURL: String? = nil, note: String? = nil, recordedBy: String, recordedAt: UTCDateTime) {
        self.id = id
        self.plan = plan
        self.target = target
        self.year = year
        self.unit = unit
        self.values = values
        self.evidenceURL = evidenceURL
        self.note = note
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    /// The values as stored: a JSON object with sorted keys (the same text on every engine).
    public var valuesJSON: String {
        let body = values.keys.sorted().map { key -> String in
            let v = values[key] ?? 0
            let number = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            return "\"\(key)\":\(number)"
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    /// Values read back from `valuesJSON`; nil when the text is not such an object.
    public static func values(fromJSON text: String) -> [String: Double]? {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: NSNumber] else { return nil }
        return object.mapValues(\.doubleValue)
    }
}

/// Figure records, append-only, per plan.
///
/// `append` runs `check` on the records it competes with and the insert as one atomic step
/// across processes and server instances, per (plan, target, year): two writers (say two units
/// each supplying one part of a share) can never both pass a check that only one of them would
/// pass after the other. Records are ordered by their ids ("record order"), never by their
/// times: within a (plan, target, year) an engine makes ids increase in the order of the commits.
public protocol FigureRepository: Sendable {
    /// Stores `record` unless `check` throws (what it throws comes back as it was, nothing
    /// written); returns the record with its id. `check` sees every stored record of the same
    /// plan, target and year, oldest first (by id); no record of them is stored between the
    /// check and the insert.
    func append(_ record: FigureRecord, check: @escaping @Sendable ([FigureRecord]) throws -> Void) async throws -> FigureRecord
    /// Every figure record of a plan, oldest first (by id).
    func figures(plan: String) async throws -> [FigureRecord]
}

extension FigureRepository {
    /// Stores a record without a check (tests, imports of figures checked elsewhere).
    public func append(_ record: FigureRecord) async throws -> FigureRecord {
        try await append(record) { _ in }
    }
}

/// Why figures could not be recorded. Vietnamese messages naming the field at fault.
public enum FigureError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownTarget(String, known: [String])
    case noFigures(target: String)
    case unknownFigure(String, target: String, known: [String])
    case notSupplier(figure: String, unit: String, supplier: String)
    case unknownUnit(String)
    case notAllowed(actor: String, unit: String)
    case yearOutsidePlan(Int, start: Int, end: Int)
    case negative(figure: String, value: Double)
    case notWhole(figure: String, value: Double)
    case notFinite(figure: String)
    case aboveMaximum(figure: String, value: Double, max: Double, why: MaximumSource)
    case numeratorAboveDenominator(numerator: String, value: Double, denominator: String, of: Double)
    case nothingGiven(target: String)
    case missingSource
    case invalidURL(String)

    /// The input field at fault.
    public var field: String {
        switch self {
        case .unknownTarget, .noFigures: return "target"
        case let .unknownFigure(f, _, _), let .notSupplier(f, _, _), let .negative(f, _), let .notWhole(f, _),
             let .notFinite(f), let .aboveMaximum(f, _, _, _): return f
        case let .numeratorAboveDenominator(n, _, _, _): return n
        case .unknownUnit, .notAllowed: return "unit"
        case .yearOutsidePlan: return "year"
        case .nothingGiven: return "values"
        case .missingSource, .invalidURL: return "evidence"
        }
    }

    public var description: String {
        func n(_ v: Double) -> String { IndicatorMeasure.decimal(v) }
        switch self {
        case let .unknownTarget(id, known):
            return "Không có chỉ tiêu \"\(id)\" trong kế hoạch (các chỉ tiêu: \(known.joined(separator: ", ")))"
        case let .noFigures(target):
            return "Chỉ tiêu \(target) không có số liệu do đơn vị cung cấp (được tính từ hồ sơ hoàn thành)"
        case let .unknownFigure(f, target, known):
            return "Số liệu \"\(f)\" không có trong chỉ tiêu \(target) (các số liệu: \(known.joined(separator: ", ")))"
        case let .notSupplier(f, unit, supplier):
            return "Số liệu \"\(f)\" do đơn vị \(supplier) cung cấp, không phải \(unit)"
        case let .unknownUnit(u):
            return "Không có đơn vị \"\(u)\" trong kế hoạch"
        case let .notAllowed(actor, unit):
            return "Đơn vị \(actor) không được ghi số liệu thay cho đơn vị \(unit) (chỉ đơn vị đó hoặc đơn vị chủ trì)"
        case let .yearOutsidePlan(y, start, end):
            return "Năm \(y) nằm ngoài thời gian của kế hoạch (\(start)–\(end))"
        case let .negative(f, v):
            return "Số liệu \"\(f)\" = \(n(v)) không hợp lệ: không được âm"
        case let .notWhole(f, v):
            return "Số liệu \"\(f)\" = \(n(v)) không hợp lệ: cần một số nguyên (số đếm)"
        case let .notFinite(f):
            return "Số liệu \"\(f)\" không hợp lệ: cần một số hữu hạn"
        case let .aboveMaximum(f, v, max, why):
            return "Số liệu \"\(f)\" = \(n(v)) vượt mức tối đa \(n(max)) (\(why.description))"
        case let .numeratorAboveDenominator(num, v, den, d):
            return "Số liệu \"\(num)\" = \(n(v)) lớn hơn \"\(den)\" = \(n(d)): tử số của một tỷ lệ không được vượt mẫu số"
        case let .nothingGiven(target):
            return "Chưa nhập số liệu nào cho chỉ tiêu \(target)"
        case .missingSource:
            return "Cần đường dẫn minh chứng (evidence) hoặc ghi chú (note) nêu nguồn số liệu"
        case let .invalidURL(u):
            return "Đường dẫn minh chứng \"\(u)\" không hợp lệ: cần một địa chỉ http:// hoặc https:// đầy đủ"
        }
    }
}

/// Where a figure's largest accepted value comes from.
public enum MaximumSource: Sendable, Equatable, CustomStringConvertible {
    /// The figure's `max:` in the plan file.
    case declared
    /// The plan's population (`plan.population`), when the figure declares no `max:`.
    case population
    /// Neither: the largest whole number kept exactly (2^53 − 1).
    case exact

    public var description: String {
        switch self {
        case .declared: return "max: của số liệu trong tệp kế hoạch"
        case .population: return "dân số của kế hoạch, plan.population"
        case .exact: return "số lớn nhất được ghi chính xác, 2^53 − 1"
        }
    }
}

extension TargetFigure {
    /// The largest value accepted and why: the figure's `max:`, else the plan's population,
    /// else `FigureValue.largest`.
    public func maximum(in plan: Plan) -> (value: Double, why: MaximumSource) {
        if let max { return (max, .declared) }
        if let p = plan.population { return (Double(p), .population) }
        return (FigureValue.largest, .exact)
    }

    /// Whether a value (as recorded, perhaps before these limits) can be computed with:
    /// finite, not negative, within 2^53 − 1. The indicator report shows a line built on any
    /// other value as "số liệu không hợp lệ".
    public static func usable(_ value: Double) -> Bool {
        value.isFinite && value >= 0 && value <= FigureValue.largest
    }
}

/// The latest value of every figure, per target and year: later records replace earlier ones.
/// "Later" is record order (the store's ids), never `recordedAt`: a time has one-second
/// resolution and a clock can go back, so two records of the same second would otherwise be
/// folded in either order.
public struct FigureLedger: Sendable {
    private var latest: [String: Double] = [:]

    /// The ledger of a plan's records: by id, a record without one (not stored yet) after every
    /// stored record, records without ids in the order given.
    public init(_ records: [FigureRecord]) {
        let ordered = records.enumerated().sorted { a, b in
            (a.element.id ?? .max, a.offset) < (b.element.id ?? .max, b.offset)
        }
        for (_, r) in ordered {
            for (k, v) in r.values { latest[Self.key(r.target, r.year, k)] = v }
        }
    }

    static func key(_ target: TargetID, _ year: Int, _ figure: String) -> String { "\(target)|\(year)|\(figure)" }

    /// The value of a figure of a target for a year, if recorded.
    public func value(_ target: TargetID, year: Int, figure: String) -> Double? {
        latest[Self.key(target, year, figure)]
    }
}

/// Checks figures before they are stored: declared, supplied by that unit, written by that
/// unit or the lead, finite, never negative, whole counts, within the figure's maximum, a
/// share's numerator not above its denominator.
public enum FigureValidator {
    /// The record to store, or the first problem found. `existing`: the plan's figure records
    /// (at least those of the record's target and year), in record order; to be atomic with the
    /// insert, call it from `FigureRepository.append`'s check (see `FigureValidator.append`).
    public static func validate(_ record: FigureRecord, actor: UnitID, plan: Plan,
                                existing: [FigureRecord]) throws -> FigureRecord {
        guard let target = plan.target(record.target) else {
            throw FigureError.unknownTarget(record.target.rawValue, known: knownTargets(plan))
        }
        guard !target.figures.isEmpty else { throw FigureError.noFigures(target: target.id.rawValue) }
        guard plan.unit(record.unit) != nil else { throw FigureError.unknownUnit(record.unit.rawValue) }
        guard actor == record.unit || actor == plan.leadUnit?.id else {
            throw FigureError.notAllowed(actor: actor.rawValue, unit: record.unit.rawValue)
        }
        guard plan.years.contains(record.year) else {
            throw FigureError.yearOutsidePlan(record.year, start: plan.start.year, end: plan.end.year)
        }
        guard !record.values.isEmpty else { throw FigureError.nothingGiven(target: target.id.rawValue) }
        for key in record.values.keys.sorted() {
            let value = record.values[key] ?? 0
            guard let figure = target.figure(key) else {
                throw FigureError.unknownFigure(key, target: target.id.rawValue, known: target.figures.map(\.id))
            }
            guard figure.unit == record.unit else {
                throw FigureError.notSupplier(figure: key, unit: record.unit.rawValue, supplier: figure.unit.rawValue)
            }
            guard value.isFinite else { throw FigureError.notFinite(figure: key) }
            guard value >= 0 else { throw FigureError.negative(figure: key, value: value) }
            if figure.kind == .count, value != value.rounded() { throw FigureError.notWhole(figure: key, value: value) }
            let (max, why) = figure.maximum(in: plan)
            guard value <= max else { throw FigureError.aboveMaximum(figure: key, value: value, max: max, why: why) }
        }
        if let url = record.evidenceURL, !Validation.isHTTPURL(url) { throw FigureError.invalidURL(url) }
        if record.evidenceURL == nil, (record.note ?? "").isEmpty { throw FigureError.missingSource }
        // A share cannot have more in its numerator than its denominator, with the values
        // already recorded for the year (the other figure may come from another unit).
        let ledger = FigureLedger(existing.filter { $0.plan == record.plan } + [record])
        for indicator in target.indicators where indicator.measure == .share {
            guard case let .figures(num, den) = indicator.source, record.values[num] != nil || record.values[den] != nil,
                  let n = ledger.value(target.id, year: record.year, figure: num),
                  let d = ledger.value(target.id, year: record.year, figure: den), n > d else { continue }
            throw FigureError.numeratorAboveDenominator(numerator: num, value: n, denominator: den, of: d)
        }
        return record
    }

    /// The target a request or a command line names (`text`), or `unknownTarget` listing the
    /// targets that take figures.
    public static func target(_ text: String, in plan: Plan) throws -> TargetID {
        guard let id = TargetID(rawValue: text), plan.target(id) != nil else {
            throw FigureError.unknownTarget(text, known: knownTargets(plan))
        }
        return id
    }

    /// The unit a request or a command line names (`text`), or `unknownUnit`.
    public static func unit(_ text: String, in plan: Plan) throws -> UnitID {
        guard let unit = plan.unit(named: text) else { throw FigureError.unknownUnit(text) }
        return unit.id
    }

    static func knownTargets(_ plan: Plan) -> [String] {
        plan.targets.filter { !$0.figures.isEmpty }.map(\.id.rawValue)
    }

    /// Checks `record` and stores it, the check under the store's lock for its plan, target and
    /// year (the share check then sees every part another unit stored before, whatever the timing).
    public static func append(_ record: FigureRecord, actor: UnitID, plan: Plan,
                              to store: any FigureRepository) async throws -> FigureRecord {
        try await store.append(record) { existing in
            _ = try validate(record, actor: actor, plan: plan, existing: existing)
        }
    }
}
