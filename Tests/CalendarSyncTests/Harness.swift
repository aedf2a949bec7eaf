import AsyncHTTPClient
import CalendarCapture
import CalendarSync
import CRMCore
import Foundation
import GoogleTestSupport
import GRDB
import Synchronization

/// A clock whose sleeps return at once and are recorded: retry and backoff waits are asserted, not waited for.
final class RecordingClock: Clock, Sendable {
    typealias Instant = ContinuousClock.Instant
    var now: Instant { ContinuousClock.now }
    var minimumResolution: Duration { .zero }
    let sleeps = Mutex<[Duration]>([])
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        // Recorded to the millisecond: the time between the caller computing the deadline and this line is noise.
        let (seconds, attoseconds) = (deadline - ContinuousClock.now).components
        let milliseconds = seconds * 1000 + Int64((Double(attoseconds) / 1e15).rounded())
        sleeps.withLock { $0.append(.milliseconds(milliseconds)) }
        try Task.checkCancellation()
    }
}

/// A fake Google with one or more agents' accounts, and clients of it.
struct Harness {
    let google: FakeGoogle
    let clock = RecordingClock()

    static func start(accounts: [String] = ["alice@our-team.example"]) async throws -> Harness {
        let google = try await FakeGoogle.start()
        for account in accounts { google.addAccount(account, refreshToken: "refresh-\(account)") }
        return Harness(google: google)
    }

    func tokens(_ account: String = "alice@our-team.example", refreshToken: String? = nil) -> AccessTokenProvider {
        AccessTokenProvider(
            account: account,
            client: OAuthClientCredentials(clientId: FakeGoogle.clientId, clientSecret: FakeGoogle.clientSecret, tokenEndpoint: google.tokenEndpoint),
            refreshToken: refreshToken ?? "refresh-\(account)", http: HTTPClient.shared, clock: clock)
    }

    func client(_ account: String = "alice@our-team.example", pageSize: Int = 2500, maxAttempts: Int = 6,
                onRetry: @escaping @Sendable (Int?, Duration) -> Void = { _, _ in }) -> CalendarClient {
        CalendarClient(http: HTTPClient.shared, tokens: tokens(account),
                       configuration: CalendarClientConfiguration(baseURL: google.calendarBaseURL, pageSize: pageSize, maxAttempts: maxAttempts),
                       clock: clock, onRetry: onRetry)
    }

    func capture(_ account: String = "alice@our-team.example", database: CRMDatabase, pageSize: Int = 2500, maxAttempts: Int = 6,
                 onCommit: @escaping @Sendable (CalendarCursor, MeetingFiling.Outcome) -> Void = { _, _ in }) -> CalendarCapture {
        CalendarCapture(database: database, synchronizer: CalendarSynchronizer(client: client(account, pageSize: pageSize, maxAttempts: maxAttempts)),
                        filing: MeetingFiling(account: account), onCommit: onCommit)
    }

    func stop() async { await google.stop() }
}

/// A store with our team and two customer firms.
func makeStore() throws -> CRMDatabase {
    let path = NSTemporaryDirectory() + "calendar-test-\(UUID().uuidString).sqlite"
    let database = try CRMDatabase(try DatabasePool(path: path, configuration: CRMDatabase.makeConfiguration()),
                                   policy: MatchingPolicy(defaultCountry: "DE", ownDomains: ["our-team.example"]))
    let admin = try database.addUser(name: "Ada Admin", email: "ada@our-team.example", role: .admin, actorId: nil).id!
    _ = try database.addUser(name: "Alice Agent", email: "alice@our-team.example", role: .agent, actorId: admin)
    _ = try database.addUser(name: "Bob Agent", email: "bob@our-team.example", role: .agent, actorId: admin)
    let acme = try database.addLead(NewLead(name: "Acme GmbH", domains: ["acme.example"]), actorId: admin, force: true)
    _ = try database.addContact(companyId: acme.id!, NewContact(firstName: "Carla", lastName: "Kunde", emails: ["carla@acme.example"]), actorId: admin)
    _ = try database.addLead(NewLead(name: "Globex", domains: ["globex.example"]), actorId: admin, force: true)
    return database
}

/// A timed event as an organizer writes it.
func meeting(_ id: String, _ start: String, minutes: Int = 60, summary: String, guests: [String], organizer: String = "alice@our-team.example",
             timeZone: String? = nil, recurrence: [String]? = nil) -> FakeJSON {
    let startDate = ISO8601DateFormatter().date(from: start)!
    var event: FakeJSON = [
        "id": .string(id), "summary": .string(summary),
        "start": ["dateTime": .string(start)], "end": ["dateTime": .string(ISO8601DateFormatter().string(from: startDate.addingTimeInterval(Double(minutes) * 60)))],
        "organizer": ["email": .string(organizer)],
        "attendees": .array(([organizer] + guests).map { ["email": .string($0), "responseStatus": "accepted"] }),
    ]
    if let timeZone {
        event["start"]?["timeZone"] = .string(timeZone)
        event["end"]?["timeZone"] = .string(timeZone)
    }
    if let recurrence { event["recurrence"] = .array(recurrence.map { .string($0) }) }
    return event
}

/// The meetings in the store as (source key, start, subject), standing ones only, sorted.
func standingMeetings(_ database: CRMDatabase) throws -> [String] {
    try database.writer.read { db in
        try Row.fetchAll(db, sql: "SELECT sourceKey, occurredAt, subject FROM activity WHERE kind = 'meeting' AND cancelledAt IS NULL ORDER BY sourceKey")
            .map { row in "\(row["sourceKey"] as String) \(ISO8601DateFormatter().string(from: row["occurredAt"] as Date)) \(row["subject"] as String? ?? "")" }
    }
}

func meetingCount(_ database: CRMDatabase) throws -> Int {
    try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity WHERE kind = 'meeting'") ?? 0 }
}
