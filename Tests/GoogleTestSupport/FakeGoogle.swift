import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A fake Google on loopback: the OAuth token endpoint and Calendar API v3 (`events` list/get/insert/patch/delete),
/// following Google's documented behaviour as collected in the project's reference folder (discovery document,
/// documented error bodies, the sync guide), with hooks to make it misbehave the way Google does: revoked refresh
/// tokens, expired access tokens, invalidated sync tokens (410), empty pages, rate limits and quota errors.
///
/// Where Google's exact answer is not documented the fake says so in a comment (the 400 bodies of some validation
/// rules). It does not expand series (`singleEvents=true` answers 501) and does not check that an instance id names an
/// occurrence of its series.
public final class FakeGoogle: Sendable {
    public static let clientId = "connectord-test.apps.googleusercontent.com"
    public static let clientSecret = "test-client-secret"

    /// A failure served instead of the next API answer(s).
    public enum Fault: Sendable {
        case backendError, serviceUnavailable, rateLimitExceeded, userRateLimitExceeded, tooManyRequests, quotaExceeded
        /// Any of the above with a `Retry-After` header.
        indirect case retryAfter(String, Fault)
    }

    struct Account: Sendable {
        var email: String
        var refreshToken: String
        var revoked = false
    }

    struct State: Sendable {
        var store = FakeCalendarStore()
        var accounts: [String: Account] = [:]
        /// access token → (account, expiry).
        var accessTokens: [String: (String, Date)] = [:]
        var issued = 0
        var accessTokenLifetime = 3599
        var faults: [Fault] = []
        /// API requests to let through before the faults are served.
        var faultsAfter = 0
        var tokenEndpointFaults: [Int] = []
        /// refresh token → the access token always issued for it (a mail server in the test expects that one).
        var fixedAccessTokens: [String: String] = [:]
        var tokenRequests = 0
        var requestLog: [String] = []
    }

