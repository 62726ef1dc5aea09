import Foundation
import Hummingbird
import HTTPTypes
import ICal
import PlanCore
import PlanDAV
import PlanFeed

/// CalDAV (RFC 4791, with RFC 6764 discovery and RFC 6578 sync) under `/dav/`: each unit's tasks
/// as a collection task apps sync both ways (a tick is the unit's completion record, through the
/// same service as the web and the API), its events read only, and for the lead unit every
/// unit's tasks. Sign-in is HTTP Basic: the unit id (or `plan/unit`) and the unit's access code.
struct CalDAVController: Sendable {
    let services: ServerServices
    var state: CalDAVState { services.caldav }

    /// Methods answered under `/dav/`; the ones that would create, delete or rename are refused.
    static let methods = ["OPTIONS", "GET", "PROPFIND", "REPORT", "PUT", "DELETE", "MKCALENDAR", "MKCOL", "PROPPATCH",
                          "MOVE", "COPY", "LOCK", "UNLOCK", "POST", "PATCH", "ACL"]
    /// The most a PUT or a REPORT body may hold.
    static let maxBodyBytes = 1 << 20

    func addRoutes(to router: Router<AppRequestContext>) {
        for name in Self.methods {
            guard let method = HTTPRequest.Method(name) else { continue }
            for path in ["dav", "dav/**"] {
                router.on(RouterPath(path), method: method) { request, _ in try await handle(request) }
            }
            // RFC 6764 §5: the well-known address points at the DAV root.
            router.on(".well-known/caldav", method: method) { request, _ in
                if request.method == .options { return Self.options() }
                var headers = HTTPFields()
                headers[.location] = CalDAVResource.rootPath
                return Response(status: .movedPermanently, headers: headers)
            }
        }
    }

    func handle(_ request: Request) async throws -> Response {
        do {
            if request.method == .options { return Self.options() }
            let found = CalDAVResource(path: request.uri.path)
            let signedIn = try await CalDAVSignIn.check(request, services: services)
            guard let resource = found else {
                // Nothing can be made here: calendars and tasks come from the plan (RFC 4791 §5.3.1).
                if ["MKCALENDAR", "MKCOL", "PUT", "COPY", "MOVE"].contains(request.method.rawValue) {
                    throw CalDAVFailure(.forbidden, .d("need-privileges"),
                                        "Không tạo được lịch hay công việc mới: các lịch và công việc do kế hoạch quy định")
                }
                throw CalDAVFailure(.notFound, nil, "Không có \"\(request.uri.path.prefix(120))\" trên máy chủ CalDAV này")
            }
            if let owner = resource.owner, owner.plan != signedIn.token.plan || owner.unit != signedIn.token.unit {
                throw CalDAVFailure(.forbidden, .d("need-privileges"),
                                    "Mã truy cập của \(signedIn.unitName) chỉ mở được lịch của chính đơn vị mình")
            }
            let call = CalDAVCall(services: services, request: request, resource: resource, signedIn: signedIn)
            switch request.method.rawValue {
            case "PROPFIND": return try await call.propfind()
            case "REPORT": return try await call.report()
            case "GET": return try await call.get()
            case "PUT": return try await call.put()
            case "DELETE":
                throw CalDAVFailure(.forbidden, .d("need-privileges"),
                                    "Không xóa được: công việc và lịch do kế hoạch quy định. Việc không áp dụng do đơn vị chủ trì ghi trên trang của kế hoạch")
            case "MKCALENDAR", "MKCOL":
                throw CalDAVFailure(.forbidden, .d("resource-must-be-null"),
                                    "Không tạo được lịch mới: các lịch do kế hoạch quy định")
            case "PROPPATCH":
                throw CalDAVFailure(.forbidden, .d("cannot-modify-protected-property"),
                                    "Không sửa được thuộc tính của lịch: tên và nội dung do kế hoạch quy định")
            default:
                throw CalDAVFailure(.forbidden, .d("need-privileges"),
                                    "Máy chủ CalDAV của plancal không thực hiện \(request.method.rawValue)")
            }
        } catch let failure as CalDAVFailure {
            return failure.response
        }
    }

    /// What the server speaks (RFC 4791 §5.1): no sign-in needed.
    static func options() -> Response {
        var headers = HTTPFields()
        headers[HTTPField.Name("DAV")!] = "1, 3, calendar-access"
        headers[.allow] = "OPTIONS, GET, HEAD, PROPFIND, REPORT, PUT"
        headers[.contentLength] = "0"
        return Response(status: .ok, headers: headers)
    }
}

/// A refusal, answered with a `DAV:error` body holding the precondition and the reason in Vietnamese.
struct CalDAVFailure: Error {
    let status: HTTPResponse.Status
    let precondition: DAVName?
    let message: String
    var headers = HTTPFields()

    init(_ status: HTTPResponse.Status, _ precondition: DAVName?, _ message: String) {
        self.status = status
        self.precondition = precondition
        self.message = message
    }

    var response: Response {
        var headers = headers
        headers[.contentType] = "application/xml; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let body = DAVXML.error(precondition, message)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
