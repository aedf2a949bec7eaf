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
        // The file grew by whole 16 MiB chunks: a sync of a file whose size changed also writes its inode.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 0 && size % (16 << 20) == 0, "\(size)")
        // The file itself holds everything now: a fresh connection without the log sees every call.
        let copy = directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let count = try DatabaseQueue(path: copy).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity") }
        #expect(count == 3_000)
    }

    /// Under commits without pause, a passive checkpoint never reaches the log's end and SQLite never rewinds the log
    /// on its own; the checkpointer does, so the log is written from its start again instead of growing for ever.
    @Test(.timeLimit(.minutes(1))) func theLogIsRewoundWhileTheWriterCommitsWithoutPause() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("crm.sqlite").path
        let database = try CRMDatabase.open(path: path, policy: try MatchingPolicy(defaultCountry: "DE"), checkpointing: .background)
        let admin = try database.addUser(name: "Ada", email: "ada@ours.example", role: .admin, actorId: nil).id!
        _ = try database.addUser(name: "Alice", email: "alice@ours.example", role: .agent, extensions: ["201"], actorId: admin)
        let checkpointer = try WALCheckpointer(database: database, restartAfterPages: 50)
        let writing = Task.detached {
            var n = 0
            while !Task.isCancelled {
                let calls = (0..<20).map { i in
                    CapturedActivity(kind: .call, sourceKey: "pbx:\(n)-\(i)", occurredAt: Date(timeIntervalSince1970: 1_767_300_000 + Double(n)),
                                     agent: .extension("201"), direction: .inbound, participants: [.phone("+49 30 \(1_000_000 + n * 20 + i)")])
                }
                try database.capture(calls)
                n += 1
            }
            return n
        }
        var logged: [Int] = []
        for _ in 0..<12 {
            try await Task.sleep(for: .milliseconds(150))
            logged.append(try checkpointer.checkpoint().logged)
        }
        writing.cancel()
        let batches = try await writing.value
        // Rewound: a later round found a shorter log than an earlier one (without the rewind it only grows).
        #expect(logged.indices.dropFirst().contains { logged[$0] < logged[..<$0].max()! }, "\(logged)")
        #expect(try database.activities(ActivityFilter(limit: 1_000_000)).count == batches * 20)
    }

    /// A store file that cannot be synced (here: removed under the daemon) fails the rewind with a message naming the
    /// file and the system's reason, and the writer goes on.
    @Test func aRewindThatCannotSyncTheFileSaysWhichAndWhy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("crm.sqlite").path
        let database = try CRMDatabase.open(path: path, policy: try MatchingPolicy(defaultCountry: "DE"), checkpointing: .background)
        let admin = try database.addUser(name: "Ada", email: "ada@ours.example", role: .admin, actorId: nil).id!
        _ = try database.addUser(name: "Alice", email: "alice@ours.example", role: .agent, extensions: ["201"], actorId: admin)
        func calls(_ batch: Int) -> [CapturedActivity] {
            (0..<200).map { n in
                CapturedActivity(kind: .call, sourceKey: "pbx:\(batch)-\(n)", occurredAt: Date(timeIntervalSince1970: 1_767_300_000 + Double(n)),
                                 agent: .extension("201"), direction: .inbound, participants: [.phone("+49 30 \(1_000_000 + batch * 1_000 + n)")])
            }
        }
        try database.capture(calls(0))
        let checkpointer = try WALCheckpointer(database: database, restartAfterPages: 10)
        try FileManager.default.removeItem(atPath: path)

        #expect {
            try checkpointer.checkpoint()
        } throws: { error in
            "\(error)" == "could not open the store file \(path) to rewind its log: No such file or directory"
        }
        // The writer's connection (already open) goes on; a new connection could not open the removed file.
        try database.capture(calls(1))
        #expect(try database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity") } == 400)
    }
}
