import Foundation
import ICal

/// Reading the plan file's header (`plan:`): ids, titles, the period, the time zone, the report form.
extension PlanBuilder {
    func readHeader(_ m: inout YAMLMap) throws -> Header {
        let id = try m.string("id")
        guard PlanBuilder.isID(id) else {
            throw m.error("id", "\"\(id)\" không phải là mã hợp lệ (chữ thường không dấu, chữ số và '-')")
        }
        let title = try m.string("title")
        let issuer = try m.string("issuer")
        let number = try m.optionalString("number")
        let signedBy = try m.optionalString("signed_by")
        let legalBasis = try m.strings("legal_basis")
        var period = try m.map("period")
        let start = try period.date("start")
        let end = try period.date("end")
        try period.rejectUnknown(allowed: ["start", "end"])
        guard start <= end else { throw period.error("end", "thời gian kết thúc (\(end.iso)) trước khi bắt đầu (\(start.iso))") }
        guard end.year - start.year < 50 else { throw period.error("end", "thời gian của kế hoạch tối đa 50 năm (từ \(start.year) đến \(end.year) là \(end.year - start.year + 1) năm)") }
        let tzName = try m.string("time_zone")
        let offset: Int
        do { offset = try PlanTimeZone.fixedOffset(tzName, from: start, through: end) } catch let refusal as PlanTimeZone.Refusal {
            throw m.error("time_zone", refusal.message)
        }
        let baseURL = try m.optionalString("public_base_url")
        if let baseURL, !Validation.isHTTPURL(baseURL) {
            throw m.error("public_base_url", "\"\(baseURL)\" không phải là địa chỉ http(s) hợp lệ")
        }
        let population = try m.optionalInt("population", range: 1...100_000_000)
        guard let revisedText = try m.optionalString("revised") else { throw m.missing("revised") }
        guard let revised = Validation.parseTimestamp(revisedText) else {
            throw m.error("revised", "\"\(revisedText)\" không phải là ngày (yyyy-mm-dd) hoặc giờ UTC (yyyy-mm-ddThh:mm:ssZ)")
        }
        let refresh = try m.optionalInt("refresh_hours", range: 1...168) ?? 12
        let trackingFrom = try m.optionalDate("tracking_from")
        if let trackingFrom, !(start...end).contains(trackingFrom) {
            throw m.error("tracking_from", "ngày bắt đầu theo dõi \(trackingFrom.vietnamese) nằm ngoài thời gian của kế hoạch (\(start.vietnamese) – \(end.vietnamese))")
        }
        let place = try m.optionalString("place")
        let reportsTo = try m.optionalString("reports_to")
        let reportForm = try readReportForm(&m)
        try m.rejectUnknown(allowed: ["id", "title", "issuer", "number", "signed_by", "legal_basis", "period",
                                      "time_zone", "public_base_url", "population", "revised", "refresh_hours",
                                      "tracking_from", "place", "reports_to", "report_number_suffix", "report_recipients", "notes"])
        return Header(id: id, title: title, issuer: issuer, number: number, signedBy: signedBy, baseURL: baseURL,
                      place: place, reportsTo: reportsTo, reportForm: reportForm,
                      legalBasis: legalBasis, start: start, end: end, timeZone: tzName,
                      offset: offset, population: population, revised: revised,
                      refreshHours: refresh, trackingFrom: trackingFrom)
    }
}
