import AsyncHTTPClient
import Foundation
import NetworkSupport
import NIOCore
import NIOHTTP1

/// Limits and addresses of the Calendar client.
public struct CalendarClientConfiguration: Sendable {
    /// Default `https://www.googleapis.com/calendar/v3`.
    public var baseURL: String
    /// Events per page; Google's maximum and the default here is 2500.
    public var pageSize: Int
    /// Per request; default 60 s.
    public var requestTimeout: Duration
    /// Attempts of one request before its error is thrown; default 6.
    public var maxAttempts: Int
    /// The longest wait between attempts (Google: 32 or 64 s); default 32 s. A `Retry-After` longer than this is not
    /// waited for here: the error goes to the caller, who polls again later.
    public var maximumBackoff: Duration
    /// The largest response body read; default 64 MiB (a 2500-event page is about 5 MiB).
    public var maxBodySize: Int

    public init(baseURL: String = "https://www.googleapis.com/calendar/v3", pageSize: Int = 2500, requestTimeout: Duration = .seconds(60),
                maxAttempts: Int = 6, maximumBackoff: Duration = .seconds(32), maxBodySize: Int = 64 << 20) {
        self.baseURL = baseURL
        self.pageSize = pageSize
        self.requestTimeout = requestTimeout
        self.maxAttempts = maxAttempts
        self.maximumBackoff = maximumBackoff
        self.maxBodySize = maxBodySize
    }
}

/// Calendar API v3 for one account: `events.list`, `get`, `insert`, `patch`.
///
/// Retries follow Google's client libraries (google-api-python-client `_should_retry_response`): any 5xx, 429 and
/// 403 only for `rateLimitExceeded` / `userRateLimitExceeded`, with truncated exponential backoff and full jitter,
/// `Retry-After` honoured. `quotaExceeded` and every other 4xx go straight to the caller. A 401 drops the access
/// token and tries once more with a fresh one.
public struct CalendarClient: Sendable {
    public let tokens: AccessTokenProvider
    private let http: HTTPClient
    private let configuration: CalendarClientConfiguration
    private let clock: any Clock<Duration>
    /// Waits actually slept between attempts (tests read them; the daemon logs them).
    public let onRetry: @Sendable (_ status: Int?, _ wait: Duration) -> Void

    public init(http: HTTPClient, tokens: AccessTokenProvider, configuration: CalendarClientConfiguration = CalendarClientConfiguration(),
                clock: any Clock<Duration> = ContinuousClock(), onRetry: @escaping @Sendable (Int?, Duration) -> Void = { _, _ in }) {
        self.http = http
        self.tokens = tokens
        self.configuration = configuration
        self.clock = clock
        self.onRetry = onRetry
    }

    public var pageSize: Int { configuration.pageSize }

    // MARK: events

    /// One page of `events.list`. `query` is the same on every page of one sync (Google binds page tokens to it).
    public func listEvents(calendarId: String, query: [(String, String)], pageToken: String?) async throws -> EventPage {
        var parameters = query
        if let pageToken { parameters.append(("pageToken", pageToken)) }
        let body = try await send(.GET, path: eventsPath(calendarId), query: parameters)
        return try decode(EventPage.self, body)
    }

    public func getEvent(calendarId: String, eventId: String) async throws -> CalendarEvent {
        try decode(CalendarEvent.self, try await send(.GET, path: eventsPath(calendarId) + "/" + FormEncoding.escape(eventId)))
    }

    /// Inserts `event` with the id it carries (derived from the CRM's follow-up, so a retry cannot create a second
    /// event): Google's 409 `duplicate` means an earlier attempt got through, and that event is returned.
    public func insertEvent(calendarId: String, event: CalendarEvent, sendUpdates: String = "all") async throws -> CalendarEvent {
        do {
            let body = try await send(.POST, path: eventsPath(calendarId), query: [("sendUpdates", sendUpdates)], body: try JSONEncoder().encode(event))
            return try decode(CalendarEvent.self, body)
        } catch let error as CalendarError where error.status == 409 {
            return try await getEvent(calendarId: calendarId, eventId: event.id)
        }
    }

