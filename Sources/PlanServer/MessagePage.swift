import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed

/// A short message (errors, refusals, the list of plans).
struct MessagePage: Page {
    static let template = "message"
    struct PlanLink: Sendable {
        var name: String
        var link: String
    }
    var chrome: PageChrome
    var heading2: String
    var message: String
    var back: String
    var plans: [PlanLink] = []

    /// A page for an error status.
    static func error(status: HTTPResponse.Status, message: String) -> MessagePage {
        let heading: String
        switch status.code {
        case 404: heading = "Không tìm thấy"
        case 413: heading = "Nội dung quá lớn"
        case 503, 507: heading = "Máy chủ tạm thời không ghi được"
        case 400..<500: heading = "Yêu cầu không hợp lệ"
        default: heading = "Lỗi máy chủ"
        }
        return MessagePage(chrome: .plain(title: heading), heading2: heading, message: message, back: "/")
    }
}