    let state = Mutex(State())
    public let port: Int
    private let task: Task<Void, any Error>

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var tokenEndpoint: String { baseURL + "/token" }
    public var calendarBaseURL: String { baseURL + "/calendar/v3" }

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// Starts the fake on a free loopback port.
    public static func start() async throws -> FakeGoogle {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let holder = StateHolder()
        let router = Router()
        FakeGoogleRoutes(holder: holder).register(on: router)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0); continuation.finish() },
            logger: { var logger = Logger(label: "fake-google"); logger.logLevel = .critical; return logger }())
        let task = Task { try await app.runService() }
        var port = 0
        for await value in ports { port = value }
        let fake = FakeGoogle(port: port, task: task)
        holder.fake.withLock { $0 = fake }
        return fake
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    // MARK: Test hooks: accounts and tokens

    /// An account with a calendar, reachable with `refreshToken`.
    public func addAccount(_ email: String, refreshToken: String, timeZone: String = "Europe/Berlin") {
        state.withLock {
            $0.accounts[refreshToken] = Account(email: email.lowercased(), refreshToken: refreshToken)
            $0.store.calendars[email.lowercased()] = FakeCalendarStore.Calendar(owner: email.lowercased(), timeZone: timeZone)
        }
    }

    /// The user revoked access: the refresh token answers `invalid_grant` from now on.
    public func revokeRefreshToken(_ token: String) { state.withLock { $0.accounts[token]?.revoked = true } }

    /// Every access token issued so far expires now (the API answers 401 authError).
    public func expireAccessTokens() { state.withLock { $0.accessTokens = [:] } }

    public func setAccessTokenLifetime(_ seconds: Int) { state.withLock { $0.accessTokenLifetime = seconds } }

    /// Issues `accessToken` for `refreshToken` every time (the test Dovecot accepts a fixed XOAUTH2 token per user).
    public func issueFixedAccessToken(_ accessToken: String, forRefreshToken refreshToken: String) {
        state.withLock { $0.fixedAccessTokens[refreshToken] = accessToken }
    }

    /// The next token requests answer these HTTP statuses (500, 503 …) before working again.
    public func failTokenRequests(_ statuses: [Int]) { state.withLock { $0.tokenEndpointFaults += statuses } }

    /// How many refresh requests reached the token endpoint.
    public var tokenRequests: Int { state.withLock { $0.tokenRequests } }

    // MARK: Test hooks: calendars

    /// Writes an event as its organizer would in Google Calendar (new, or changed), completing what Google fills in.
    public func put(_ event: FakeJSON, in owner: String) {
        state.withLock { state in
            var event = event
            Self.complete(&event, owner: owner.lowercased(), existing: state.store.calendars[owner.lowercased()]?.events[event["id"]?.string ?? ""]?.body)
            state.store.put(event, in: owner.lowercased())
        }
    }

    /// Deletes an event (a whole series with its exceptions) as its organizer would.
    public func delete(eventId: String, in owner: String) { state.withLock { $0.store.delete(id: eventId, in: owner.lowercased()) } }

    /// Edits one instance of a series as its organizer would ("this event" only): Google stores an exception with the
    /// instance's id (`<master>_<original start>`), `recurringEventId` and `originalStartTime`.
    public func editInstance(_ instanceId: String, in owner: String, changes: [String: FakeJSON]) {
        state.withLock { state in
            let owner = owner.lowercased()
            guard var event = state.store.calendars[owner]?.events[instanceId]?.body
                ?? FakeGoogleRoutes.exception(of: instanceId, in: state.store.calendars[owner]) else { return }
            for (key, value) in changes { event[key] = value }
            state.store.put(event, in: owner)
        }
    }

    /// Cancels one instance of a series ("delete this event"): a cancelled exception stays for the series' lifetime.
    public func cancelInstance(_ instanceId: String, in owner: String) { editInstance(instanceId, in: owner, changes: ["status": "cancelled"]) }

    /// The current body of an event (nil when unknown or deleted).
    public func event(_ id: String, in owner: String) -> FakeJSON? {
        state.withLock { state in
            guard let stored = state.store.calendars[owner.lowercased()]?.events[id], !stored.deleted else { return nil }
            return stored.body
        }
    }

    /// The events a calendar shows now (deleted ones left out; cancelled instances included).
    public func events(in owner: String) -> [FakeJSON] {
        state.withLock { state in
            guard let calendar = state.store.calendars[owner.lowercased()] else { return [] }
            return calendar.order.compactMap { calendar.events[$0] }.filter { !$0.deleted }.map(\.body)
        }
    }

    /// Every sync token issued so far answers 410 (Google expired them, or an ACL changed).
    public func invalidateSyncTokens() { state.withLock { $0.store.tokensValidFrom = $0.store.sequence + 1 } }

    /// Serve an empty page (with a nextPageToken) before every page of results, as Google may.
    public func setEmptyPages(_ on: Bool) { state.withLock { $0.store.emptyPages = on } }

    /// Misbehave: answer every page token with the same token again.
    public func setRepeatingPageTokens(_ on: Bool) { state.withLock { $0.store.repeatPageTokens = on } }

    /// The next API requests fail like this, one fault per request, after `after` requests went through.
    public func failNext(_ faults: [Fault], after: Int = 0) {
        state.withLock {
            $0.faults += faults
            $0.faultsAfter = after
        }
    }

    /// "METHOD path?query" of every API request, oldest first.
    public var requestLog: [String] { state.withLock { $0.requestLog } }

    /// What Google fills in on a write: kind, iCalUID, status, organizer and creator, html link, created.
    static func complete(_ event: inout FakeJSON, owner: String, existing: FakeJSON?) {
        let id = event["id"]?.string ?? ""
        event["kind"] = "calendar#event"
        if event["status"] == nil { event["status"] = "confirmed" }
        if event["iCalUID"] == nil { event["iCalUID"] = existing?["iCalUID"] ?? .string("\(id)@google.com") }
        if event["organizer"] == nil { event["organizer"] = existing?["organizer"] ?? ["email": .string(owner)] }
        if event["creator"] == nil { event["creator"] = existing?["creator"] ?? ["email": .string(owner)] }
        if event["created"] == nil { event["created"] = existing?["created"] ?? .string(FakeTime.format(Date())) }
        if event["eventType"] == nil { event["eventType"] = "default" }
        event["htmlLink"] = .string("https://www.google.com/calendar/event?eid=\(Data(id.utf8).base64EncodedString())")
    }
}

/// Lets the routes reach the fake once it exists (the port is known only after the server started).
final class StateHolder: Sendable {
    let fake = Mutex<FakeGoogle?>(nil)
    func withState<T>(_ body: (inout FakeGoogle.State) -> T) -> T {
        guard let fake = fake.withLock({ $0 }) else { fatalError("the fake is not started") }
        return fake.state.withLock { body(&$0) }
    }
}
