import AsyncHTTPClient
import CalendarCapture
import CalendarSync
import CRMCore
import Foundation
import GoogleTestSupport
import GRDB

/// The fake Google with a 20,000-event calendar and a store template, made once per benchmark process.
public final class CalendarFixture: @unchecked Sendable {
    public static let count = 20_000
    public static let account = "alice@our-team.example"
    public let google: FakeGoogle
    let template: String
    public let now = ISO8601DateFormatter().date(from: "2026-11-23T12:00:00Z")!
    private var stores = 0
    private let lock = NSLock()

    nonisolated(unsafe) private static var instance: CalendarFixture?

    public static func shared() async throws -> CalendarFixture {
        if let instance { return instance }
        let made = try await CalendarFixture()
        instance = made
        return made
    }

    private init() async throws {
        google = try await FakeGoogle.start()
        google.addAccount(Self.account, refreshToken: "refresh-alice")
        // A year of meetings with customers: most single, one in fifty a weekly series, one in a hundred all-day.
        let base = ISO8601DateFormatter().date(from: "2026-01-05T08:00:00Z")!
        for index in 0..<Self.count {
            let start = base.addingTimeInterval(Double(index % 365) * 86_400 + Double(index % 9) * 3600)
            var event: FakeJSON = [
                "id": .string("ev\(String(index, radix: 32))x"), "summary": .string("Meeting \(index) with firm \(index % 1000)"),
                "start": ["dateTime": .string(ISO8601DateFormatter().string(from: start)), "timeZone": "Europe/Berlin"],
                "end": ["dateTime": .string(ISO8601DateFormatter().string(from: start.addingTimeInterval(3600))), "timeZone": "Europe/Berlin"],
                "organizer": ["email": .string(Self.account)],
                "attendees": [
                    ["email": .string(Self.account), "responseStatus": "accepted"],
                    ["email": .string("buyer\(index % 7)@firm\(index % 1000).example"), "responseStatus": "needsAction"],
                    ["email": .string("room-\(index % 5)@resource.calendar.google.com"), "resource": true],
                ],
            ]
            if index % 50 == 0 { event["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=10"] }
            if index % 100 == 1 {
                let day = String(ISO8601DateFormatter().string(from: start).prefix(10))
                event["start"] = ["date": .string(day)]
                event["end"] = ["date": .string(String(ISO8601DateFormatter().string(from: start.addingTimeInterval(86_400)).prefix(10)))]
            }
            google.put(event, in: Self.account)
        }
        template = NSTemporaryDirectory() + "calendar-bench-template-\(getpid()).sqlite"
        try? FileManager.default.removeItem(atPath: template)
        let database = try CRMDatabase(try DatabaseQueue(path: template), policy: MatchingPolicy(defaultCountry: "DE", ownDomains: ["our-team.example"]))
        let admin = try database.addUser(name: "Ada Admin", email: "ada@our-team.example", role: .admin, actorId: nil).id!
        _ = try database.addUser(name: "Alice Agent", email: Self.account, role: .agent, actorId: admin)
        for firm in 0..<1000 {
            let company = try database.addLead(NewLead(name: "Firm \(firm) GmbH", domains: ["firm\(firm).example"]), actorId: admin, force: true)
            _ = try database.addContact(companyId: company.id!, NewContact(firstName: "Buyer", lastName: "\(firm)", emails: ["buyer0@firm\(firm).example"]), actorId: admin)
        }
    }

    /// A copy of the template store (a fresh store per iteration, without rebuilding it).
    public func freshStore() throws -> CRMDatabase {
        let path = lock.withLock { stores += 1; return NSTemporaryDirectory() + "calendar-bench-\(getpid())-\(stores).sqlite" }
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: template, toPath: path)
        return try CRMDatabase.open(path: path, policy: MatchingPolicy(defaultCountry: "DE", ownDomains: ["our-team.example"]))
    }

    public func capture(_ store: CRMDatabase) -> CalendarCapture {
        let tokens = AccessTokenProvider(
            account: Self.account, client: OAuthClientCredentials(clientId: FakeGoogle.clientId, clientSecret: FakeGoogle.clientSecret, tokenEndpoint: google.tokenEndpoint),
            refreshToken: "refresh-alice", http: HTTPClient.shared)
        let client = CalendarClient(http: HTTPClient.shared, tokens: tokens, configuration: CalendarClientConfiguration(baseURL: google.calendarBaseURL))
        return CalendarCapture(database: store, synchronizer: CalendarSynchronizer(client: client), filing: MeetingFiling(account: Self.account))
    }

    private var synced: CalendarCapture?
    private var round = 0

    /// One store synced in full, kept for the incremental samples.
    public func syncedCapture() async throws -> CalendarCapture {
        if let synced = lock.withLock({ synced }) { return synced }
        let capture = capture(try freshStore())
        try await capture.sync(now: now)
        lock.withLock { synced = capture }
        return capture
    }

    /// `count` changes: edits of existing meetings (the kind of change a day brings).
    public func change(_ count: Int) {
        let round = lock.withLock { self.round += 1; return self.round }
        for offset in 0..<count {
            let index = (round * count + offset) * 7 % Self.count
            let id = "ev\(String(index, radix: 32))x"
            guard var event = google.event(id, in: Self.account) else { continue }
            event["summary"] = .string("Meeting \(index), moved in round \(round)")
            google.put(event, in: Self.account)
        }
    }
}
