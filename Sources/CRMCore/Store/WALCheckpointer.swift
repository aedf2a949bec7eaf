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

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// One PASSIVE checkpoint: the pages of the log copied now, and the pages the log holds.
    @discardableResult
    public func checkpoint() throws -> (copied: Int, logged: Int) {
        try queue.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
            return (row?[2] ?? 0, row?[1] ?? 0)
        }
    }
}

/// Who copies the write-ahead log into the database file.
public enum WALCheckpointing: Sendable {
    /// SQLite, inside the commit that makes the log long enough (the CLI: short-lived writers).
    case automatic
    /// A ``WALCheckpointer`` the caller runs (the daemon): commits never wait for a checkpoint.
    case background
}
