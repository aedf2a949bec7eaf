@testable import CRMCore
import GRDB
import Testing

/// The raw statements of the capture path must behave like GRDB's: errors with SQLite's reason, NULL and empty text
/// kept apart, and a failed statement usable again.
@Suite struct HotStatementTests {
    @Test func aConstraintFailureIsAClearErrorAndTheStatementWorksAfterIt() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE item (key TEXT NOT NULL UNIQUE, note TEXT, size INTEGER)")
            let insert = try HotStatement(db, sql: "INSERT INTO item (key, note, size) VALUES (?, ?, ?)")
            #expect(try insert.execute("a", "", Int64(1)) == 1)
            #expect(try insert.execute("b", String?.none, Int64?.none) == 1)

            let error = #expect(throws: DatabaseError.self) { try insert.execute("a", "again", Int64(2)) }
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
            #expect(error?.message?.contains("item.key") == true)

            #expect(try insert.execute("Ж", "ünïcødé", Int64(-7)) == 1)
            let select = try HotStatement(db, sql: "SELECT note, size FROM item WHERE key = ?")
            var rows: [(String?, Int64?)] = []
            for key in ["a", "b", "Ж", "missing"] {
                try select.forEachRow(key) { row in rows.append((row.text(0), row.int64(1))) }
            }
            #expect(rows.map(\.0) == ["", nil, "ünïcødé"])
            #expect(rows.map(\.1) == [1, nil, -7])
            #expect(try HotStatement(db, sql: "SELECT size FROM item WHERE key = ?").fetchInt64("missing") == nil)
        }
    }

    /// An upsert that changes nothing reports zero rows: capture reads that as "already captured".
    @Test func anIgnoredConflictChangesNoRow() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE item (key TEXT NOT NULL UNIQUE)")
            let insert = try HotStatement(db, sql: "INSERT INTO item (key) VALUES (?) ON CONFLICT (key) DO NOTHING")
            #expect(try insert.execute("a") == 1)
            #expect(try insert.execute("a") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM item") == 1)
        }
    }
}
