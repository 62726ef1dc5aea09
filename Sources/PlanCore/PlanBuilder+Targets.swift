import Foundation
import ICal

/// Reading section II.2's targets (`targets:`) and the target lists of obligations and sessions.
extension PlanBuilder {
    func readTarget(_ m: inout YAMLMap, units: Set<String>, period: ClosedRange<Int>?) throws -> PlanTarget {
        let text = try m.string("id")
        guard let id = TargetID(rawValue: text) else {
            throw m.error("id", "\"\(text)\" không phải là mã chỉ tiêu (cần G<mục tiêu>.T<số>, ví dụ G6.T3)")
        }
        var t = PlanTarget(id: id, text: try m.string("text"), section: try m.string("section"),
                           short: try m.optionalString("short"))
        t.figures = try readFigures(&m, units: units)
        t.indicators = try readIndicators(&m, figures: t.figures, period: period)
        t.tracking = try readTargetTracking(&m, period: period, figures: t.figures)
        try m.rejectUnknown(allowed: ["id", "text", "section", "short", "notes", "figures", "indicators", "tracking"])
        return t
    }

    func targetList(_ m: inout YAMLMap, refs: References) throws -> [TargetID] {
        try m.strings("targets").map { text in
            guard let id = TargetID(rawValue: text), refs.targets.contains(id) else {
                throw m.error("targets", "không có chỉ tiêu \"\(text)\" (các chỉ tiêu được liệt kê ở mục targets:, ví dụ G6.T3)")
            }
            return id
        }
    }
}
