public import ICal

/// Why a completion could not be recorded. Messages are in Vietnamese (they reach
/// ward officials as they are); `field` names the input at fault.
public enum CompletionError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOccurrence(String, suggestions: [String])
    case unknownUnit(String, known: [String])
    case notInvolved(unit: String, occurrence: String, allowed: [String])
    case dateOutsidePlan(CivilDate, start: CivilDate, end: CivilDate)
    case dateInFuture(CivilDate, today: CivilDate)
    case invalidURL(String)
    case invalidCount(field: String, value: Int, max: Int)
    case notDone(occurrence: OccurrenceID, unit: UnitID, doneBy: [UnitID] = [])
    case missing(field: String)
    case tooLong(field: String, max: Int)
    case unknownOrganisation(String)
    case notAllowed(String)
    case countNotRecorded(field: String, occurrence: String)
    case beforeOpening(CivilDate, opens: CivilDate, occurrence: String)
    case unknownRecord(Int64)
    case isWithdrawal(Int64)
    case notAdHoc(Int64, occurrence: OccurrenceID)
    case alreadyWithdrawn(Int64)
    case countNotForKind(field: String, kind: String)
    case controlCharacters(field: String)
    case missingEvidence(occurrence: String?)
    case alreadyWaived(occurrence: String)
    case waiveDone(occurrence: String)
    case nothingChanged(Int64)
    /// The unit already has a record of that day counting residents reached: the writer must say
    /// whether this is the same event (counted once) or another one.
    case sameDayReach(earlier: Int64, reached: Int, day: CivilDate)
    /// Only an obstacle is resolved.
    case notObstacle(Int64)
    /// The obstacle is resolved already (its resolution's id).
    case alreadyResolved(Int64, by: Int64)
    /// A resolution is withdrawn, not corrected.
    case notCorrectable(Int64)

    /// The input field at fault, for API errors.
    public var field: String? {
        switch self {
        case .unknownOccurrence: return "occurrence"
        case .unknownUnit, .notInvolved: return "unit"
        case .dateOutsidePlan, .dateInFuture: return "on"
        case .invalidURL: return "evidence"
        case let .invalidCount(field, _, _): return field
        case .notDone: return "occurrence"
        case let .missing(field), let .tooLong(field, _): return field
        case .unknownOrganisation: return "organisations"
        case .notAllowed: return nil
        case let .countNotRecorded(field, _): return field
        case .beforeOpening: return "on"
        case .unknownRecord, .notAdHoc, .alreadyWithdrawn, .isWithdrawal: return "record"
        case let .countNotForKind(field, _): return field
        case let .controlCharacters(field): return field
        case .missingEvidence: return "evidence"
        case .alreadyWaived, .waiveDone: return "occurrence"
        case .nothingChanged: return "record"
        case .sameDayReach: return "sameDayReach"
        case .notObstacle, .alreadyResolved, .notCorrectable: return "record"
        }
    }

    /// A field's name for a person, in Vietnamese (the API names the field itself in `field`).
    public static func label(_ field: String) -> String {
        let names = ["reached": "Số người dân được tiếp cận", "participants": "Số người tham gia",
                     "evidence": "Đường dẫn minh chứng", "note": "Ghi chú", "reason": "Lý do",
                     "by": "Người ghi nhận", "organisations": "Các tổ chức được phổ biến", "on": "Ngày",
                     "occurrence": "Công việc", "unit": "Đơn vị", "record": "Bản ghi"]
        return names[field] ?? field
    }

    public var description: String {
        switch self {
        case let .unknownOccurrence(id, suggestions):
            let hint = suggestions.isEmpty ? "" : " Có phải bạn muốn: \(suggestions.joined(separator: ", "))?"
            return "Không có công việc \"\(id)\" trong kế hoạch.\(hint)"
        case let .unknownUnit(id, known):
            return "Không có đơn vị \"\(id)\" trong kế hoạch. Các đơn vị: \(known.joined(separator: ", "))"
        case let .notInvolved(unit, occurrence, allowed):
            return "Đơn vị \"\(unit)\" không chủ trì, không phối hợp thực hiện \"\(occurrence)\" (các đơn vị được ghi nhận: \(allowed.joined(separator: ", ")))"
        case let .dateOutsidePlan(d, start, end):
            return "Ngày \(d.vietnamese) nằm ngoài thời gian của kế hoạch (\(start.vietnamese) – \(end.vietnamese))"
        case let .dateInFuture(d, today):
            return "Ngày \(d.vietnamese) chưa đến (hôm nay là \(today.vietnamese)); chỉ ghi nhận việc đã làm"
        case let .invalidURL(u):
            return "Đường dẫn minh chứng \"\(u)\" không hợp lệ: cần một địa chỉ http:// hoặc https:// đầy đủ"
        case let .invalidCount(field, value, max):
            return "\(CompletionError.label(field)) = \(value) không hợp lệ: cần một số từ 0 đến \(Vietnamese.number(max))"
        case let .notDone(occurrence, unit, doneBy) where !doneBy.isEmpty:
            return "\"\(occurrence)\" không có ghi nhận nào của đơn vị \"\(unit)\" để hủy; việc này được ghi nhận bởi: \(doneBy.map(\.rawValue).joined(separator: ", ")) (hủy bằng --unit \(doneBy[0]))"
        case let .notDone(occurrence, unit, _):
            return "\"\(occurrence)\" chưa được đơn vị \"\(unit)\" ghi nhận hoàn thành, không có gì để hủy"
        case let .missing(field):
            return "Thiếu thông tin bắt buộc: \(CompletionError.label(field))"
        case let .tooLong(field, max):
            return "\(CompletionError.label(field)) quá dài (tối đa \(max) ký tự)"
        case let .unknownOrganisation(id):
            return "\"\(id)\" không phải là một tổ chức được tính cho chỉ tiêu phổ biến thông tin theo kế hoạch"
        case let .notAllowed(why):
            return why
        case let .beforeOpening(day, opens, occurrence):
            return "Ngày \(day.vietnamese) trước khi việc \"\(occurrence)\" bắt đầu (từ \(opens.vietnamese)): việc làm trước đó không được tính cho kỳ này"
        case let .unknownRecord(id):
            return "Không có bản ghi số \(id) trong kế hoạch (xem lịch sử ghi nhận)"
        case let .isWithdrawal(id):
            return "Bản ghi số \(id) là một lần hủy; lần hủy không hủy được (hãy ghi nhận lại nếu cần)"
        case let .notAdHoc(id, occurrence):
            return "Bản ghi số \(id) là ghi nhận của công việc \"\(occurrence)\": hãy hủy bằng mã việc và đơn vị (plancal undo \(occurrence) --unit …)"
        case let .alreadyWithdrawn(id):
            return "Bản ghi số \(id) đã được hủy trước đó"
        case let .controlCharacters(field):
            return "\(CompletionError.label(field)) có ký tự điều khiển (không in được); hãy xóa các ký tự đó rồi gửi lại"
        case let .countNotForKind(field, kind):
            return "\(CompletionError.label(field)) không dùng cho \(kind)"
        case let .missingEvidence(occurrence):
            let what = occurrence.map { "\"\($0)\"" } ?? "tin, bài"
            return "Cần minh chứng cho \(what): đường dẫn bài đã đăng, hoặc ghi chú nơi và ngày đưa tin nếu tin không có đường dẫn (ví dụ phát trên loa truyền thanh)"
        case let .countNotRecorded(field, occurrence):
            let what = field == "reached" ? "số người dân được tiếp cận"
                : field == "organisations" ? "các tổ chức được phổ biến" : "số người tham gia"
            return "Công việc \"\(occurrence)\" không ghi \(what) (kế hoạch không khai báo số này cho việc này)"
        case let .alreadyWaived(occurrence):
            return "\"\(occurrence)\" đã được xác định là không áp dụng"
        case let .waiveDone(occurrence):
            return "\"\(occurrence)\" đã được ghi nhận hoàn thành; hãy hủy ghi nhận trước nếu việc này không áp dụng"
        case let .nothingChanged(id):
            return "Bản sửa giống hệt bản ghi số \(id): không có gì thay đổi"
        case let .notObstacle(id):
            return "Bản ghi số \(id) không phải là một vướng mắc: chỉ vướng mắc mới được đánh dấu đã giải quyết"
        case let .notCorrectable(id):
            return "Bản ghi số \(id) là một lần giải quyết vướng mắc: không sửa được; hãy hủy bản ghi đó rồi ghi lại"
        case let .alreadyResolved(id, by):
            return "Vướng mắc số \(id) đã được đánh dấu giải quyết (bản ghi số \(by)); hủy bản ghi đó trước nếu cần ghi lại"
        case let .sameDayReach(earlier, reached, day):
            return "Ngày \(day.vietnamese) đơn vị đã có bản ghi số \(earlier) ghi \(Vietnamese.number(reached)) người dân được tiếp cận. Nếu đây là cùng một sự kiện, chọn \"cùng sự kiện\" (same-event) để số người chỉ tính một lần; nếu là một sự kiện khác, chọn \"sự kiện khác\" (separate-event)"
        }
    }
}

/// Nearest-id suggestions for a mistyped occurrence id.
enum Suggest {
    /// Ranked by edit distance, then by the longer shared prefix, then by how close the first
    /// differing characters are (so `…-Q5` suggests `…-Q4` before `…-Q1`).
    static func nearest(_ id: String, in ids: [String], count: Int = 3) -> [String] {
        let typed = Array(id)
        let limit = max(3, id.count / 3)
        func rank(_ candidate: String) -> (Int, Int, Int, String) {
            let c = Array(candidate)
            var prefix = 0
            while prefix < min(c.count, typed.count) && c[prefix] == typed[prefix] { prefix += 1 }
            var gap = Int.max / 2
            if prefix < c.count, prefix < typed.count, let a = c[prefix].unicodeScalars.first, let b = typed[prefix].unicodeScalars.first {
                gap = abs(Int(a.value) - Int(b.value))
            }
            return (distance(id, candidate), -prefix, gap, candidate)
        }
        return ids.map(rank).filter { $0.0 <= limit }.sorted { $0 < $1 }.prefix(count).map(\.3)
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
