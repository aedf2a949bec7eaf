import CalendarCapture
import CalendarSync
import CRMCore
import Foundation
import GoogleTestSupport
import GRDB
import Synchronization
import Testing

/// Calendars synced into a real SQLite store through the fake Google: every scenario ends with the store's standing
/// meetings exactly what the calendar shows, nothing doubled.
@Suite(.timeLimit(.minutes(1))) struct MeetingCaptureTests {
    let alice = "alice@our-team.example"
    let bob = "bob@our-team.example"

    func key(_ id: String, _ instance: String? = nil) -> String { MeetingFiling.sourceKey(iCalUID: "\(id)@google.com", instance: instance) }

    @Test func fullThenIncrementalSyncFollowsMovesAndDeletions() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        harness.google.setEmptyPages(true)
        harness.google.put(meeting("acme0001", "2026-12-01T09:00:00Z", summary: "Acme demo", guests: ["carla@acme.example"]), in: alice)
        harness.google.put(meeting("globex01", "2026-12-02T09:00:00Z", summary: "Globex intro", guests: ["hank@globex.example"]), in: alice)
        harness.google.put(meeting("internal1", "2026-12-03T09:00:00Z", summary: "Pipeline review", guests: [bob]), in: alice)
        let capture = harness.capture(database: database, pageSize: 2)
        var cursor = try await capture.sync(now: date("2026-11-23T12:00:00Z"))
        #expect(cursor.syncToken != nil)
        #expect(try standingMeetings(database) == [
            "\(key("acme0001")) 2026-12-01T09:00:00Z Acme demo",
            "\(key("globex01")) 2026-12-02T09:00:00Z Globex intro",
            "\(key("internal1")) 2026-12-03T09:00:00Z Pipeline review",
        ])
        let acme = try row(database, key("acme0001"))
        #expect(acme.status == .matched)
        #expect(acme.companyName == "Acme GmbH")
        #expect(acme.contactName == "Carla Kunde")
        #expect(acme.agentName == "Alice Agent")
        #expect(try row(database, key("globex01")).companyName == "Globex")
        #expect(try row(database, key("internal1")).status == .internal)

        // Moved, deleted, added: an incremental sync.
        harness.google.put(meeting("acme0001", "2026-12-04T14:00:00Z", summary: "Acme demo (moved)", guests: ["carla@acme.example"]), in: alice)
        harness.google.delete(eventId: "globex01", in: alice)
        harness.google.put(meeting("acme0002", "2026-12-05T09:00:00Z", summary: "Acme contract", guests: ["carla@acme.example"]), in: alice)
        let log = harness.google.requestLog.count
        cursor = try await capture.sync(now: date("2026-11-23T12:05:00Z"))
        #expect(try standingMeetings(database) == [
            "\(key("acme0001")) 2026-12-04T14:00:00Z Acme demo (moved)",
            "\(key("acme0002")) 2026-12-05T09:00:00Z Acme contract",
            "\(key("internal1")) 2026-12-03T09:00:00Z Pipeline review",
        ])
        #expect(try row(database, key("acme0001")).id == acme.id, "a moved meeting is the same activity")
        #expect(try row(database, key("globex01")).cancelledAt != nil, "a deleted meeting is kept, cancelled")
        #expect(try meetingCount(database) == 4)
        let incremental = harness.google.requestLog.dropFirst(log)
        #expect(!incremental.isEmpty && incremental.allSatisfy { $0.contains("syncToken=") && !$0.contains("timeMin") })
        #expect(cursor.fullSyncs == 1)
    }

    @Test func recurringSeriesWithAMovedAndACancelledInstanceAcrossDST() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        // Tuesdays 10:00 Berlin, five times, across the change to summer time on 29 March.
        harness.google.put(meeting("series01", "2026-03-17T10:00:00+01:00", minutes: 30, summary: "Acme weekly", guests: ["carla@acme.example"],
                                   timeZone: "Europe/Berlin", recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5"]), in: alice)
        let capture = harness.capture(database: database)
        try await capture.sync(now: date("2026-03-01T12:00:00Z"))
        #expect(try standingMeetings(database) == [
            "\(key("series01", "20260317T090000Z")) 2026-03-17T09:00:00Z Acme weekly",
            "\(key("series01", "20260324T090000Z")) 2026-03-24T09:00:00Z Acme weekly",
            "\(key("series01", "20260331T080000Z")) 2026-03-31T08:00:00Z Acme weekly",
            "\(key("series01", "20260407T080000Z")) 2026-04-07T08:00:00Z Acme weekly",
            "\(key("series01", "20260414T080000Z")) 2026-04-14T08:00:00Z Acme weekly",
        ])
        // "This event only": the third moved to Wednesday, the fourth cancelled.
        harness.google.editInstance("series01_20260331T080000Z", in: alice, changes: [
            "start": ["dateTime": "2026-04-01T15:00:00+02:00", "timeZone": "Europe/Berlin"],
            "end": ["dateTime": "2026-04-01T15:30:00+02:00", "timeZone": "Europe/Berlin"],
        ])
        harness.google.cancelInstance("series01_20260407T080000Z", in: alice)
        try await capture.sync(now: date("2026-03-01T12:10:00Z"))
        #expect(try standingMeetings(database) == [
            "\(key("series01", "20260317T090000Z")) 2026-03-17T09:00:00Z Acme weekly",
            "\(key("series01", "20260324T090000Z")) 2026-03-24T09:00:00Z Acme weekly",
            "\(key("series01", "20260331T080000Z")) 2026-04-01T13:00:00Z Acme weekly",
            "\(key("series01", "20260414T080000Z")) 2026-04-14T08:00:00Z Acme weekly",
        ])
        #expect(try row(database, key("series01", "20260407T080000Z")).cancelledAt != nil)
        #expect(try meetingCount(database) == 5)

        // The series is shortened to three meetings: the last one goes, the moved one stays.
        harness.google.put(meeting("series01", "2026-03-17T10:00:00+01:00", minutes: 30, summary: "Acme weekly", guests: ["carla@acme.example"],
                                   timeZone: "Europe/Berlin", recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3"]), in: alice)
        try await capture.sync(now: date("2026-03-01T12:20:00Z"))
        #expect(try standingMeetings(database).count == 3)
        #expect(try row(database, key("series01", "20260414T080000Z")).cancelledAt != nil)

        // The whole series deleted: every instance cancelled.
        harness.google.delete(eventId: "series01", in: alice)
        try await capture.sync(now: date("2026-03-01T12:30:00Z"))
        #expect(try standingMeetings(database).isEmpty)
        #expect(try meetingCount(database) == 5)
    }

    @Test func anAllDayEventEndsOnItsExclusiveEndDate() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        harness.google.put([
            "id": "trade0fair", "summary": "Acme at the trade fair", "start": ["date": "2026-04-10"], "end": ["date": "2026-04-12"],
            "attendees": [["email": "carla@acme.example"], ["email": .string(alice), "responseStatus": "accepted"]],
        ], in: alice)
        try await harness.capture(database: database).sync(now: date("2026-03-01T12:00:00Z"))
        let fair = try row(database, key("trade0fair"))
        // Midnight in the calendar's zone (Europe/Berlin, UTC+2 in April), two days.
        #expect(ISO8601DateFormatter().string(from: fair.occurredAt) == "2026-04-09T22:00:00Z")
        let details = try JSONDecoder().decode([String: String].self, from: Data(fair.details.utf8))
        #expect(details["allDay"] == "true")
        #expect(details["end"] == "2026-04-11T22:00:00Z")
        #expect(fair.companyName == "Acme GmbH")
    }

    @Test func aDeadSyncTokenMeansAFullSyncThatAlsoRemovesWhatWasDeletedMeanwhile() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        for index in 0..<5 {
            harness.google.put(meeting("keep000\(index)", "2026-12-0\(index + 1)T09:00:00Z", summary: "Meeting \(index)", guests: ["carla@acme.example"]), in: alice)
        }
        let capture = harness.capture(database: database, pageSize: 2)
        try await capture.sync(now: date("2026-11-23T12:00:00Z"))
        #expect(try standingMeetings(database).count == 5)
        // While our token is dead: one meeting deleted, one moved. A full list has no tombstone for the deleted one.
        harness.google.delete(eventId: "keep0002", in: alice)
        harness.google.put(meeting("keep0004", "2026-12-20T09:00:00Z", summary: "Meeting 4 (moved)", guests: ["carla@acme.example"]), in: alice)
        harness.google.invalidateSyncTokens()
        let cursor = try await capture.sync(now: date("2026-11-23T13:00:00Z"))
        #expect(cursor.fullSyncs == 2)
        #expect(try standingMeetings(database) == [
            "\(key("keep0000")) 2026-12-01T09:00:00Z Meeting 0",
            "\(key("keep0001")) 2026-12-02T09:00:00Z Meeting 1",
            "\(key("keep0003")) 2026-12-04T09:00:00Z Meeting 3",
            "\(key("keep0004")) 2026-12-20T09:00:00Z Meeting 4 (moved)",
        ])
        #expect(try row(database, key("keep0002")).cancelledAt != nil)
        #expect(try meetingCount(database) == 5)
        #expect(harness.google.requestLog.contains { $0.contains("syncToken=") } )
    }

    @Test func theSameMeetingInTwoAgentsCalendarsIsOneActivity() async throws {
        let harness = try await Harness.start(accounts: [alice, bob])
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        // Alice invites Carla and Bob: Google puts a copy in Bob's calendar.
        harness.google.put(meeting("joint001", "2026-12-01T09:00:00Z", summary: "Acme with both of us", guests: ["carla@acme.example", bob]), in: alice)
        try await harness.capture(alice, database: database).sync(now: date("2026-11-23T12:00:00Z"))
        try await harness.capture(bob, database: database).sync(now: date("2026-11-23T12:00:00Z"))
        #expect(try meetingCount(database) == 1)
        let joint = try row(database, key("joint001"))
        #expect(joint.agentName == "Alice Agent")
        #expect(joint.direction == .outbound)
        let agents = try database.agents(ofActivity: joint.id)
        #expect(agents.count == 2)
        // Alice cancels it: gone from both calendars, cancelled once both have synced.
        harness.google.delete(eventId: "joint001", in: alice)
        try await harness.capture(alice, database: database).sync(now: date("2026-11-23T12:10:00Z"))
        #expect(try row(database, key("joint001")).cancelledAt == nil, "still in Bob's calendar until his sync says otherwise")
        try await harness.capture(bob, database: database).sync(now: date("2026-11-23T12:10:00Z"))
        #expect(try row(database, key("joint001")).cancelledAt != nil)
    }

    @Test func aSyncKilledHalfWayIsCompletedByTheNextOneWithoutDoubles() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        for index in 0..<30 {
            harness.google.put(meeting("bulk\(String(format: "%04d", index))", "2026-12-01T09:00:00Z", summary: "Meeting \(index)",
                                       guests: ["carla@acme.example"]), in: alice)
        }
        // The first page is committed, then the sync dies (here: Google's quota error, never retried quickly).
        harness.google.failNext([.quotaExceeded], after: 1)
        await #expect(throws: CalendarError.self) { try await harness.capture(database: database, pageSize: 10).sync(now: date("2026-11-23T12:00:00Z")) }
        #expect(try meetingCount(database) == 10)
        #expect(try harness.capture(database: database).loadCursor().syncToken == nil)
        // A new process: the full sync starts over and ends with every meeting once.
        let cursor = try await harness.capture(database: database, pageSize: 10).sync(now: date("2026-11-23T12:01:00Z"))
        #expect(cursor.syncToken != nil)
        #expect(try meetingCount(database) == 30)
        #expect(try standingMeetings(database).count == 30)
    }

    @Test func aRevokedTokenStopsTheSyncWithReconnectNeeded() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        harness.google.revokeRefreshToken("refresh-\(alice)")
        do {
            try await harness.capture(database: database).sync()
            Issue.record("the sync went on without a token")
        } catch let error as CalendarError {
            #expect(error.isReconnectNeeded)
        }
        #expect(harness.google.requestLog.isEmpty)
    }

    @Test func roomsAndTheAgentAreNoParticipantsAndADeclinedMeetingIsNotTheirs() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        let room = "room-1@resource.calendar.google.com"
        var roomOnly = meeting("roomonly1", "2026-12-01T09:00:00Z", summary: "Prep, room booked", guests: [])
        roomOnly["attendees"] = .array((roomOnly["attendees"]?.array ?? []) + [["email": .string(room), "resource": true]])
        harness.google.put(roomOnly, in: alice)
        var declined = meeting("declined1", "2026-12-02T09:00:00Z", summary: "Globex pitch", guests: ["hank@globex.example"], organizer: "hank@globex.example")
        declined["attendees"] = [["email": "hank@globex.example", "responseStatus": "accepted"], ["email": .string(alice), "responseStatus": "declined"]]
        harness.google.put(declined, in: alice)
        try await harness.capture(database: database).sync(now: date("2026-11-23T12:00:00Z"))
        // The room is not a customer: only colleagues remain, so the meeting is internal, not waiting for a match.
        #expect(try row(database, key("roomonly1")).status == .internal)
        #expect(try standingMeetings(database) == ["\(key("roomonly1")) 2026-12-01T09:00:00Z Prep, room booked"])
    }

    @Test func brokenEventsAndALoopingServerAreReportedNotFiled() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        harness.google.put(meeting("good0001", "2026-12-01T09:00:00Z", summary: "Acme demo", guests: ["carla@acme.example"]), in: alice)
        harness.google.put(meeting("later001", "2026-12-03T09:00:00Z", summary: "Acme follow-up", guests: ["carla@acme.example"]), in: alice)
        let unreadable = Mutex<[String]>([])
        let capture = harness.capture(database: database) { _, outcome in unreadable.withLock { $0 += outcome.unreadable } }
        try await capture.sync(now: date("2026-11-23T12:00:00Z"))
        // An update whose start cannot be read, and a new event without a start: reported, and the meeting filed
        // before stays exactly as it was (not cancelled, not moved).
        var broken = meeting("later001", "2026-12-03T09:00:00Z", summary: "Acme follow-up (garbled)", guests: ["carla@acme.example"])
        broken["start"] = ["dateTime": "next Tuesday"]
        harness.google.put(broken, in: alice)
        harness.google.put(["id": "nostart01", "summary": "No start", "end": ["dateTime": "2026-12-04T10:00:00Z"]], in: alice)
        try await capture.sync(now: date("2026-11-23T12:05:00Z"))
        #expect(unreadable.withLock { $0 }.sorted() == ["later001", "nostart01"])
        #expect(try standingMeetings(database) == [
            "\(key("good0001")) 2026-12-01T09:00:00Z Acme demo",
            "\(key("later001")) 2026-12-03T09:00:00Z Acme follow-up",
        ])

        // A server answering a page token with the same token: the sync stops with an error instead of paging forever.
        for index in 0..<5 { harness.google.put(meeting("more000\(index)", "2026-12-1\(index)T09:00:00Z", summary: "M\(index)", guests: []), in: alice) }
        harness.google.setRepeatingPageTokens(true)
        let before = harness.google.requestLog.count
        do {
            try await harness.capture(database: try makeStore(), pageSize: 2).sync(now: date("2026-11-23T12:10:00Z"))
            Issue.record("the sync did not notice the repeated page token")
        } catch let error as CalendarError {
            #expect(error.description.contains("same token"))
        }
        #expect(harness.google.requestLog.count - before == 2)
    }

    @Test func aFullSyncAfterA410KeepsTheFirstSyncsWindow() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        let database = try makeStore()
        harness.google.put(meeting("january1", "2026-01-10T09:00:00Z", summary: "Kick-off with Acme", guests: ["carla@acme.example"]), in: alice)
        let capture = harness.capture(database: database)
        try await capture.sync(now: date("2026-11-23T12:00:00Z"))
        #expect(try standingMeetings(database).count == 1)
        #expect(harness.google.requestLog.first?.contains("timeMin=2025-11-23T12%3A00%3A00Z") == true, "\(harness.google.requestLog)")
        // Months later the token dies: the new full sync looks back from the same start, so January is not taken
        // for deleted although it is now more than a year ago.
        harness.google.invalidateSyncTokens()
        try await capture.sync(now: date("2027-06-01T12:00:00Z"))
        #expect(harness.google.requestLog.last?.contains("timeMin=2025-11-23T12%3A00%3A00Z") == true)
        #expect(try standingMeetings(database) == ["\(key("january1")) 2026-01-10T09:00:00Z Kick-off with Acme"])
    }

    private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    private func row(_ database: CRMDatabase, _ sourceKey: String) throws -> ActivityRow {
        try #require(try database.activities(ActivityFilter(kind: .meeting, limit: 1000)).first { $0.sourceKey == sourceKey })
    }
}
