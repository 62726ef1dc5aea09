import Foundation
import ICal

/// Reading section V's units (`units:`) and the unit lists of obligations and sessions.
extension PlanBuilder {
    func readUnit(_ m: inout YAMLMap, parent: PlanUnit?, places: inout [UnitPlace]) throws -> PlanUnit {
        let text = try m.string("id")
        places.append(UnitPlace(id: text, line: m.line, path: m.path))
        guard let id = UnitID(rawValue: text), text != "all" else {
            throw m.error("id", "\"\(text)\" không phải là mã đơn vị hợp lệ (chữ thường không dấu, chữ số và '-'; không được là \"all\")")
        }
        // Feeds are <unit>.ics and <unit>-tasks.ics: "x-tasks" would collide with x's task feed.
        guard !text.hasSuffix("-tasks") else {
            throw m.error("id", "mã đơn vị \"\(text)\" không được kết thúc bằng \"-tasks\" (trùng tên với lịch công việc của đơn vị \"\(text.dropLast(6))\")")
        }
        let name = try m.string("name")
        let roleText = try m.optionalString("role") ?? "member"
        guard let role = PlanUnit.Role(rawValue: roleText), parent == nil || role == .member else {
            throw m.error("role", "cần lead hoặc member, nhưng gặp \"\(roleText)\"")
        }
        let section = try m.optionalString("section") ?? parent?.section
        let isOrganisation = try m.bool("organisation", default: parent?.isOrganisation ?? true)
        let assumption = try m.optionalString("assumption")
        // V.6 "Đề nghị …": the plan requests the Front and the unions; members share their collective's relation.
        let relationText = try m.optionalString("relation")
        var relation = parent?.relation ?? .assigned
        if let relationText {
            guard let r = PlanUnit.Relation(rawValue: relationText) else {
                throw m.error("relation", "cần assigned (được giao nhiệm vụ) hoặc requested (được đề nghị), nhưng gặp \"\(relationText)\"")
            }
            relation = r
        }
        if relation == .requested && role == .lead {
            throw m.error("relation", "đơn vị chủ trì (role: lead) không thể là đơn vị được đề nghị (relation: requested)")
        }
        var unit = PlanUnit(id: id, name: name, role: role, section: section, isOrganisation: isOrganisation,
                            parentID: parent?.id, members: [], assumption: assumption, relation: relation,
                            reportForm: try readReportForm(&m))
        if parent == nil {
            for var mm in try m.maps("members") { unit.members.append(try readUnit(&mm, parent: unit, places: &places)) }
        }
        try m.rejectUnknown(allowed: parent == nil
            ? ["id", "name", "role", "section", "organisation", "assumption", "relation", "members", "notes",
               "report_number_suffix", "report_recipients"]
            : ["id", "name", "role", "section", "organisation", "assumption", "relation", "notes",
               "report_number_suffix", "report_recipients"])
        return unit
    }

    func unitList(_ m: inout YAMLMap, _ key: String, refs: References) throws -> [UnitID]? {
        guard m.has(key) else { return nil }
        let ids = try m.strings(key)
        // A malformed id was reported where its unit is declared; "all" leaves it out.
        if ids == ["all"] { return refs.allUnitIDs.compactMap(UnitID.init(rawValue:)) }
        return try ids.map { text in
            guard let id = refs.unit(text) else {
                throw m.error(key, "không có đơn vị \"\(text)\" (các đơn vị: \(refs.allUnitIDs.joined(separator: ", ")), hoặc all)")
            }
            return id
        }
    }
}
