import Foundation
import Hummingbird
import ICal
import PlanCore
import PlanFeed
import PlanStore

extension PlanServer {
    // MARK: - Page plumbing

    /// The signed-in session, if its token is still live (a revoked token signs its sessions out).
    func session(_ request: Request, plan: Plan) async -> (id: String, session: WebSession)? {
        guard let id = request.cookies[PlanServer.sessionCookie]?.value,
              let s = await sessions.session(id), s.token.plan == plan.id else { return nil }
        guard (try? tokens.live(id: s.token.id)) != nil else {
            await sessions.remove(id)
            return nil
        }
        return (id, s)
    }

    /// Forms are posted from our own pages: a request whose Origin names another host is refused
    /// (this also stops signing a victim in with someone else's token).
    /// The host and port must match the request's (IPv6 literals included); behind a proxy,
    /// the public base URL's scheme, host and port.
    func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin]?.lowercased() else { return true }
        guard let split = origin.range(of: "://") else { return false }  // "null" and the like
        let originAuthority = origin[split.upperBound...]
        if let authority = request.head.authority?.lowercased(), originAuthority == authority { return true }
        guard let base = arguments.baseURL?.lowercased(), let baseSplit = base.range(of: "://") else { return false }
        let baseOrigin = base[..<baseSplit.upperBound] + (base[baseSplit.upperBound...].split(separator: "/").first ?? "")
        return origin == baseOrigin
    }

    func crossOrigin(_ plan: Plan) -> Response {
        message(plan, nil, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                message: "Biểu mẫu phải được gửi từ chính trang này.", back: "/plans/\(plan.id)")
    }

    /// Fields every page's header needs.
    func base(_ plan: Plan, _ session: WebSession?, title: String) -> [String: Any] {
        var c: [String: Any] = [
            "title": title, "heading": "Bình đẳng giới \(plan.start.year)-\(plan.end.year) — \(plan.issuer)",
            "issuer": plan.title, "planID": plan.id, "today": today(plan).vietnamese,
        ]
        if let session {
            c["signedIn"] = "\(plan.unit(session.token.unit)?.name ?? session.token.unit) (\(session.token.label))"
            c["csrf"] = session.csrf
        }
        return c
    }

    /// Where feeds are reached: the configured base URL, or the host the request came to.
    func publicBase(_ request: Request) -> String {
        if let base = arguments.baseURL { return base.hasSuffix("/") ? String(base.dropLast()) : base }
        let host = request.head.authority ?? "\(arguments.host):\(arguments.port)"
        return "http://\(host)"
    }

    func feedLinks(_ request: Request, plan: Plan, file: String) -> (https: String, webcal: String) {
        let url = "\(publicBase(request))/calendars/\(plan.id)/\(file)"
        let webcal = "webcal://" + url.drop { $0 != ":" }.dropFirst(3)
        return (url, String(webcal))
    }

    func message(_ plan: Plan, _ session: WebSession?, status: HTTPResponse.Status, heading: String,
                 message: String, back: String) -> Response {
        var c = base(plan, session, title: heading)
        c["heading2"] = heading
        c["message"] = message
        c["back"] = back
        return views.render("message", c, status: status)
    }

    func title(_ o: Occurrence, _ plan: Plan) -> String { o.name(in: plan) }

    func link(_ o: Occurrence, _ plan: Plan) -> String { "/plans/\(plan.id)/occurrences/\(o.id)" }

    // MARK: - Pages

    func index(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let ids = await registry.planIDs
        if ids.count == 1 { return Response(status: .seeOther, headers: [.location: "/plans/\(ids[0])"]) }
        var plans: [[String: Any]] = []
        for id in ids {
            guard let plan = try await registry.current(id)?.plan else { continue }
            plans.append(["name": "\(plan.issuer) — \(plan.title)", "link": "/plans/\(id)"])
        }
        let c: [String: Any] = [
            "title": "Các kế hoạch", "heading": "plancal",
            "heading2": "Các kế hoạch", "message": "Chọn một kế hoạch:", "plans": plans, "back": "/",
        ]
        return views.render("message", c)
    }

    func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        let plan = entry.plan
        let s = await session(request, plan: plan)
        let today = today(plan)
        let report = ComplianceReport(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                      today: today)
        var c = base(plan, s?.session, title: "Bình đẳng giới — \(plan.issuer)")
        // The message only repeats what the records say, whatever the URL claims.
        if let ok = request.uri.queryParameters["ghi-nhan"].map(String.init),
           let o = entry.builder.occurrences.first(where: { $0.id == ok }),
           !entry.builder.ledger.completions(of: o.id).isEmpty {
            let before = request.uri.queryParameters["da-co"] != nil
            // Only the owner's side completes an item; a participating unit records its part.
            let completed = entry.builder.ledger.done(o) != nil
            c["flash"] = (before ? "Việc này đã được ghi nhận trước đó: "
                          : completed ? "Đã ghi nhận hoàn thành: " : "Đã ghi nhận phần tham gia: ") + title(o, plan)
        }

        // G6.T3 grid, every quarter of the plan.
        let byKey = Dictionary(uniqueKeysWithValues: report.quarters.map { ($0.key, $0) })
        c["grid"] = (plan.start.year...plan.end.year).map { year -> [String: Any] in
            ["year": year, "quarters": (1...4).map { q -> [String: Any] in
                let key = "\(year)-Q\(q)"
                guard let quarter = byKey[key] else {
                    return ["key": key, "state": "future", "stateLabel": "Chưa đến", "links": [Any]()]
                }
                return ["key": key, "state": quarter.state.rawValue, "stateLabel": quarter.state.label,
                        "links": quarter.items.map { item -> [String: Any] in
                            // An item without a link (a loudspeaker bulletin) shows its note on hover.
                            var m: [String: Any] = ["date": CivilDate(parsing: item.date)?.vietnamese ?? item.date]
                            if let url = item.url { m["url"] = url } else { m["note"] = item.note ?? "" }
                            return m
                        }]
            }]
        }
        let d = report.dissemination
        c["dissemination"] = ["year": d.year, "informed": d.informed, "total": d.total, "met": d.met]
        c["disseminationPercent"] = Vietnamese.percent(d.share)
        c["organisations"] = d.organisations.map { o -> [String: Any] in
            var m: [String: Any] = ["name": o.name]
            if let on = o.informedOn { m["informedOn"] = CivilDate(parsing: on)?.vietnamese ?? on }
            return m
        }
        let missing = d.organisations.filter { $0.informedOn == nil }.map(\.name)
        if !missing.isEmpty { c["missingText"] = missing.joined(separator: "; ") }
        if !d.notCounted.isEmpty { c["notCountedText"] = d.notCounted.joined(separator: "; ") }

        let r = report.reach
        var reach: [String: Any] = ["reachedText": Vietnamese.number(r.reached), "pathText": Vietnamese.percent(r.path)]
        if let pop = r.population, let share = r.share {
            reach["population"] = true
            reach["populationText"] = Vietnamese.number(pop)
            reach["shareText"] = Vietnamese.percent(share)
            reach["trackText"] = r.onTrack == true ? "đúng lộ trình" : "chậm so với lộ trình"
        }
        c["reach"] = reach
        c["svg"] = svg(plan: plan, today: today, share: r.share)

        let ledger = entry.builder.ledger
        let soon = today.adding(days: 30)
        let attention = entry.builder.occurrences.filter { o in
            let state = OccurrenceState.of(o, ledger: ledger, today: today)
            return state == .overdue && o.last.year >= today.year - 1 || [.inProgress, .dueSoon, .upcoming].contains(state) && o.first <= soon
        }
        c["hasAttention"] = !attention.isEmpty
        c["attention"] = attention.map { o -> [String: Any] in
            let state = OccurrenceState.of(o, ledger: ledger, today: today)
            return ["date": o.last.vietnamese, "title": title(o, plan), "unit": plan.unit(o.owner)?.name ?? o.owner,
                    "link": link(o, plan), "state": state.rawValue, "stateLabel": state.label]
        }
        c["units"] = ([nil] + plan.allUnits.map { Optional($0) }).map { unit -> [String: Any] in
            let id = unit?.id ?? "all"
            let events = feedLinks(request, plan: plan, file: "\(id).ics")
            let tasks = feedLinks(request, plan: plan, file: "\(id)-tasks.ics")
            return ["name": unit?.name ?? "Toàn phường (tất cả đơn vị)",
                    "link": unit.map { "/plans/\(plan.id)/units/\($0.id)" } ?? "/plans/\(plan.id)",
                    "https": events.https, "webcal": events.webcal, "tasksHttps": tasks.https, "tasksWebcal": tasks.webcal]
        }
        await fetches.flush()
        let fetched = try fetches.log.entries(plan: plan.id)
        c["hasFetches"] = !fetched.isEmpty
        c["fetches"] = fetched.prefix(50).map { e -> [String: Any] in
            let when = Vietnamese.dateTime(e.lastAt, utcOffsetSeconds: plan.utcOffsetSeconds)
            return ["feed": e.feed, "userAgent": e.userAgent, "last": when, "count": e.count]
        }
        return views.render("dashboard", c)
    }

    /// Coordinates for the G6.T1 chart: x is time over the plan (every day of it, so a one-day
    /// plan draws too), y the share from 0 at the bottom to 100% at the top; a share above 100%
    /// (reach counts contacts, which can exceed the population) sits on the top edge.
    func svg(plan: Plan, today: CivilDate, share: Double?) -> [String: Any] {
        let total = Double(plan.start.days(until: plan.end) + 1)
        func x(_ d: CivilDate) -> Int {
            40 + Int((min(max(Double(plan.start.days(until: d)) / total, 0), 1) * 290).rounded())
        }
        func y(_ s: Double) -> Int { 150 - Int((min(max(s, 0), 1) * 140).rounded()) }
        let clamped = min(max(today, plan.start), plan.end)
        var m: [String: Any] = [
            "goalY": y(ComplianceReport.reachGoal), "goalYText": y(ComplianceReport.reachGoal) + 4, "todayX": x(clamped),
            "years": (plan.start.year...plan.end.year).map { ["year": $0, "x": x(CivilDate(year: $0, month: 7, day: 1)!)] },
        ]
        if let share {
            m["hasShare"] = true
            m["shareY"] = y(share)
        }
        return m
    }

    func unitPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        let plan = entry.plan
        let unitID = context.parameters.get("unit") ?? ""
        guard PlanServer.matches(unitID), let unit = plan.unit(unitID) else {
            throw HTTPError(.notFound, message: "Không có đơn vị \"\(unitID.prefix(80))\" trong kế hoạch")
        }
        let s = await session(request, plan: plan)
        let today = today(plan)
        let yearText = request.uri.queryParameters["year"].map(String.init)
        let year = yearText.flatMap(Int.init).flatMap { (plan.start.year...plan.end.year).contains($0) ? $0 : nil }
            ?? min(max(today.year, plan.start.year), plan.end.year)
        var yearError: String?
        if let yearText, Int(yearText) != year {
            // A year typed into the address that is not one of the plan's: say which is shown.
            yearError = "Năm \"\(yearText.prefix(10))\" không thuộc kế hoạch (\(plan.start.year)–\(plan.end.year)); đang hiển thị năm \(year)."
        }
        let schedule = Schedule(plan: plan)
        let ledger = entry.builder.ledger
        let canWrite = s.map { $0.session.token.unit == unit.id || $0.session.token.unit == plan.leadUnit?.id } ?? false
        var c = base(plan, s?.session, title: unit.name)
        if let yearError { c["error"] = yearError }
        c["unitName"] = unit.name
        c["year"] = year
        c["years"] = Array(plan.start.year...plan.end.year)
        c["canWrite"] = canWrite
        let links = feedLinks(request, plan: plan, file: "\(unit.id).ics")
        c["https"] = links.https
        c["webcal"] = links.webcal
        c["items"] = entry.builder.occurrences.filter { $0.last.year == year && schedule.involves($0, unit.id) }
            .sorted { ($0.first, $0.last, $0.id) < ($1.first, $1.last, $1.id) }
            .map { o -> [String: Any] in
            let state = OccurrenceState.of(o, ledger: ledger, today: today, for: unit.id)
            var m: [String: Any] = [
                "date": o.first == o.last ? o.last.vietnamese : "\(o.first.vietnamese) – \(o.last.vietnamese)",
                "title": title(o, plan), "link": link(o, plan), "state": state.rawValue, "stateLabel": state.label,
                "domID": "o-" + o.id.replacingOccurrences(of: "/", with: "-"),
                "canMark": canWrite && ledger.done(o, for: unit.id) == nil && o.opens <= today,
            ]
            if let done = ledger.done(o, for: unit.id) { m["doneOn"] = done.doneOn.vietnamese }
            return m
        }
        return views.render("unit", c)
    }

    func occurrencePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        let plan = entry.plan
        let id = context.parameters.getCatchAll().joined(separator: "/")
        guard let o = entry.builder.occurrences.first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "Không có công việc \"\(id.prefix(120))\" trong kế hoạch")
        }
        let s = await session(request, plan: plan)
        return renderOccurrence(entry, o, session: s?.session)
    }

    /// The occurrence page; after a refused form, with the error and what was typed kept.
    func renderOccurrence(_ entry: PlanRegistry.Entry, _ o: Occurrence, session: WebSession?,
                          error: String? = nil, form: DoneForm? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let plan = entry.plan
        let today = today(plan)
        let state = OccurrenceState.of(o, ledger: entry.builder.ledger, today: today)
        var c = base(plan, session, title: title(o, plan))
        if let error { c["error"] = error }
        if let form {
            c["typed"] = ["on": form.on ?? "", "evidence": form.evidence ?? "", "note": form.note ?? "",
                          "reached": form.reached ?? "", "participants": form.participants ?? ""]
        }
        c["summary"] = entry.builder.summary(o)
        // A quarter's news obligation still open while the quarter already has an item (an ad
        // hoc one, or recorded against another quarter): say so, so the unit can mark it.
        if o.targets.contains("G6.T3"), entry.builder.ledger.done(o) == nil,
           let q = ComplianceReport(plan: plan, occurrences: entry.builder.occurrences, ledger: entry.builder.ledger,
                                    today: today, year: o.last.year).quarters.first(where: { $0.key == "\(o.last.year)-Q\(o.last.quarter)" }),
           q.state == .met, let item = q.items.first {
            let day = CivilDate(parsing: item.date)?.vietnamese ?? item.date
            let quarter = q.label.prefix(1).uppercased() + q.label.dropFirst()
            c["metBy"] = "\(quarter) đã có tin, bài ngày \(day)\(item.url.map { ": \($0)" } ?? "") (chỉ tiêu G6.T3 đã đạt). Nếu đó là tin của quý, hãy đánh dấu việc này hoàn thành với đường dẫn đó."
        }
        c["description"] = entry.builder.description(o, withLink: false)
        // The evidence again, as links to open (the description above is plain text).
        let evidence = entry.builder.ledger.completions(of: o.id).compactMap { done -> [String: Any]? in
            guard let url = done.record.evidenceURL else { return nil }
            return ["unit": plan.unit(done.unit)?.name ?? done.unit, "on": done.doneOn.vietnamese, "url": url]
        }
        c["hasEvidence"] = !evidence.isEmpty
        c["evidence"] = evidence
        c["state"] = state.rawValue
        c["stateLabel"] = state.label
        c["occurrenceID"] = o.id
        c["todayISO"] = min(today, plan.end).iso
        c["maxISO"] = min(today, plan.end).iso
        c["planStart"] = max(o.opens, plan.start).iso
        c["hasReached"] = o.counts.contains(.reached)
        c["hasParticipants"] = o.counts.contains(.participants)
        if let token = session?.token {
            let lead = token.unit == plan.leadUnit?.id
            let schedule = Schedule(plan: plan)
            let choices = plan.allUnits.filter { schedule.involves(o, $0.id) && (lead || $0.id == token.unit) }
            c["canMark"] = !choices.isEmpty && o.opens <= today
            let chosen = form?.unit ?? (choices.contains { $0.id == token.unit } ? token.unit : o.owner)
            c["unitChoices"] = choices.map { u -> [String: Any] in
                ["id": u.id, "name": u.name, "selected": u.id == chosen]
            }
        }
        // The day typed, kept in the form; a date input only takes yyyy-mm-dd.
        if let on = form?.on, let day = CivilDate(parsing: on) { c["todayISO"] = day.iso }
        return views.render("occurrence", c, status: status)
    }

    func loginPage(_ request: Request, _ context: AppRequestContext, error: String?) async throws -> Response {
        let entry = try await entry(context)
        var c = base(entry.plan, nil, title: "Đăng nhập")
        if let error { c["error"] = error }
        return views.render("login", c, status: error == nil ? .ok : .unauthorized)
    }

    struct LoginForm: Decodable { var token: String? }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        guard sameOrigin(request) else { return crossOrigin(entry.plan) }
        let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: try await body(request, api: false)))
        guard let text = form?.token?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
              let token = try tokens.verify(text, plan: entry.plan.id) else {
            return try await loginPage(request, context, error: "Mã truy cập không đúng hoặc đã bị thu hồi.")
        }
        let (id, _) = await sessions.create(for: token)
        var response = Response(status: .seeOther, headers: [.location: "/plans/\(entry.plan.id)/units/\(token.unit)"])
        response.setCookie(Cookie(name: PlanServer.sessionCookie, value: id, maxAge: Int(SessionStore.lifetime), path: "/",
                                  secure: arguments.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    struct CSRFForm: Decodable { var csrf: String? }

    func logout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        guard sameOrigin(request) else { return crossOrigin(entry.plan) }
        if let s = await session(request, plan: entry.plan) {
            let form = try? URLEncodedFormDecoder().decode(CSRFForm.self, from: String(buffer: try await body(request, api: false)))
            guard form?.csrf == s.session.csrf else {
                return message(entry.plan, s.session, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                               message: "Mã chống giả mạo (CSRF) không đúng.", back: "/plans/\(entry.plan.id)")
            }
            await sessions.remove(s.id)
        }
        var response = Response(status: .seeOther, headers: [.location: "/plans/\(entry.plan.id)"])
        response.setCookie(Cookie(name: PlanServer.sessionCookie, value: "", maxAge: 0, path: "/",
                                  secure: arguments.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    struct DoneForm: Decodable {
        var csrf: String?
        var occurrence: String?
        var unit: String?
        var on: String?
        var evidence: String?
        var note: String?
        var reached: String?
        var participants: String?
        var `return`: String?
    }

    func formDone(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let entry = try await entry(context)
        let plan = entry.plan
        let back = "/plans/\(plan.id)"
        guard sameOrigin(request) else { return crossOrigin(plan) }
        guard let s = await session(request, plan: plan) else {
            return message(plan, nil, status: .unauthorized, heading: "Cần đăng nhập",
                           message: "Hãy đăng nhập bằng mã truy cập của đơn vị.", back: "/plans/\(plan.id)/login")
        }
        let form: DoneForm
        do {
            form = try URLEncodedFormDecoder().decode(DoneForm.self, from: String(buffer: try await body(request, api: false)))
        } catch let e as APIError { throw e } catch {
            return message(plan, s.session, status: .badRequest, heading: "Biểu mẫu không hợp lệ",
                           message: "Không đọc được biểu mẫu.", back: back)
        }
        guard form.csrf == s.session.csrf else {
            return message(plan, s.session, status: .forbidden, heading: "Yêu cầu không hợp lệ",
                           message: "Mã chống giả mạo (CSRF) không đúng; hãy tải lại trang và thử lại.", back: back)
        }
        do {
            func count(_ text: String?, _ field: String, _ label: String) throws -> Int? {
                guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let n = Int(text) else { throw APIError(.badRequest, "\(label) \"\(text.prefix(20))\" không phải là số", field: field) }
                return n
            }
            let reached = try count(form.reached, "reached", "Số người dân được tiếp cận")
            let participants = try count(form.participants, "participants", "Số người tham gia")
            let evidence = form.evidence?.trimmingCharacters(in: .whitespaces)
            let note = form.note?.trimmingCharacters(in: .whitespacesAndNewlines)
            let details = CompletionService.Details(
                doneOn: try PlanServer.date(form.on, field: "on"), evidenceURL: evidence?.isEmpty == false ? evidence : nil,
                note: note?.isEmpty == false ? note : nil, reached: reached, participants: participants)
            let outcome = try await markDone(entry, token: s.session.token, occurrence: form.occurrence, unit: form.unit,
                                       details: details, correct: false)
            var target = form.return ?? back
            // Only ever redirect within this plan's pages.
            if !(target == back || target.hasPrefix(back + "/")) || target.contains("//") || target.contains("\\")
                || target.contains("?") || target.contains("#") {
                target = back
            }
            let encoded = (form.occurrence ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            var location = "\(target)?ghi-nhan=\(encoded)"
            if case .alreadyRecorded = outcome { location += "&da-co=1" }
            return Response(status: .seeOther, headers: [.location: location])
        } catch let e as APIError {
            // Back on the occurrence's own form, with the message and everything typed.
            if let id = form.occurrence, let o = entry.builder.occurrences.first(where: { $0.id == id }) {
                return renderOccurrence(entry, o, session: s.session, error: "Chưa ghi nhận được: \(e.message)",
                                        form: form, status: e.status)
            }
            return message(plan, s.session, status: e.status, heading: "Chưa ghi nhận được", message: e.message, back: back)
        }
    }
}
