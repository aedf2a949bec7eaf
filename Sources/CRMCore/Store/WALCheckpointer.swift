import Foundation
import GRDB

/// Copies the write-ahead log back into the database file from a connection of its own, so that a long-running
/// writer (the daemon capturing calls and mail) never pays for a checkpoint inside one of its commits.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that capture batch waited
/// ~300 ms for the copy. A PASSIVE checkpoint from here copies what it can without waiting for readers or the
/// writer, who go on meanwhile. Only a store opened with `checkpointing: .background` needs one; if nothing ran
/// it, the log would grow.
public final class WALCheckpointer: Sendable {
    private let queue: DatabaseQueue
    private let writer: (any DatabaseWriter)?
    private let restartAfterPages: Int

    /// How often the daemon checkpoints: every 50 ms. A passive checkpoint copies what the log gathered since the last
    /// one, and the copy is a burst of work (a read and a write per page) beside the writer: at 5,000 webhook requests/s,
    /// rounds every 250 ms copied ~5,000 pages each, and for the ~25 ms each took every request was slower (p99 per
    /// 10,000 requests, median of 12: 11–16 ms). Rounds every 50 ms copy a fifth as much at a time (8–10 ms; 25 ms
    /// measured no better). An idle store's passive checkpoint finds nothing to copy and costs a few system calls.
    public static let interval: Duration = .milliseconds(50)

    /// How long the log may grow before it is rewound: 16,384 pages (64 MiB).
    ///
    /// Each rewind holds the writer (see ``checkpoint()``), ~1–2 ms and now and then far longer when the disk is slow to
    /// sync. At 1,000 pages, 5,000 webhook requests/s rewound it ~9 times a second (240 holds in 26 s, p50 1.65 ms, up to
    /// 8 ms), and those holds were a visible share of the p99; at 16,384, 28 holds (p50 1.1, max 2.2 ms). The passive
    /// rounds copy the log as it grows either way, so a longer log costs disk and page cache, not copying.
    public static let defaultRestartAfterPages = 16_384

    /// The checkpointer of `database`'s store (the daemon's). `restartAfterPages`: a log this long is rewound after it
    /// is copied (see ``checkpoint()``). Default: ``defaultRestartAfterPages``.
    public convenience init(database: CRMDatabase, restartAfterPages: Int = defaultRestartAfterPages) throws {
        try self.init(path: database.writer.path, writer: database.writer, restartAfterPages: restartAfterPages)
    }

    /// The checkpointer of the store at `path`. Without the store's `writer`, a long log is rewound by a RESTART
    /// checkpoint, which holds the writers back while it runs.
    public init(path: String, writer: (any DatabaseWriter)? = nil, restartAfterPages: Int = defaultRestartAfterPages) throws {
        var configuration = Configuration()
        // Only a RESTART waits, and only briefly: it holds the writers back while it waits for a reader to move on.
        configuration.busyMode = .timeout(0.1)
        // It is this connection that copies pages past the database file's end.
        configuration.prepareDatabase { db in CRMDatabase.growInChunks(db) }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        self.writer = writer
        self.restartAfterPages = restartAfterPages
    }

    /// A PASSIVE checkpoint: the pages of the log copied without waiting for readers or the writer. When the log has
    /// grown past `restartAfterPages`, it is rewound: passive passes catch up with the commits made meanwhile, the
    /// database file is synced, and the store's writer copies the last few pages between two of its transactions, so
    /// that its next commit writes the log from its start again. The writer is held ~1–2 ms (two syncs of a few pages).
    ///
    /// Without the rewind, a writer that commits without pause (a backfill, a burst of webhook requests) always has
    /// appended more by the time a passive checkpoint ends, and SQLite never rewinds the log: it grew to 890 MB over
    /// 30,000 webhook requests, every commit extending the file (the kernel zeroing each new block). A RESTART
    /// checkpoint from this connection rewinds it too, but holds the writer for the whole copy, and SQLite's busy
    /// handler sleeps 1, 2, 5, 10 … ms meanwhile: the webhook's p99 went from 13 to 49 ms.
    ///
    /// Returns the pages copied and the pages the log held.
    @discardableResult
    public func checkpoint() throws -> (copied: Int, logged: Int) {
        var (copied, logged) = try passive()
        guard logged >= restartAfterPages else { return (copied, logged) }
        guard let writer else {
            // Busy (a long reader): it goes on as a passive checkpoint and the next round tries again.
            return try queue.writeWithoutTransaction { db in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(RESTART)")
                return (row?[2] ?? copied, row?[1] ?? logged)
            }
        }
        // Each pass copies what was committed during the one before, so the passes shrink (copying is faster than the
        // commits that log the pages) until the writer can be held for the last few pages only.
        try catchUp(&copied, &logged)
        // A passive checkpoint that the commits outran leaves the pages it copied unsynced in the database file (SQLite
        // syncs it only when a checkpoint reaches the log's end): synced here, or the writer's step below would pay for
        // all of them (40 ms where the last pages take 1).
        try syncDatabaseFile()
        try catchUp(&copied, &logged)
        // And again for the last passes' pages: the writer's step syncs the database file too, and waits for whatever
        // is still unwritten in it.
        try syncDatabaseFile()
        return try writer.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            return (row?[2] ?? copied, row?[1] ?? logged)
        }
    }

    private func catchUp(_ copied: inout Int, _ logged: inout Int) throws {
        for _ in 0..<16 {
            let before = logged
            (copied, logged) = try passive()
            if logged - before <= 64 { return }
        }
    }

    /// `fdatasync`, as SQLite syncs: the data and the size, not the times (`fsync` wrote the inode on every call, and
    /// the writer's own sync of the file then waited for that write).
    private func syncDatabaseFile() throws {
        let descriptor = open(queue.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SyncFailure(step: "open", path: queue.path, code: errno) }
        defer { close(descriptor) }
        guard fdatasync(descriptor) == 0 else { throw SyncFailure(step: "sync", path: queue.path, code: errno) }
    }

    private func passive() throws -> (copied: Int, logged: Int) {
        try queue.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            return (row?[2] ?? 0, row?[1] ?? 0)
        }
    }
}

extension WALCheckpointer {
    /// The database file could not be opened or synced before a rewind: which file, and the system's reason.
    public struct SyncFailure: Error, CustomStringConvertible {
        /// "open" or "sync".
        public let step: String
        public let path: String
        public let code: Int32

        public var description: String { "could not \(step) the store file \(path) to rewind its log: \(String(cString: strerror(code)))" }
    }
}

/// Who copies the write-ahead log into the database file.
public enum WALCheckpointing: Sendable {
    /// SQLite, inside the commit that makes the log long enough (the CLI: short-lived writers).
    case automatic
    /// A ``WALCheckpointer`` the caller runs (the daemon): commits never wait for a checkpoint.
    case background
}
