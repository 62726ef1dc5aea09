import Foundation
import ICal

/// Reading the one-off sessions (`sessions:`): a day, a time and a place.
extension PlanBuilder {
    func readSession(_ m: inout YAMLMap, refs: References, meta: Header) throws -> Session {
        let id = try m.string("id")
        guard PlanBuilder.isID(id) else {
            throw m.error("id", "\"\(id)\" không phải là mã buổi hợp lệ (chữ thường không dấu, chữ số và '-')")
        }
        let title = try m.string("title")
        let date = try m.date("date")
        guard date >= meta.start, date <= meta.end else {
            throw m.error("date", "\(date.iso) nằm ngoài thời gian của kế hoạch \(meta.start.iso)…\(meta.end.iso)")
        }
        func minutes(_ key: String) throws -> Int {
            let text = try m.string(key)
            let parts = text.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let mm = Int(parts[1]), (0...23).contains(h),
                  (0...59).contains(mm), parts[1].count == 2 else {
                throw m.error(key, "\"\(text)\" không phải là giờ trong ngày (cần hh:mm, ví dụ 08:00)")
            }
            return h * 60 + mm
        }
        let startMinutes = try minutes("start")
        let endMinutes = try minutes("end")
        guard endMinutes > startMinutes else { throw m.error("end", "buổi kết thúc trước khi bắt đầu") }
        let place = try m.optionalString("place")
        let ownerText = try m.string("owner")
        guard let owner = refs.unit(ownerText) else { throw m.error("owner", "không có đơn vị \"\(ownerText)\"") }
        let participants = try unitList(&m, "participants", refs: refs) ?? []
        let targets = try targetList(&m, refs: refs)
        let section = try m.string("section")
        let assumption = try m.optionalString("assumption")
        let rev = try revision(&m, meta: meta)
        try m.rejectUnknown(allowed: ["id", "title", "date", "start", "end", "place", "owner", "participants",
                                      "targets", "section", "assumption", "revision", "revised", "notes"])
        return Session(id: id, title: title, date: date, startMinutes: startMinutes, endMinutes: endMinutes,
                       place: place, owner: owner, participants: participants, targets: targets, section: section,
                       assumption: assumption, revision: rev.0, revised: rev.1)
    }
}
