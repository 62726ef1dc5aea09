import Hummingbird

/// Pages answer errors as Vietnamese HTML (a person is reading); the API and the feeds keep
/// their JSON errors (a program is).
struct HTMLErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let forPrograms = path.hasPrefix("/api/") || path.hasPrefix("/calendars/") || path == "/health"
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            // A message even for a path no route matches; programs get it as JSON.
            let message = error.body ?? (error.status == .notFound
                ? "Không có \(forPrograms ? "" : "trang ")\"\(path.prefix(120))\" trên máy chủ này" : error.status.reasonPhrase)
            if forPrograms { return try APIError(error.status, message).response(from: request, context: context) }
            return page(status: error.status, message: message)
        } catch let error as APIError where !forPrograms {
            return page(status: error.status, message: error.message)
        }
    }

    func page(status: HTTPResponse.Status, message: String) -> Response {
        let heading: String
        switch status.code {
        case 404: heading = "Không tìm thấy"
        case 413: heading = "Nội dung quá lớn"
        case 400..<500: heading = "Yêu cầu không hợp lệ"
        default: heading = "Lỗi máy chủ"
        }
        let context: [String: Any] = [
            // No plan, no date: the header shows only the name (absent keys, not empty strings).
            "title": heading, "heading": "plancal", "heading2": heading, "message": message, "back": "/",
        ]
        return views.render("message", context, status: status)
    }
}
