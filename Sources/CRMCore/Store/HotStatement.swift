import GRDB
import GRDBSQLite

/// A prepared statement bound and stepped through SQLite's C API, for the handful of statements capture runs for
/// every call, email and meeting.
///
/// GRDB's `StatementArguments` box each value in an existential, copy them into arrays and validate them on every
/// execution, and each fetched `Row` is an object: on the capture path that was a fifth of the time. Here the
/// values are bound where they are (a parameter pack, no boxing) and columns are read in place.
///
/// The statement is GRDB's, prepared by `Database.cachedStatement` under SQL that only this type runs, so GRDB
/// never executes it with bindings it did not set. Every use resets it, so no statement stays active across a
/// commit.
struct HotStatement {
    private let statement: Statement
    private let connection: OpaquePointer?

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// Runs a statement that returns no rows (INSERT, UPDATE); returns the number of rows it changed.
    @discardableResult
    func execute<each Value: HotBindable>(_ values: repeat each Value) throws -> Int {
        let handle = try bind(repeat each values)
        defer { sqlite3_reset(handle) }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw error(code) }
        return Int(sqlite3_changes(connection))
    }

    /// Runs a query and calls `row` for each row it returns, with the column reader valid during that call only.
    func forEachRow<each Value: HotBindable>(_ values: repeat each Value, row: (HotRow) throws -> Void) throws {
        let handle = try bind(repeat each values)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code) }
            try row(HotRow(handle: handle))
        }
    }

    /// The first row's first column as an integer; nil when there is no row or it is NULL.
    func fetchInt64<each Value: HotBindable>(_ values: repeat each Value) throws -> Int64? {
        var result: Int64?
        let handle = try bind(repeat each values)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW {
            result = HotRow(handle: handle).int64(0)
        } else if code != SQLITE_DONE {
            throw error(code)
        }
        return result
    }

    private func bind<each Value: HotBindable>(_ values: repeat each Value) throws -> OpaquePointer {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        var index: Int32 = 0
        for value in repeat each values {
            index += 1
            let code = value.bind(to: handle, at: index)
            guard code == SQLITE_OK else { throw error(code) }
        }
        return handle
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
                      message: String(cString: sqlite3_errmsg(connection)), sql: statement.sql)
    }
}

/// The current row of a ``HotStatement``.
struct HotRow {
    fileprivate let handle: OpaquePointer

    /// The column as an integer; nil when it is NULL.
    func int64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    /// The column as text; nil when it is NULL.
    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}

/// A value a ``HotStatement`` binds without boxing.
protocol HotBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

/// SQLite copies the text before the call returns (the value may live in a temporary buffer).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension String: HotBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        return text.withUTF8 { bytes in
            // A zero-length buffer may have no base address; SQLite reads a nil pointer as NULL, not "".
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { sqlite3_bind_text(statement, index, $0, Int32(bytes.count), transient) }
        }
    }
}

extension Int64: HotBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
}

extension Optional: HotBindable where Wrapped: HotBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}
