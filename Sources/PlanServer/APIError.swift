import Foundation
import Hummingbird
import PlanCore

/// An error answered as JSON: `{"error": {"status": 400, "message": "…", "field": "on"}}`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let field: String?

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    /// A refused figure: an unknown target is 404, a unit writing for another 403, the rest 400.
    init(_ error: FigureError) {
        switch error {
        case .unknownTarget: self.init(.notFound, error.description, field: error.field)
        case .notAllowed: self.init(.forbidden, error.description, field: error.field)
        default: self.init(.badRequest, error.description, field: error.field)
        }
    }

    /// Maps a baseline's refusal to a status: unknown target or indicator 404, not the lead 403, bad input 400.
    init(_ error: BaselineError) {
        switch error {
        case .unknownTarget, .unknownIndicator: self.init(.notFound, error.description, field: error.field)
        case .notLead: self.init(.forbidden, error.description, field: error.field)
        default: self.init(.badRequest, error.description, field: error.field)
        }
    }

    /// Maps domain errors to statuses: unknown things are 404, bad input 400.
    init(_ error: CompletionError) {
        switch error {
        case .unknownOccurrence, .unknownUnit, .unknownRecord: self.init(.notFound, error.description, field: error.field)
        case .notInvolved: self.init(.forbidden, error.description, field: error.field)
        case .notDone, .alreadyWithdrawn, .sameDayReach: self.init(.conflict, error.description, field: error.field)
        default: self.init(.badRequest, error.description, field: error.field)
        }
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            let status: Int
            let message: String
            let field: String?

            /// `field` is always present: null when no single field is at fault.
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(status, forKey: .status)
                try c.encode(message, forKey: .message)
                try c.encode(field, forKey: .field)
            }
            enum CodingKeys: String, CodingKey { case status, message, field }
        }
        let error: Inner
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Body(error: .init(status: Int(status.code), message: message, field: field)))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"plancal\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
