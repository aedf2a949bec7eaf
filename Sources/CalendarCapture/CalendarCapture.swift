import CalendarSync
import CRMCore
import Dispatch
import Foundation

/// One calendar synced into the store: each page of changes and the cursor after it in one transaction.
public struct CalendarCapture: Sendable {
    public let filing: MeetingFiling
    private let synchronizer: CalendarSynchronizer
    private let database: CRMDatabase
    /// Called after each committed page with the cursor now stored.
    private let onCommit: @Sendable (CalendarCursor, MeetingFiling.Outcome) -> Void

    public init(database: CRMDatabase, synchronizer: CalendarSynchronizer, filing: MeetingFiling,
                onCommit: @escaping @Sendable (CalendarCursor, MeetingFiling.Outcome) -> Void = { _, _ in }) {
        self.database = database
        self.synchronizer = synchronizer
        self.filing = filing
        self.onCommit = onCommit
    }

    /// The stored cursor (a fresh one when there is none or it cannot be read: a full sync then reconciles).
    public func loadCursor() throws -> CalendarCursor {
        guard let saved = try database.cursor(for: filing.source),
              let cursor = try? JSONDecoder().decode(CalendarCursor.self, from: Data(saved.value.utf8)) else { return CalendarCursor() }
        return cursor
    }

    /// Runs one sync (incremental when a token is stored, else full) and returns the cursor after it.
    @discardableResult
    public func sync(now: Date = Date()) async throws -> CalendarCursor {
        let start = try loadCursor()
        // Series are expanded a horizon ahead; once a day has passed, every series is expanded again so that a weekly
        // meeting keeps appearing.
        var expandAll = start.expandedThrough.map { $0 < now.addingTimeInterval(filing.horizon - 86_400) } ?? true
        return try await synchronizer.sync(cursor: start, now: now) { changes, cursor in
            var cursor = cursor
            if expandAll || changes.isFullSync { cursor.expandedThrough = now.addingTimeInterval(filing.horizon) }
            let value = String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self)
            let filing = self.filing, database = self.database, all = expandAll
            let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MeetingFiling.Outcome, any Error>) in
                // SQLite blocks: off the cooperative pool.
                DispatchQueue.global().async {
                    continuation.resume(with: Result {
                        try database.captureHeld(generation: changes.generation, cursor: SourceCursor(source: filing.source, value: value)) { capture in
                            try filing.apply(changes, to: capture, now: now, expandAll: all)
                        }
                    })
                }
            }
            expandAll = false
            onCommit(cursor, outcome)
        }
    }
}
