import Foundation
import GRDB
import GRDBSQLite

/// The CRM store: one SQLite database reached through GRDB. Every write runs in one transaction.
///
/// Use ``open(path:policy:)`` in the daemon and CLI (a WAL `DatabasePool`: the HTTP API reads while sources
/// write); tests may pass any `DatabaseWriter`, an in-memory `DatabaseQueue` included.
public final class CRMDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// The matching rules' settings: default country, our own domains, free-mail and blocklists.
    public let policy: MatchingPolicy
    let clock: @Sendable () -> Date

    public init(_ writer: any DatabaseWriter, policy: MatchingPolicy = MatchingPolicy(), clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.writer = writer
        self.policy = policy
        self.clock = clock
        try Migrations.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the store at `path` in WAL mode with foreign keys on.
    public static func open(path: String, policy: MatchingPolicy = MatchingPolicy(), checkpointing: WALCheckpointing = .automatic) throws -> CRMDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let pool = try DatabasePool(path: path, configuration: makeConfiguration(checkpointing: checkpointing))
        return try CRMDatabase(pool, policy: policy)
    }

    /// Foreign keys on (GRDB's default, stated here because the store relies on it) and a busy timeout so
    /// that the CLI and the daemon can write the same file.
    public static func makeConfiguration(checkpointing: WALCheckpointing = .automatic) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL makes NORMAL durable across application crashes (only a power loss can drop the last commits).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Capture looks up phones and emails at random in indexes of millions of rows: a 32 MiB page cache per
            // connection keeps the hot B-tree pages (SQLite's default is 2 MiB).
            // No memory map (SQLite's default, mmap_size 0): every mapped page of the store counted as this process's
            // resident memory, which then grew with the store (380 MB against 73 MB in the 1M-contact capture
            // benchmark; it made a 100,000-message sync's peak grow), and lookups and capture measured within 8 %
            // without it.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Statement journals (a savepoint per webhook message, a constraint checked mid-statement) in memory: on
            // disk SQLite created, wrote and unlinked a temporary file for every such transaction.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            switch checkpointing {
            case .automatic: try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            case .background:
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                growInChunks(db)
            }
        }
        return configuration
    }

    /// The database file grows (and a checkpoint's truncation shrinks it) by 16 MiB at a time instead of a page.
    ///
    /// A sync of a file whose size changed also writes its inode, and on the daemon's busy store a growing file made
    /// nearly every checkpoint's sync do so: one of them, inside the step that holds the writer to rewind the log
    /// (see ``WALCheckpointer``), once waited 139 ms for that one block, and every webhook request waited with it.
    static func growInChunks(_ db: Database) {
        var bytes: Int32 = 16 << 20
        _ = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_CHUNK_SIZE, &bytes)
    }

    /// The journal mode SQLite reports ("wal" for a store opened with ``open(path:policy:)``).
    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    func now() -> Date { clock() }
}
