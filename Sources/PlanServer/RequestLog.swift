import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs every request routed (at debug: the method and the path with its query; at trace: the
/// headers too) with its secrets hidden, whatever the level: a sign-in link's access code
/// (`?ma=pc_…`, or any query value that is one) and the `Authorization` and `Cookie` headers.
/// Hummingbird's own `LogRequestsMiddleware` wrote the whole sign-in link to the log.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// What stands for a hidden secret.
    static let hidden = "[ẩn]"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let logger = context.logger
        if logger.logLevel <= .debug {
            var metadata: Logger.Metadata = [
                "hb.request.path": .string(Self.redacted(uri: request.uri.description)),
                "hb.request.method": .string(request.method.rawValue),
            ]
            if logger.logLevel <= .trace {
                metadata["hb.request.headers"] = .string(Self.redacted(headers: request.headers))
            }
            logger.debug("Request", metadata: metadata)
        }
        return try await next(request, context)
    }

    /// A path with its query, access codes hidden: `/plans/p/login?ma=pc_…[ẩn]`.
    static func redacted(uri: String) -> String {
        guard let q = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return String(pair) }
            let value = parts[1].removingPercentEncoding ?? String(parts[1])
            guard parts[0] == "ma" || isAccessCode(value) else { return String(pair) }
            return "\(parts[0])=" + (value.hasPrefix("pc_") ? "pc_…" : "") + hidden
        }
        return String(uri[...q]) + query.joined(separator: "&")
    }

    /// Headers as `Name: value` lines, secrets hidden.
    static func redacted(headers: HTTPFields) -> String {
        headers.map { field -> String in
            switch field.name {
            case .authorization:
                let scheme = field.value.split(separator: " ").first.map { "\($0) " } ?? ""
                return "\(field.name.canonicalName): \(scheme)\(hidden)"
            case .cookie, .setCookie, .proxyAuthorization:
                return "\(field.name.canonicalName): \(hidden)"
            default:
                return "\(field.name.canonicalName): \(isAccessCode(field.value) ? hidden : field.value)"
            }
        }.joined(separator: "; ")
    }

    /// True for text carrying an access code (`pc_<id>_<secret>`) anywhere.
    static func isAccessCode(_ text: String) -> Bool {
        text.range(of: "pc_[0-9a-zA-Z]+_", options: .regularExpression) != nil
    }
}
