import Foundation
import GoogleTestSupport
import GRDB
import Testing

/// Calendar capture and scheduling through the running daemon against the fake Google.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CalendarDaemonTests {
    static let alice = "alice@our-team.example"

    struct Team {
        let connectord: ConnectordProcess
        let token: String
        let carla: Int64

        init() throws {
            connectord = try ConnectordProcess()
            let c = connectord
            try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@our-team.example", "--role", "admin")
            try c.ok("users", "add", "--as", "1", "--name", "Alice Sales", "--email", CalendarDaemonTests.alice, "--role", "agent")
            token = try c.ok("users", "token-create", CalendarDaemonTests.alice, "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
            try c.ok("leads", "add", "--as", "1", "--name", "Acme GmbH", "--domain", "acme.example")
            let contact = try c.ok("contacts", "add", "--as", "1", "--company", "1", "--first-name", "Carla", "--last-name", "Kunde",
                                   "--email", "carla@acme.example", "--json")
            carla = Int64((try JSONSerialization.jsonObject(with: Data(contact.utf8)) as? [String: Any])?["id"] as? Int ?? 0)
        }

        func environment(_ google: FakeGoogle) -> [String: String] {
            [
                "CONNECTORD_GOOGLE_CLIENT_ID": FakeGoogle.clientId,
                "CONNECTORD_GOOGLE_CLIENT_SECRET": "env:GOOGLE_SECRET",
                "GOOGLE_SECRET": FakeGoogle.clientSecret,
                "CONNECTORD_GOOGLE_ACCOUNTS": "\(CalendarDaemonTests.alice)=env:ALICE_GRANT",
                "ALICE_GRANT": "refresh-alice",
                "CONNECTORD_GOOGLE_TOKEN_ENDPOINT": google.tokenEndpoint,
                "CONNECTORD_CALENDAR_API_BASE": google.calendarBaseURL,
                "CONNECTORD_CALENDAR_POLL_SECONDS": "1",
                "CONNECTORD_CRM_OWN_DOMAINS": "our-team.example",
            ]
        }

        func daemonArguments(_ daemon: RunningDaemon) -> [String] { ["--daemon", "http://127.0.0.1:\(daemon.port)", "--token", token] }

        func meetings() throws -> [(key: String, company: Int64?, cancelled: Bool)] {
            var configuration = Configuration()
            configuration.readonly = true
            return try DatabaseQueue(path: connectord.environment["CONNECTORD_STORE_PATH"]!, configuration: configuration).read { db in
                try Row.fetchAll(db, sql: "SELECT sourceKey, companyId, cancelledAt FROM activity WHERE kind = 'meeting' ORDER BY sourceKey").map {
                    ($0["sourceKey"], $0["companyId"], ($0["cancelledAt"] as String?) != nil)
                }
            }
        }

        func wait(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? condition()) == true { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try condition()
        }
    }

    @Test("meetings captured, moved and cancelled while the daemon polls; a follow-up scheduled from the CLI lands in Google and the CRM once; status per calendar")
    func captureAndSchedule() async throws {
        let google = try await FakeGoogle.start()
        defer { Task { await google.stop() } }
        google.addAccount(Self.alice, refreshToken: "refresh-alice")
        let team = try Team()
        google.put(meeting("demo0001", "2026-12-01T09:00:00Z", summary: "Acme demo", guests: ["carla@acme.example"]), in: Self.alice)
        google.put(meeting("lunch001", "2026-12-02T12:00:00Z", summary: "Lunch with a prospect", guests: ["someone@newco.example"]), in: Self.alice)
        let daemon = try RunningDaemon(team.connectord, environment: team.environment(google))
        #expect(try await team.wait(20) { try team.meetings().count == 2 }, "\(daemon.log)")
        let demo = try #require(try team.meetings().first { $0.key == "meeting:demo0001@google.com" })
        #expect(demo.company == 1)

        google.put(meeting("demo0001", "2026-12-03T09:00:00Z", summary: "Acme demo (moved)", guests: ["carla@acme.example"]), in: Self.alice)
        google.delete(eventId: "lunch001", in: Self.alice)
        #expect(try await team.wait(20) { try team.meetings().first { $0.key == "meeting:lunch001@google.com" }?.cancelled == true })
        let listed = try team.connectord.ok("activities", "--as", "1", "--kind", "meeting", "--json")
        #expect(listed.contains("Acme demo (moved)"))

        let scheduled = try team.connectord.run(["meeting", "schedule", "--contact", "\(team.carla)", "--at", "2026-12-10T15:00:00+01:00",
                                                 "--duration", "45m", "--title", "Contract review", "--json"] + team.daemonArguments(daemon))
        #expect(scheduled.status == 0, "\(scheduled.stderr)")
        let events = google.events(in: Self.alice).filter { $0["summary"]?.string == "Contract review" }
        #expect(events.count == 1)
        #expect(events.first?["attendees"]?.array?.contains { $0["email"]?.string == "carla@acme.example" } == true)
        #expect(events.first?["end"]?["dateTime"]?.string.flatMap { ISO8601DateFormatter().date(from: $0) } == ISO8601DateFormatter().date(from: "2026-12-10T14:45:00Z"))
        let eventId = try #require(events.first?["id"]?.string)
        #expect(scheduled.stdout.contains("Acme GmbH"))
        // The next polls see the event again: still one meeting for it.
        try await Task.sleep(for: .seconds(3))
        #expect(try team.meetings().filter { $0.key == "meeting:\(eventId)@google.com" }.count == 1)
        #expect(try team.meetings().count == 3)

        let status = try team.connectord.run(["status"] + team.daemonArguments(daemon))
        #expect(status.stdout.contains("calendar \(Self.alice)"))
        #expect(status.stdout.contains("idle") || status.stdout.contains("syncing"))
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("refresh-alice"), "the refresh token never appears in the log")
        #expect(!daemon.log.contains(FakeGoogle.clientSecret))
    }

    @Test("a revoked grant shows as reconnect needed; Google is not asked again and again")
    func revokedGrant() async throws {
        let google = try await FakeGoogle.start()
        defer { Task { await google.stop() } }
        google.addAccount(Self.alice, refreshToken: "refresh-alice")
        google.revokeRefreshToken("refresh-alice")
        let team = try Team()
        let daemon = try RunningDaemon(team.connectord, environment: team.environment(google))
        var status = ""
        #expect(try await team.wait(20) {
            status = try team.connectord.run(["status"] + team.daemonArguments(daemon)).stdout
            return status.contains("reconnect needed")
        }, "\(status)")
        try await Task.sleep(for: .seconds(2))
        #expect(google.tokenRequests == 1)
        #expect(daemon.stop() == 0)
    }

    @Test("killed with SIGKILL in the middle of a full sync and restarted: every meeting once")
    func killedMidSync() async throws {
        let google = try await FakeGoogle.start()
        defer { Task { await google.stop() } }
        google.addAccount(Self.alice, refreshToken: "refresh-alice")
        let team = try Team()
        for index in 0..<3000 {
            google.put(meeting("bulk\(String(format: "%05d", index))", "2026-12-01T09:00:00Z", summary: "Meeting \(index)", guests: ["carla@acme.example"]),
                       in: Self.alice)
        }
        // Every page is slowed down by an injected retry, so the kill lands between pages.
        google.failNext(Array(repeating: .retryAfter("1", .backendError), count: 2), after: 1)
        let daemon = try RunningDaemon(team.connectord, environment: team.environment(google))
        _ = try await team.wait(20) { try team.meetings().count >= 2500 }
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        let before = try team.meetings().count
        #expect(before < 3000, "the kill came after the sync had finished")
        let again = try RunningDaemon(team.connectord, environment: team.environment(google))
        #expect(try await team.wait(30) { try team.meetings().count == 3000 }, "had \(before) before the restart")
        try await Task.sleep(for: .seconds(2))
        let meetings = try team.meetings()
        #expect(meetings.count == 3000)
        #expect(Set(meetings.map(\.key)).count == 3000)
        #expect(meetings.allSatisfy { !$0.cancelled && $0.company == 1 })
        #expect(again.stop() == 0)
    }
}

/// A timed event as an organizer writes it.
func meeting(_ id: String, _ start: String, minutes: Int = 60, summary: String, guests: [String], organizer: String = CalendarDaemonTests.alice) -> FakeJSON {
    let startDate = ISO8601DateFormatter().date(from: start)!
    return [
        "id": .string(id), "summary": .string(summary),
        "start": ["dateTime": .string(start)], "end": ["dateTime": .string(ISO8601DateFormatter().string(from: startDate.addingTimeInterval(Double(minutes) * 60)))],
        "organizer": ["email": .string(organizer)],
        "attendees": .array(([organizer] + guests).map { ["email": .string($0), "responseStatus": "accepted"] }),
    ]
}
