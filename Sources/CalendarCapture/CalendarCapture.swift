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
            let outcome = try await commit(changes, cursor: SourceCursor(source: filing.source, value: value), now: now, expandAll: expandAll)
            expandAll = false
            onCommit(cursor, outcome)
        }
    }

    /// Files an event this side just created (a follow-up) as the next sync will file it — same key, same holder — so
    /// that sync finds it instead of adding a second meeting. The cursor is left alone.
    public func file(created event: CalendarEvent, now: Date = Date()) async throws -> MeetingFiling.Outcome {
        let generation = try loadCursor().generation
        let changes = CalendarChanges(events: [event], isFullSync: false, completesFullSync: false, generation: generation, calendarTimeZone: nil)
        return try await commit(changes, cursor: nil, now: now, expandAll: false)
    }

    /// One transaction: the changes and (when given) the cursor after them; off the cooperative pool, as SQLite blocks.
    private func commit(_ changes: CalendarChanges, cursor: SourceCursor?, now: Date, expandAll: Bool) async throws -> MeetingFiling.Outcome {
        let filing = self.filing, database = self.database
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MeetingFiling.Outcome, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try database.captureHeld(generation: changes.generation, cursor: cursor) { capture in
                        try filing.apply(changes, to: capture, now: now, expandAll: expandAll)
                    }
                })
            }
        }
    }
}
