import Benchmark
import CRMCore
import Foundation
import MailCapture
import MailSync
import MailTestSupport
import Synchronization

// Issue #4: initial sync of a 10,000-message mailbox from Dovecot over TLS, matched and committed into the store,
// at most 1.0 s; a no-change re-sync on an open connection under 20 ms, without a FETCH.
// The Dovecot server and the mailbox are made once (`MAIL_BENCH_COUNT` messages, default 10,000); each iteration
// syncs into a fresh store.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(30),
        maxIterations: 10
    )

    Benchmark("Initial sync over TLS, matched and committed (MAIL_BENCH_COUNT messages, default 10,000)") { benchmark in
        let mailbox = try MailboxFixture.shared()
        for _ in benchmark.scaledIterations {
            let store = try mailbox.freshStore()  // a copy of a prepared file: a few milliseconds
            let cursor = try await mailbox.sync(into: store, cursor: MailboxCursor())
            precondition(cursor.messagesSynced == mailbox.count, "synced \(cursor.messagesSynced) of \(mailbox.count)")
        }
    }

    // The part of the above that is IMAP alone: fetching and decoding the header fields, nothing stored.
    Benchmark("Initial sync over TLS, fetch and decode only") { benchmark in
        let mailbox = try MailboxFixture.shared()
        for _ in benchmark.scaledIterations {
            try await IMAPTestConnector.withSession(mailbox.configuration) { session in
                let folders = try await mailbox.synchronizer.folders(session)
                let count = Mutex(0)
                _ = try await mailbox.synchronizer.sync(session, folders: folders, cursor: MailboxCursor()) { batch, _ in
                    count.withLock { $0 += batch.count }
                }
                precondition(count.withLock { $0 } == mailbox.count)
            }
        }
    }

    Benchmark("No-change re-sync on an open connection", configuration: .init(maxIterations: 200)) { benchmark in
        let mailbox = try MailboxFixture.shared()
        let store = try mailbox.freshStore()
        try await IMAPTestConnector.withSession(mailbox.configuration) { session in
            let folders = try await mailbox.synchronizer.folders(session)
            var cursor = try await mailbox.synchronizer.sync(session, folders: folders, cursor: MailboxCursor()) { batch, cursor in
                try mailbox.commit(batch, cursor, store)
            }
            let commits = Mutex(0)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                cursor = try await mailbox.synchronizer.sync(session, folders: folders, cursor: cursor) { _, _ in commits.withLock { $0 += 1 } }
            }
            benchmark.stopMeasurement()
            precondition(commits.withLock { $0 } == 0, "a no-change sync committed something")
        }
    }
}

/// A Dovecot with one generated mailbox, made once per benchmark process.
final class MailboxFixture: @unchecked Sendable {
    let server: DovecotServer
    let count: Int
    let configuration: IMAPClientConfiguration
    let synchronizer = MailboxSynchronizer(settings: MailboxSyncSettings(batchSize: 1000))
    let filing = MailFiling(account: "alice@our-team.example")
    private var stores = 0

    nonisolated(unsafe) private static var instance: MailboxFixture?
    private static let lock = NSLock()

    static func shared() throws -> MailboxFixture {
        try lock.withLock {
            if let instance { return instance }
            let made = try MailboxFixture(count: Int(ProcessInfo.processInfo.environment["MAIL_BENCH_COUNT"] ?? "") ?? 10_000)
            instance = made
            atexit { MailboxFixture.instance?.server.stop() }
            return made
        }
    }

    private init(count: Int) throws {
        server = try DovecotServer.start(users: ["alice@our-team.example"])
        self.count = count
        // In chunks, so a 100,000-message mailbox is written with bounded memory by the generator too.
        var written = 0
        while written < count {
            let chunk = min(20_000, count - written)
            // MAIL_BENCH_BIG_EVERY=K: every K-th message carries a ~20 MB attachment (memory must not follow it).
            let big = Int(ProcessInfo.processInfo.environment["MAIL_BENCH_BIG_EVERY"] ?? "") ?? 0
            try server.generate("alice@our-team.example", count: chunk, startIndex: written, seed: written + 1, bigEvery: big)
            written += chunk
        }
        configuration = try IMAPTestConnector.configuration(server, user: "alice@our-team.example")
    }

    private lazy var template: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mail-bench-\(getpid())-template.sqlite").path
        do {
            let database = try makeStore(path)
            try database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch { fatalError("cannot make the benchmark store: \(error)") }
        return path
    }()

    /// A store with the team and a few hundred firms, as a small sales team has: a copy of a prepared file.
    func freshStore() throws -> CRMDatabase {
        stores += 1
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mail-bench-\(getpid())-\(stores).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: template, toPath: path)
        defer { if stores > 1 { removeStore(stores - 1) } }
        return try CRMDatabase.open(path: path, policy: try MatchingPolicy(ownDomains: ["our-team.example"]))
    }

    private func removeStore(_ n: Int) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mail-bench-\(getpid())-\(n).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    private func makeStore(_ path: String) throws -> CRMDatabase {
        let database = try CRMDatabase.open(path: path, policy: try MatchingPolicy(ownDomains: ["our-team.example"]))
        let admin = try database.addUser(name: "Ada", email: "ada@our-team.example", role: .admin, actorId: nil).id!
        _ = try database.addUser(name: "Alice", email: "alice@our-team.example", role: .agent, actorId: admin)
        for n in 0..<60 {
            for base in ["acme", "globex", "initech", "umbrella", "hooli"] {
                for tld in ["com", "de", "ru"] {
                    _ = try? database.addLead(NewLead(name: "\(base) \(n) \(tld)", domains: ["\(base)\(n).\(tld)"]), actorId: admin, force: true)
                }
            }
        }
        return database
    }

    private var committed = 0
    private let memoryReport = ProcessInfo.processInfo.environment["MAIL_BENCH_MEMORY"] != nil
    func commit(_ batch: [SyncedMessage], _ cursor: MailboxCursor, _ store: CRMDatabase) throws {
        let activities = batch.compactMap { filing.activity(for: $0) }
        let value = String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self)
        try store.capture(activities, cursor: SourceCursor(source: "mail:alice", value: value))
        committed += batch.count
        // MAIL_BENCH_MEMORY=1: the process's resident memory, private (heap, SQLite's page cache) and file-backed
        // (code and libraries), every 20,000 messages committed by this process (counted across iterations: with
        // 100,000 messages, the marks up to 100,000 are the first sync, the warm-up).
        if memoryReport, committed % 20_000 < batch.count, let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            let lines = status.split(separator: "\n").filter { $0.hasPrefix("VmHWM") || $0.hasPrefix("RssAnon") || $0.hasPrefix("RssFile") }
            FileHandle.standardError.write(Data("\(committed) messages committed: \(lines.joined(separator: " | "))\n".utf8))
        }
    }

    func sync(into store: CRMDatabase, cursor: MailboxCursor) async throws -> MailboxCursor {
        try await IMAPTestConnector.withSession(configuration) { session in
            let folders = try await synchronizer.folders(session)
            return try await synchronizer.sync(session, folders: folders, cursor: cursor) { batch, cursor in try self.commit(batch, cursor, store) }
        }
    }
}
