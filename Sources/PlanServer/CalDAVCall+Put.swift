import Foundation
import Hummingbird
import HTTPTypes
import ICal
import PlanCore
import PlanDAV
import PlanFeed

/// PUT of a task: a tick in the app is the unit's completion, an untick withdraws it, through
/// the same service as the web and the API (the same checks, the same audit trail). Nothing
/// else a task app sends is kept: the plan owns the task, and the server renders it again.
extension CalDAVCall {
    /// Why a task was unticked in an app (the undo's reason).
    static let untickReason = "bỏ đánh dấu trong ứng dụng"

    func put() async throws -> Response {
        guard case let .item(_, _, c, name) = resource else {
            throw CalDAVFailure(.forbidden, .c("supported-calendar-component"),
                                "Chỉ gửi lên được từng công việc (…/tasks/<mã>.ics), không gửi cả lịch")
        }
        guard c != .events else {
            throw CalDAVFailure(.forbidden, .d("need-privileges"),
                                "Lịch sự kiện chỉ đọc: đánh dấu hoàn thành trong danh sách công việc (…/tasks/)")
        }
        // Only this task is looked up (and rendered, for an If-Match): after each write the
        // collection's state is new, and rendering all of it for one PUT was most of its cost.
        guard CalDAVCollection.of(unit, in: snapshot.plan).contains(c) else { throw notFound() }
        guard let o = CalDAVState.item(named: name, snapshot, unit: unit, collection: c) else {
            throw CalDAVFailure(.forbidden, .c("valid-calendar-object-resource"),
                                "Không tạo được công việc mới: công việc do kế hoạch quy định. Tin, bài hay buổi tuyên truyền ngoài kế hoạch được ghi trên trang của kế hoạch")
        }
        if request.headers[.ifNoneMatch]?.trimmedOfWhitespace == "*" {
            throw CalDAVFailure(.preconditionFailed, nil, "Công việc này đã có (If-None-Match: *)")
        }
        // The task's ETag only when the request makes its write depend on it (rendering the
        // task was a twentieth of a PUT's CPU).
        if let match = request.headers[.ifMatch],
           try !Self.matches(match, { CalDAVState.etag(try state.itemText(snapshot, o, unit: unit, collection: c)) }) {
            throw CalDAVFailure(.preconditionFailed, nil,
                                "Công việc đã thay đổi trên máy chủ từ lần đồng bộ trước (ETag khác): hãy đồng bộ lại rồi đánh dấu")
        }
        let data = try await body()
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CalDAVFailure(.badRequest, .c("valid-calendar-data"), "Nội dung gửi lên không phải văn bản UTF-8")
        }
        let viewer = c.viewer(unit)
        let builder = snapshot.builder
        let edit: TaskEdit
        do { edit = try TaskEdit.read(text, occurrence: o, builder: builder, viewer: viewer) } catch {
            throw CalDAVFailure(error.isMalformed ? .badRequest : .forbidden,
                                error.isMalformed ? .c("valid-calendar-data") : .c("valid-calendar-object-resource"),
                                error.description)
        }
        let client = request.headers[.userAgent]
        let service = services.completionService(snapshot)
        do {
            switch edit {
            case .unchanged:
                break
            case let .complete(day, evidence, note):
                // In the lead's all-tasks collection the tick is for the unit whose task it is.
                let doer = viewer ?? (o.doneBy.contains(o.owner) ? o.owner : o.doneBy.first ?? o.owner)
                try Auth.authorize(signedIn.token, unit: doer, plan: snapshot.plan)
                _ = try await service.markDone(o.id.rawValue, unit: doer.rawValue, details: .init(doneOn: day, evidenceURL: evidence, note: note),
                                               recordedBy: signedIn.token.label, now: UTCDateTime(Date()),
                                               today: services.today(snapshot.plan), client: client)
            case .reopen:
                let standing = snapshot.ledger.done(o, for: viewer)
                // Done through another item's record (a plan's `fulfilled_by`): nothing of this
                // task's own to withdraw.
                if let record = standing?.via {
                    let other = record.occurrenceID.flatMap { id in snapshot.occurrences.first { $0.id == id } }
                    try refuse(o, viewer: viewer, untick: true, at: other.flatMap(snapshot.builder.link), then: "để hủy bản ghi đó",
                               "Việc này được tính là hoàn thành nhờ bản ghi số \(record.id ?? 0) (\(other?.name(in: snapshot.plan) ?? record.action.label)); bỏ đánh dấu ở đây không hủy được bản ghi đó: hãy hủy bản ghi trên trang của kế hoạch")
                }
                let doer = viewer ?? standing?.unit ?? o.owner
                try Auth.authorize(signedIn.token, unit: doer, plan: snapshot.plan)
                _ = try await service.undo(o.id.rawValue, unit: doer.rawValue, reason: Self.untickReason, recordedBy: signedIn.token.label,
                                           now: UTCDateTime(Date()), client: client)
            }
        } catch let e as CompletionError {
            try refuse(o, viewer: viewer, untick: edit == .reopen, APIError(e).message)
        } catch let e as APIError where e.status == .forbidden || e.status == .badRequest {
            try refuse(o, viewer: viewer, untick: edit == .reopen, e.message)
        }
        state.setNotice(nil, state: .init(snapshot.ledger, o, viewer: viewer), plan: snapshot.plan.id, viewer: viewer,
                        occurrence: o.id.rawValue)
        // RFC 4791 §5.3.4: what is stored is not what was sent (the server renders the task
        // again), so no ETag: the app fetches the task anew.
        return Response(status: .noContent)
    }

    /// Puts the reason at the top of the task's description (its next rendering) and refuses;
    /// `then` says what to do on the page (`at`, else the item's: record it, or untick it). The
    /// person sees it in the app at the next sync (the task's ETag and the collection's token
    /// change with it); it goes once the task changes.
    private func refuse(_ o: Occurrence, viewer: UnitID?, untick: Bool, at page: String? = nil, then: String? = nil,
                        _ reason: String) throws -> Never {
        let then = then ?? (untick ? "để bỏ đánh dấu" : "để ghi")
        let link = page ?? snapshot.builder.link(o) ?? "\(services.publicBase(snapshot.plan))/plans/\(snapshot.plan.id)/occurrences/\(o.id)"
        let trimmed = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
        state.setNotice("\(TaskEdit.noticePrefix) \(trimmed) — mở \(link) \(then)", state: .init(snapshot.ledger, o, viewer: viewer),
                        plan: snapshot.plan.id, viewer: viewer, occurrence: o.id.rawValue)
        throw CalDAVFailure(.forbidden, DAVName("https://plancal.invalid/ns", "completion-refused"),
                            "\(untick ? "Chưa bỏ đánh dấu được" : "Chưa ghi nhận hoàn thành"): \(reason)")
    }

    /// True when an If-Match header names this ETag (or is `*`, which needs no ETag).
    static func matches(_ header: String, _ etag: () throws -> String) rethrows -> Bool {
        let tags = header.split(separator: ",").map(\.trimmedOfWhitespace)
        if tags.contains("*") { return true }
        let current = try etag()
        return tags.contains { $0 == current || $0 == "W/" + current }
    }
}