    /// Patches the event with `If-Match`: when someone changed it meanwhile (412 `conditionNotMet`), it is read again
    /// and `change` applied to the fresh copy, as Google advises.
    public func patchEvent(calendarId: String, eventId: String, sendUpdates: String = "all",
                           change: @Sendable (CalendarEvent) -> [String: JSONValue]) async throws -> CalendarEvent {
        var current = try await getEvent(calendarId: calendarId, eventId: eventId)
        for _ in 0..<3 {
            let patch = try JSONEncoder().encode(change(current))
            var headers: [(String, String)] = []
            if let etag = current.etag { headers.append(("If-Match", etag)) }
            do {
                let body = try await send(.PATCH, path: eventsPath(calendarId) + "/" + FormEncoding.escape(eventId),
                                          query: [("sendUpdates", sendUpdates)], headers: headers, body: patch)
                return try decode(CalendarEvent.self, body)
            } catch let error as CalendarError where error.status == 412 {
                current = try await getEvent(calendarId: calendarId, eventId: eventId)
            }
        }
        throw CalendarError.api(status: 412, reason: "conditionNotMet", message: "the event kept changing while it was patched")
    }

    private func eventsPath(_ calendarId: String) -> String { "/calendars/\(FormEncoding.escape(calendarId))/events" }

    private func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(body.readableBytesView)) } catch {
            throw CalendarError.invalidResponse("\(T.self) does not decode: \(error)")
        }
    }

    // MARK: requests and retries

    private func send(_ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                      body: Data? = nil) async throws -> ByteBuffer {
        var url = configuration.baseURL + path
        if !query.isEmpty { url += "?" + FormEncoding.encode(query) }
        var retriedUnauthorized = false
        var attempt = 0
        while true {
            attempt += 1
            let token = try await tokens.accessToken()
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let status: Int
            let retryAfter: String?
            let responseBody: ByteBuffer
            do {
                let response = try await http.execute(request, timeout: .init(configuration.requestTimeout))
                status = Int(response.status.code)
                retryAfter = response.headers.first(name: "Retry-After")
                responseBody = try await response.body.collect(upTo: configuration.maxBodySize)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let failure = CalendarError.transport("\(error)")
                guard attempt < configuration.maxAttempts else { throw failure }
                try await wait(attempt: attempt, retryAfter: nil, status: nil, failure: failure)
                continue
            }
            if (200..<300).contains(status) { return responseBody }
            let (reason, message) = Self.reason(of: responseBody)
            let failure = CalendarError.api(status: status, reason: reason, message: message)
            if status == 401, !retriedUnauthorized {
                retriedUnauthorized = true
                await tokens.invalidate(token)
                continue
            }
            let retryable = status >= 500 || status == 429 || (status == 403 && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"))
            guard retryable, attempt < configuration.maxAttempts else { throw failure }
            try await wait(attempt: attempt, retryAfter: retryAfter, status: status, failure: failure)
        }
    }

    /// Truncated exponential backoff with full jitter (`rand() * 2^attempt` s, at most `maximumBackoff`), or what
    /// `Retry-After` asks for; an ask longer than `maximumBackoff` is the caller's to wait out.
    private func wait(attempt: Int, retryAfter: String?, status: Int?, failure: CalendarError) async throws {
        let delay: Duration
        if let retryAfter, let seconds = Self.retryAfterSeconds(retryAfter) {
            guard Duration.seconds(seconds) <= configuration.maximumBackoff else { throw failure }
            delay = .seconds(seconds)
        } else {
            let ceiling = min(Double(1 << min(attempt, 20)), configuration.maximumBackoff.seconds)
            delay = .milliseconds(Int64(Double.random(in: 0...ceiling) * 1000))
        }
        onRetry(status, delay)
        try await clock.sleep(for: delay)
    }

    /// `Retry-After` as delay-seconds or an HTTP date.
    static func retryAfterSeconds(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    /// The first `errors[].reason` and the message of Google's error body.
    static func reason(of body: ByteBuffer) -> (String?, String?) {
        struct Envelope: Decodable {
            struct Body: Decodable {
                struct Item: Decodable { var reason: String? }
                var errors: [Item]?
                var message: String?
            }
            var error: Body?
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body.readableBytesView)) else { return (nil, nil) }
        return (envelope.error?.errors?.first?.reason, envelope.error?.message)
    }
}

/// A JSON value, for patch bodies (`attendees` replaced whole, `status`, …).
public enum JSONValue: Codable, Sendable, Hashable {
    case string(String), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}
