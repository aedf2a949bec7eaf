import CallCapture
import CRMCore
import Foundation
import GRDB
import Logging
import Testing

/// The queue between the sources and the store: nothing handed to it is lost while the store hiccups, one bad
/// activity does not hold back the others, and a store that stays broken cannot hang the daemon's exit.
@Suite(.timeLimit(.minutes(1))) struct CaptureQueueTests {
    static func call(_ n: Int, key: String? = nil) -> CapturedActivity {
        CapturedActivity(kind: .call, sourceKey: key ?? "pbx:test:\(n)", occurredAt: Date(timeIntervalSince1970: 1_767_300_000 + Double(n)),
                         direction: .inbound, participants: [.phone("+49 30 \(1_000_000 + n)")])
    }

    /// A store whose writer can be made to refuse every write (as a full disk or a lock would).
    static func store() throws -> (CRMDatabase, DatabaseQueue) {
        let queue = try DatabaseQueue()
        return (try CRMDatabase(queue, policy: try MatchingPolicy(defaultCountry: "DE")), queue)
    }

    static func refuseWrites(_ queue: DatabaseQueue, _ refuse: Bool) throws {
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = \(refuse ? 1 : 0)") }
    }

    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func aBatchTheStoreRefusesIsKeptAndStoredOnceTheStoreIsBack() async throws {
        let (database, sqlite) = try Self.store()
        let queue = CaptureQueue(database: database, logger: logger)
        let running = Task { try await queue.run() }
        defer { running.cancel() }
        try Self.refuseWrites(sqlite, true)
        queue.enqueue((0..<50).map { Self.call($0) }, source: "pbx")
        try await Task.sleep(for: .milliseconds(400))  // a few refused attempts
        #expect(try database.activities(ActivityFilter(limit: 100)).isEmpty)
        try Self.refuseWrites(sqlite, false)
        await queue.flushed()
        #expect(try database.activities(ActivityFilter(limit: 100)).count == 50)
    }

    @Test func oneInvalidActivityIsLeftOutAndTheRestOfItsBatchIsStored() async throws {
        let (database, _) = try Self.store()
        let queue = CaptureQueue(database: database, logger: logger)
        let running = Task { try await queue.run() }
        defer { running.cancel() }
        queue.enqueue([Self.call(1), Self.call(2, key: ""), Self.call(3)], source: "pbx")
        await queue.flushed()
        #expect(try database.activities(ActivityFilter(limit: 100)).map(\.sourceKey).sorted() == ["pbx:test:1", "pbx:test:3"])
    }

    @Test func aStoreThatStaysBrokenDoesNotHoldTheExit() async throws {
        let (database, sqlite) = try Self.store()
        let queue = CaptureQueue(database: database, logger: logger)
        try Self.refuseWrites(sqlite, true)
        let running = Task { try await queue.run() }
        queue.enqueue([Self.call(1)], source: "pbx")
        try await Task.sleep(for: .milliseconds(200))
        running.cancel()
        // Returns (the time limit of the suite would fail a hang), and whoever waits for the queue is released.
        _ = await running.result
        await queue.flushed()
        #expect(try database.activities(ActivityFilter(limit: 100)).isEmpty)
    }
}
