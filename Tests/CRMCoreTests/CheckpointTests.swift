import CRMCore
import Foundation
import GRDB
import Testing

@Suite struct CheckpointTests {
    /// The daemon's store: capture commits never checkpoint; the checkpointer beside them copies the log back, and
    /// nothing committed is lost either way.
    @Test func aBackgroundCheckpointerCopiesTheLogWhileCommitsNeverDo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("crm.sqlite").path
        let database = try CRMDatabase.open(path: path, policy: try MatchingPolicy(defaultCountry: "DE"), checkpointing: .background)
        let admin = try database.addUser(name: "Ada", email: "ada@ours.example", role: .admin, actorId: nil).id!
        _ = try database.addUser(name: "Alice", email: "alice@ours.example", role: .agent, extensions: ["201"], actorId: admin)
        let calls = (0..<3_000).map { n in
            CapturedActivity(kind: .call, sourceKey: "pbx:\(n)", occurredAt: Date(timeIntervalSince1970: 1_767_300_000 + Double(n)),
                             agent: .extension("201"), direction: .inbound, participants: [.phone("+49 30 \(1_000_000 + n)")])
        }
        for start in stride(from: 0, to: calls.count, by: 500) { try database.capture(Array(calls[start..<start + 500])) }

        // The writer never checkpoints on its own (the CLI's stores do, at 10,000 pages).
        #expect(try database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 0)
        let cli = try CRMDatabase.open(path: path, policy: try MatchingPolicy(defaultCountry: "DE"))
        #expect(try cli.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 10_000)

        let checkpointer = try WALCheckpointer(path: path)
        let first = try checkpointer.checkpoint()
        // Nothing was copied by the commits: the whole log was still there for the checkpointer.
        #expect(first.logged > 100 && first.copied == first.logged)
        #expect(try checkpointer.checkpoint().copied == first.logged)  // nothing left to do, nothing lost
        #expect(try database.activities(ActivityFilter(limit: 10_000)).count == 3_000)
        // The file itself holds everything now: a fresh connection without the log sees every call.
        let copy = directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let count = try DatabaseQueue(path: copy).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity") }
        #expect(count == 3_000)
    }
}
