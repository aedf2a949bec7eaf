import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The fake's HTTP surface: `POST /token` and `/calendar/v3/calendars/{calendarId}/events[/{eventId}]`.
struct FakeGoogleRoutes: Sendable {
    let holder: StateHolder

    func register(on router: Router<BasicRequestContext>) {
        router.post("token") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            return respond(token(form: String(buffer: body)))
        }
        let events = router.group("calendar/v3/calendars/:calendarId/events")
        events.get { request, context in await api(request, context, body: nil) { state, owner in state.store.list(owner: owner, query: query(request)) } }
        events.post { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            return await api(request, context, body: body) { state, owner in insert(&state, owner: owner, body: body, query: query(request)) }
        }
        events.get(":eventId") { request, context in
            await api(request, context, body: nil) { state, owner in get(state, owner: owner, id: eventId(context)) }
        }
        events.patch(":eventId") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            let ifMatch = request.headers[HTTPField.Name("If-Match")!]
            return await api(request, context, body: body) { state, owner in patch(&state, owner: owner, id: eventId(context), body: body, ifMatch: ifMatch) }
        }
        events.delete(":eventId") { request, context in
            await api(request, context, body: nil) { state, owner in delete(&state, owner: owner, id: eventId(context)) }
        }
    }

    private func query(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    private func eventId(_ context: BasicRequestContext) -> String {
        (context.parameters.get("eventId") ?? "").removingPercentEncoding ?? ""
    }

    // MARK: OAuth

    /// The refresh-token grant (oauth2-token-endpoint.md).
    private func token(form: String) -> FakeAnswer {
        var fields: [String: String] = [:]
        for pair in form.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return holder.withState { state in
            state.tokenRequests += 1
            if !state.tokenEndpointFaults.isEmpty {
                let status = state.tokenEndpointFaults.removeFirst()
                return FakeAnswer(status: status, body: ["error": "internal_failure", "error_description": "Backend Error"])
            }
            guard fields["grant_type"] == "refresh_token" else {
                return FakeAnswer(status: 400, body: ["error": "unsupported_grant_type", "error_description": .string("Invalid grant_type: \(fields["grant_type"] ?? "")")])
            }
            guard fields["client_id"] == FakeGoogle.clientId else {
                return FakeAnswer(status: 401, body: ["error": "invalid_client", "error_description": "The OAuth client was not found."])
            }
            guard fields["client_secret"] == FakeGoogle.clientSecret else {
                return FakeAnswer(status: 401, body: ["error": "invalid_client", "error_description": "Unauthorized"])
            }
            guard let refresh = fields["refresh_token"], let account = state.accounts[refresh] else {
                return FakeAnswer(status: 400, body: ["error": "invalid_grant", "error_description": "Bad Request"])
            }
            guard !account.revoked else {
                return FakeAnswer(status: 400, body: ["error": "invalid_grant", "error_description": "Token has been expired or revoked."])
            }
            state.issued += 1
            let access = state.fixedAccessTokens[refresh] ?? "ya29.fake-\(state.issued)-\(UUID().uuidString.prefix(8))"
            state.accessTokens[access] = (account.email, Date().addingTimeInterval(TimeInterval(state.accessTokenLifetime)))
            return FakeAnswer(status: 200, body: [
                "access_token": .string(access), "expires_in": .number(Double(state.accessTokenLifetime)),
                "scope": "https://www.googleapis.com/auth/calendar.events https://mail.google.com/", "token_type": "Bearer",
            ])
        }
    }

    // MARK: Calendar API

    /// Authenticates, logs, serves an injected fault if any, then runs `handler` on the calendar's owner.
    private func api(_ request: Request, _ context: BasicRequestContext, body: ByteBuffer?,
                     _ handler: (inout FakeGoogle.State, String) -> FakeAnswer) async -> Response {
        let authorization = request.headers[.authorization] ?? ""
        let calendarId = (context.parameters.get("calendarId") ?? "").removingPercentEncoding ?? ""
        let answer: FakeAnswer = holder.withState { state in
            state.requestLog.append("\(request.method) \(request.uri.path)\(request.uri.query.map { "?\($0)" } ?? "")")
            guard authorization.hasPrefix("Bearer "), let (account, expiry) = state.accessTokens[String(authorization.dropFirst(7))], expiry > Date() else {
                return .error("401_authError")
            }
            if !state.faults.isEmpty {
                if state.faultsAfter > 0 { state.faultsAfter -= 1 } else { return Self.answer(for: state.faults.removeFirst()) }
            }
            let owner = calendarId == "primary" ? account : calendarId.lowercased()
            // A calendar of another account is not shared with this one.
            guard owner == account else { return .error("404_notFound") }
            return handler(&state, owner)
        }
        return respond(answer)
    }

    private static func answer(for fault: FakeGoogle.Fault, retryAfter: String? = nil) -> FakeAnswer {
        let headers = retryAfter.map { [("Retry-After", $0)] } ?? []
        switch fault {
        case .backendError: return .error("500_backendError", headers: headers)
        case .serviceUnavailable:
            // No documented body for 503; Google's front end answers with this shape.
            return FakeAnswer(status: 503, body: ["error": ["code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"]], headers: headers)
        case .rateLimitExceeded: return .error("403_rateLimitExceeded", headers: headers)
        case .userRateLimitExceeded: return .error("403_userRateLimitExceeded", headers: headers)
        case .tooManyRequests: return .error("429_rateLimitExceeded", headers: headers)
        case .quotaExceeded: return .error("403_quotaExceeded_calendarUsageLimits", headers: headers)
        case .retryAfter(let value, let inner): return answer(for: inner, retryAfter: value)
        }
    }

    private func respond(_ answer: FakeAnswer) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers { headers[HTTPField.Name(name)!] = value }
        if let raw = answer.raw {
            headers[.contentType] = "application/json; charset=UTF-8"
            return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: raw)))
        }
        guard let body = answer.body else { return Response(status: .init(code: answer.status), headers: headers) }
        headers[.contentType] = "application/json; charset=UTF-8"
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }

    private func get(_ state: FakeGoogle.State, owner: String, id: String) -> FakeAnswer {
        guard let stored = state.store.calendars[owner]?.events[id] else { return .error("404_notFound") }
        // `get` always returns an event, a deleted one as cancelled.
        var body = stored.body
        if stored.deleted { body["status"] = "cancelled" }
        return FakeAnswer(status: 200, body: body)
    }

    /// `events.insert`: a client-chosen id must be base32hex, 5–1024 characters, and unused (409 duplicate).
    private func insert(_ state: inout FakeGoogle.State, owner: String, body: ByteBuffer, query: [(String, String)]) -> FakeAnswer {
        for (name, value) in query {
            if let allowed = GoogleDocuments.eventsInsertParameters[name]?.allowed, !allowed.contains(value) {
                return .badRequest("Invalid value '\(value)' for \(name).", location: name)
            }
        }
        guard var event = try? JSONDecoder().decode(FakeJSON.self, from: Data(body.readableBytesView)), event.object != nil else {
            return .badRequest("Parse Error", reason: "parseError")
        }
        if let id = event["id"]?.string {
            let valid = (5...1024).contains(id.count) && id.allSatisfy { ("a"..."v").contains($0) || ("0"..."9").contains($0) }
            guard valid else { return .badRequest("Invalid resource id value.") }
            if state.store.calendars[owner]?.events[id] != nil { return .error("409_duplicate") }
        } else {
            event["id"] = .string(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        }
        if let problem = Self.validateTimes(event) { return problem }
        FakeGoogle.complete(&event, owner: owner, existing: nil)
        state.store.put(event, in: owner)
        return FakeAnswer(status: 200, body: state.store.calendars[owner]?.events[event["id"]!.string!]?.body)
    }

    /// `events.patch` with `If-Match`; an instance id of a series (`<master>_<start>`) creates its exception.
    private func patch(_ state: inout FakeGoogle.State, owner: String, id: String, body: ByteBuffer, ifMatch: String?) -> FakeAnswer {
        guard let changes = (try? JSONDecoder().decode(FakeJSON.self, from: Data(body.readableBytesView)))?.object else {
            return .badRequest("Parse Error", reason: "parseError")
        }
        var current: FakeJSON
        if let stored = state.store.calendars[owner]?.events[id], !stored.deleted {
            if let ifMatch, ifMatch != "*", ifMatch != stored.body["etag"]?.string { return .error("412_conditionNotMet") }
            current = stored.body
        } else if let exception = Self.exception(of: id, in: state.store.calendars[owner]) {
            current = exception
        } else {
            return .error("404_notFound")
        }
        for (key, value) in changes where !["id", "iCalUID", "recurringEventId", "originalStartTime", "etag", "kind"].contains(key) {
            current[key] = value
        }
        if let problem = Self.validateTimes(current) { return problem }
        if current["status"]?.string == "cancelled", current["recurringEventId"] == nil {
            state.store.delete(id: id, in: owner)
            return FakeAnswer(status: 200, body: current)
        }
        state.store.put(current, in: owner)
        return FakeAnswer(status: 200, body: state.store.calendars[owner]?.events[id]?.body)
    }

    private func delete(_ state: inout FakeGoogle.State, owner: String, id: String) -> FakeAnswer {
        if let stored = state.store.calendars[owner]?.events[id] {
            guard !stored.deleted else { return .error("410_deleted") }
            if stored.body["recurringEventId"] != nil {
                var cancelled = stored.body
                cancelled["status"] = "cancelled"
                state.store.put(cancelled, in: owner)
            } else {
                state.store.delete(id: id, in: owner)
            }
            return FakeAnswer(status: 204, body: nil)
        }
        guard var exception = Self.exception(of: id, in: state.store.calendars[owner]) else { return .error("404_notFound") }
        exception["status"] = "cancelled"
        state.store.put(exception, in: owner)
        return FakeAnswer(status: 204, body: nil)
    }

    /// The exception an instance id (`<masterId>_<yyyyMMddTHHmmssZ>` or `_<yyyyMMdd>`) would create: the master's
    /// fields at the instance's time, without the rule.
    static func exception(of instanceId: String, in calendar: FakeCalendarStore.Calendar?) -> FakeJSON? {
        guard let underscore = instanceId.lastIndex(of: "_"), let calendar else { return nil }
        let masterId = String(instanceId[..<underscore]), stamp = String(instanceId[instanceId.index(after: underscore)...])
        guard let master = calendar.events[masterId], !master.deleted, master.body["recurrence"] != nil else { return nil }
        var exception = master.body
        exception["recurrence"] = nil
        exception["id"] = .string(instanceId)
        exception["recurringEventId"] = .string(masterId)
        let zone = master.body["start"]?["timeZone"] ?? .null
        if stamp.count == 8 {
            let date = "\(stamp.prefix(4))-\(stamp.dropFirst(4).prefix(2))-\(stamp.suffix(2))"
            exception["originalStartTime"] = ["date": .string(date)]
            exception["start"] = ["date": .string(date)]
            let days = master.body["end"]?["date"]?.string.flatMap { end in
                master.body["start"]?["date"]?.string.flatMap { start in
                    FakeTime.moment(["date": .string(end)]).flatMap { e in FakeTime.moment(["date": .string(start)]).map { e.timeIntervalSince($0) } }
                }
            } ?? 86_400
            exception["end"] = ["date": .string(String(FakeTime.format(FakeTime.parse(date + "T00:00:00Z")!.addingTimeInterval(days)).prefix(10)))]
        } else {
            let text = "\(stamp.prefix(4))-\(stamp.dropFirst(4).prefix(2))-\(stamp.dropFirst(6).prefix(2))T\(stamp.dropFirst(9).prefix(2)):\(stamp.dropFirst(11).prefix(2)):\(stamp.dropFirst(13).prefix(2))Z"
            guard let start = FakeTime.parse(text), let masterStart = FakeTime.moment(master.body["start"]),
                  let masterEnd = FakeTime.moment(master.body["end"]) else { return nil }
            exception["originalStartTime"] = ["dateTime": .string(FakeTime.format(start)), "timeZone": zone]
            exception["start"] = ["dateTime": .string(FakeTime.format(start)), "timeZone": zone]
            exception["end"] = ["dateTime": .string(FakeTime.format(start.addingTimeInterval(masterEnd.timeIntervalSince(masterStart)))), "timeZone": zone]
        }
        return exception
    }

    /// Start and end present, the end after the start, a series' start with its time zone.
    static func validateTimes(_ event: FakeJSON) -> FakeAnswer? {
        guard event["start"] != nil else { return .badRequest("Missing start time.", reason: "required") }
        guard event["end"] != nil else { return .badRequest("Missing end time.", reason: "required") }
        if event["recurrence"] != nil, event["start"]?["dateTime"] != nil, event["start"]?["timeZone"] == nil {
            return .badRequest("Missing time zone definition for start time.", reason: "required")
        }
        if let start = FakeTime.moment(event["start"]), let end = FakeTime.moment(event["end"]), end <= start, event["status"]?.string != "cancelled" {
            return .error("400_timeRangeEmpty")
        }
        return nil
    }
}
