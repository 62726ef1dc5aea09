import Foundation
import Hummingbird
import HTTPTypes
import ICal
import PlanCore
import PlanDAV
import PlanFeed

/// One CalDAV request of a signed-in unit on a resource of its own.
struct CalDAVCall {
    let services: ServerServices
    let request: Request
    let resource: CalDAVResource
    let signedIn: CalDAVSignIn

    var state: CalDAVState { services.caldav }
    var properties: CalDAVProperties { CalDAVProperties(signedIn: signedIn) }
    var snapshot: PlanSnapshot { signedIn.snapshot }
    var unit: UnitID { signedIn.token.unit }

    // MARK: - PROPFIND

    func propfind() async throws -> Response {
        let depth = request.headers[HTTPField.Name("Depth")!]?.trimmingCharacters(in: .whitespaces).lowercased() ?? "1"
        guard depth == "0" || depth == "1" else {
            throw CalDAVFailure(.forbidden, .d("propfind-finite-depth"), "Chỉ hỗ trợ PROPFIND với Depth 0 hoặc 1")
        }
        let ask: PropfindRequest
        do { ask = try PropfindRequest.parse(try await body()) } catch let e as DAVRequestError {
            throw CalDAVFailure(.badRequest, nil, e.description)
        }
        var out = MultiStatus()
        let p = properties
        switch resource {
        case .root:
            p.answer(href: resource.href, .root, ask: ask, into: &out)
        case .principal:
            p.answer(href: resource.href, .principal, ask: ask, into: &out)
        case .home:
            p.answer(href: resource.href, .home, ask: ask, into: &out)
            if depth == "1" {
                for c in CalDAVCollection.of(unit, in: snapshot.plan) {
                    let s = try state.state(snapshot, unit: unit, collection: c)
                    p.answer(href: CalDAVResource.collection(snapshot.plan.id, unit, c), .collection(c, s), ask: ask, into: &out)
                }
            }
        case let .collection(_, _, c):
            let s = try collectionState(c)
            p.answer(href: resource.href, .collection(c, s), ask: ask, into: &out)
            if depth == "1" {
                let base = resource.href
                for name in s.names {
                    guard let etag = s.etags[name], let modified = s.lastModified[name] else { continue }
                    p.answer(href: base + name + ".ics", .item(c, etag: etag, lastModified: modified),
                             ask: ask, into: &out)
                }
            }
        case let .item(_, _, c, name):
            let s = try collectionState(c)
            guard let etag = s.etags[name], let modified = s.lastModified[name] else { throw notFound() }
            p.answer(href: resource.href, .item(c, etag: etag, lastModified: modified), ask: ask, into: &out)
        }
        return Self.multiStatus(out.document())
    }

    // MARK: - GET

    /// An item as one VCALENDAR with its ETag; a collection as its whole feed.
    func get() async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        switch resource {
        case let .item(_, _, c, name):
            let s = try collectionState(c)
            guard let o = s.occurrences[name] else { throw notFound() }
            let text = try state.itemText(snapshot, o, unit: unit, collection: c)
            headers[.eTag] = CalDAVState.etag(text)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        case let .collection(_, _, c):
            _ = try collectionState(c)
            let feed = try snapshot.builder.feed(unit: c.viewer(unit), variant: c.variant)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: feed.text)))
        default:
            throw CalDAVFailure(.methodNotAllowed, nil, "Địa chỉ này không có nội dung để tải về: dùng PROPFIND")
        }
    }

    // MARK: - Shared

    /// A collection of this unit's home as served now; 404 for one its home does not have.
    func collectionState(_ c: CalDAVCollection) throws -> CalDAVCollectionState {
        guard CalDAVCollection.of(unit, in: snapshot.plan).contains(c) else { throw notFound() }
        return try state.state(snapshot, unit: unit, collection: c)
    }

    func notFound() -> CalDAVFailure {
        CalDAVFailure(.notFound, nil, "Không có \"\(resource.href.prefix(160))\": công việc và lịch do kế hoạch quy định")
    }

    /// The request's body, up to 1 MiB (413 past it).
    func body() async throws -> Data {
        let limit = CalDAVController.maxBodyBytes
        return Data(try await ServerServices.body(request, upTo: limit, refusal: CalDAVFailure(
            .contentTooLarge, .c("max-resource-size"), "Nội dung gửi lên quá lớn (tối đa \(limit) byte)")).readableBytesView)
    }

    static func multiStatus(_ xml: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: HTTPResponse.Status(code: 207, reasonPhrase: "Multi-Status"), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: xml)))
    }
}
