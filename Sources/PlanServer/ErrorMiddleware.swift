import Hummingbird
import Logging
import PlanAPI
import PlanCore

/// Every error becomes an answer in one place: domain and storage errors get their HTTP
/// status; programs (the API, the feeds) get JSON, people get a Vietnamese page.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let views: Views
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let forPrograms = path.hasPrefix("/api/") || path.hasPrefix("/calendars/") || path.hasPrefix("/dav") || path == "/health" || path == "/ready"
        let error: APIError
        do {
            return try await next(request, context)
        } catch let e as APIError {
            error = e
        } catch let e as CompletionError {
            error = APIError(e)
        } catch let e as FigureError {
            error = APIError(e)
        } catch let e as BaselineError {
            error = APIError(e)
        } catch let e as APIBodyError {
            error = APIError(.badRequest, e.message, field: e.field)
        } catch let e as StorageError {
            // The operator must see this whatever the log level; the client a clear 503/507.
            logger.error("storage failure", metadata: ["error": "\(e)", "path": "\(path)"])
            error = APIError(e)
        } catch let e as HTTPError {
            if e.status.code >= 500 {
                logger.error("server error", metadata: ["error": "\(e)", "path": "\(path)", "method": "\(request.method.rawValue)"])
            }
            // A message even for a path no route matches.
            error = APIError(e.status, e.body ?? (e.status == .notFound
                ? "Không có \(forPrograms ? "" : "trang ")\"\(path.prefix(120))\" trên máy chủ này" : e.status.reasonPhrase))
        } catch let other {
            // A bug: Hummingbird would answer 500 with no body and log nothing at the usual
            // levels. The operator gets a log line whatever the level, the client a message.
            logger.error("internal error", metadata: ["error": "\(String(reflecting: other))", "path": "\(path)",
                                                      "method": "\(request.method.rawValue)"])
            error = APIError(.internalServerError,
                             "Lỗi máy chủ: yêu cầu chưa thực hiện được. Lỗi đã được ghi vào nhật ký của máy chủ; hãy báo cho người quản trị.")
        }
        if forPrograms { return try error.response(from: request, context: context) }
        return views.render(MessagePage.error(status: error.status, message: error.message), status: error.status)
    }
}

extension APIError {
    /// A storage failure: 507 for a full disk, 503 for a database that cannot take writes now.
    init(_ error: StorageError) {
        switch error {
        case .full: self.init(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), error.description)
        case .readOnly, .unavailable: self.init(.serviceUnavailable, error.description)
        case .corrupt: self.init(.internalServerError, error.description)
        }
    }
}
