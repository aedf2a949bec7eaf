import AsyncHTTPClient
import CalendarSync
import Foundation
import GoogleTestSupport
import Synchronization
import Testing

/// The token provider and the Calendar client against the fake Google: refresh, revocation, Google's retry rules,
/// idempotent insert and conditional patch.
@Suite(.timeLimit(.minutes(1))) struct OAuthAndClientTests {
    @Test func concurrentCallersShareOneRefreshAndTheTokenIsReused() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let tokens = harness.tokens()
        let got = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await tokens.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(got.count == 1)
        _ = try await tokens.accessToken()
        #expect(harness.google.tokenRequests == 1)
    }

    @Test func aRevokedRefreshTokenMeansReconnectNeededWithoutARetryLoop() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        harness.google.revokeRefreshToken("refresh-alice@our-team.example")
        let tokens = harness.tokens()
        for _ in 0..<3 {
            await #expect(throws: CalendarError.self) { try await tokens.accessToken() }
        }
        #expect(await tokens.reconnectNeeded)
        // One question to Google; the answer "revoked" is final until the account is connected again.
        #expect(harness.google.tokenRequests == 1)
        do { _ = try await tokens.accessToken() } catch let error as CalendarError {
            #expect(error.isReconnectNeeded)
            #expect(error.description.contains("Token has been expired or revoked."))
            #expect(!error.description.contains("refresh-alice"), "the refresh token never appears in an error")
        }
        // Reconnected with a new grant: works again.
        harness.google.addAccount("alice@our-team.example", refreshToken: "refresh-2")
        await tokens.replaceRefreshToken("refresh-2")
        _ = try await tokens.accessToken()
    }

    @Test func tokenEndpointServerErrorsAreRetriedAsGoogleAuthDoes() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        harness.google.failTokenRequests([503, 500])
        _ = try await harness.tokens().accessToken()
        #expect(harness.google.tokenRequests == 3)
        let waits = harness.clock.sleeps.withLock { $0 }
        #expect(waits.count == 2)
        #expect(waits[0] >= .milliseconds(850) && waits[0] <= .milliseconds(1150))
        #expect(waits[1] >= .milliseconds(1750) && waits[1] <= .milliseconds(2250))
    }

    @Test func anExpiredAccessTokenIsRefreshedOnce() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let client = harness.client()
        _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil)
        harness.google.expireAccessTokens()
        _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil)
        #expect(harness.google.tokenRequests == 2)
    }

    @Test func serverErrorsAndRateLimitsAreRetriedQuotaIsNot() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let retries = Mutex<[Int?]>([])
        let client = harness.client { status, _ in retries.withLock { $0.append(status) } }
        harness.google.failNext([.backendError, .serviceUnavailable, .tooManyRequests, .rateLimitExceeded, .userRateLimitExceeded])
        let page = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil)
        #expect(page.nextSyncToken != nil)
        #expect(retries.withLock { $0 } == [500, 503, 429, 403, 403])
        // Full jitter under a doubling ceiling: attempt n waits at most 2^n s.
        for (index, wait) in harness.clock.sleeps.withLock({ $0 }).enumerated() { #expect(wait <= .seconds(1 << (index + 1))) }

        harness.google.failNext([.quotaExceeded])
        let before = harness.google.requestLog.count
        do {
            _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil)
            Issue.record("quotaExceeded must reach the caller")
        } catch let error as CalendarError {
            #expect(error.isQuotaExceeded)
        }
        #expect(harness.google.requestLog.count == before + 1, "no quick retry on quotaExceeded")
    }

    @Test func retryAfterIsHonoured() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let client = harness.client()
        harness.google.failNext([.retryAfter("7", .tooManyRequests)])
        _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil)
        #expect(harness.clock.sleeps.withLock { $0 } == [.seconds(7)])
        // Longer than the client's longest backoff: handed to the caller, who polls again later.
        harness.google.failNext([.retryAfter("3600", .serviceUnavailable)])
        await #expect(throws: CalendarError.self) { _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: nil) }
    }

    @Test func badParameterCombinationsAreRefusedAsGoogleDoes() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let client = harness.client()
        let token = try #require(try await client.listEvents(calendarId: "primary", query: [], pageToken: nil).nextSyncToken)
        let refused: [[(String, String)]] = [
            [("syncToken", token), ("timeMin", "2026-01-01T00:00:00Z")],
            [("syncToken", token), ("q", "acme")],
            [("syncToken", token), ("showDeleted", "false")],
            [("orderBy", "startTime")],
            [("timeMin", "2026-02-01T00:00:00Z"), ("timeMax", "2026-01-01T00:00:00Z")],
            [("maxResults", "0")],
            [("eventTypes", "meeting")],
        ]
        for query in refused {
            do {
                _ = try await client.listEvents(calendarId: "primary", query: query, pageToken: nil)
                Issue.record("\(query) was accepted")
            } catch let error as CalendarError {
                #expect(error.status == 400, "\(query)")
            }
        }
        await #expect(throws: CalendarError.self) { _ = try await client.listEvents(calendarId: "primary", query: [], pageToken: "forged") }
    }

    @Test func insertWithTheSameIdTwiceCreatesOneEvent() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let client = harness.client()
        var event = CalendarEvent(id: "f0110e0123456789abcdef")
        event.summary = "Follow-up"
        event.start = EventDateTime(dateTime: "2026-12-01T10:00:00+01:00")
        event.end = EventDateTime(dateTime: "2026-12-01T10:30:00+01:00")
        event.attendees = [.init(email: "carla@acme.example")]
        let first = try await client.insertEvent(calendarId: "primary", event: event)
        let second = try await client.insertEvent(calendarId: "primary", event: event)
        #expect(first.id == second.id)
        #expect(harness.google.events(in: "alice@our-team.example").count == 1)

        var bad = event
        bad.id = "Not_Base32Hex!"
        await #expect(throws: CalendarError.self) { _ = try await client.insertEvent(calendarId: "primary", event: bad) }
    }

    @Test func aPatchOnAStaleCopyIsReappliedToTheFreshOne() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        harness.google.put(meeting("patchme001", "2026-12-02T09:00:00Z", summary: "Demo", guests: ["carla@acme.example"]), in: "alice@our-team.example")
        let client = harness.client()
        let calls = Mutex(0)
        let patched = try await client.patchEvent(calendarId: "primary", eventId: "patchme001") { current in
            let call = calls.withLock { $0 += 1; return $0 }
            // Someone edits the event between our read and our write, once.
            if call == 1 {
                harness.google.put(["id": "patchme001", "summary": "Demo (moved room)", "start": ["dateTime": "2026-12-02T09:00:00Z"],
                                    "end": ["dateTime": "2026-12-02T10:00:00Z"]], in: "alice@our-team.example")
            }
            return ["description": .string("agenda for \(current.summary ?? "")")]
        }
        #expect(calls.withLock { $0 } == 2)
        #expect(patched.description == "agenda for Demo (moved room)")
        #expect(patched.summary == "Demo (moved room)")
    }
}
