import Foundation
import NetworkSupport

/// What to sync of a calendar.
public struct CalendarSyncSettings: Sendable {
    /// The full sync starts this far back (by the events' end time); default 365 days.
    public var lookBack: Duration
    /// Only these event types (`eventTypes`); default `default` (no out-of-office, focus time, working location,
    /// birthdays).
    public var eventTypes: [String]

    public init(lookBack: Duration = .seconds(365 * 86_400), eventTypes: [String] = ["default"]) {
        self.lookBack = lookBack
        self.eventTypes = eventTypes
    }
}

/// Full and incremental sync of one calendar, by Google's rules ("Synchronize resources efficiently"):
/// - every page is followed by `nextPageToken`, an empty page included; `nextSyncToken` comes on the last page only
///   and is handed to `commit` only then;
/// - an incremental sync repeats the full sync's query without the window (`timeMin` cannot go with `syncToken`);
/// - any 410 on a sync token starts a full sync whose last page also says that what it did not see is gone.
public struct CalendarSynchronizer: Sendable {
    public let calendarId: String
    private let client: CalendarClient
    private let settings: CalendarSyncSettings

    public init(client: CalendarClient, calendarId: String = "primary", settings: CalendarSyncSettings = CalendarSyncSettings()) {
        self.client = client
        self.calendarId = calendarId
        self.settings = settings
    }

    /// Syncs, handing each page of changes to `commit` with the cursor to save with it (in one transaction), in
    /// order. Returns the cursor after the last page.
    public func sync(cursor: CalendarCursor, now: Date = Date(),
                     commit: (CalendarChanges, CalendarCursor) async throws -> Void) async throws -> CalendarCursor {
        if cursor.syncToken != nil {
            do { return try await run(cursor: cursor, full: false, commit: commit) } catch let error as CalendarError where error.isFullSyncRequired {
                // Fall through to a full sync: the token is gone, the store is reconciled at its end.
            }
        }
        var full = cursor
        full.syncToken = nil
        full.generation += 1
        full.fullSyncs += 1
        if full.windowStart == nil { full.windowStart = now.addingTimeInterval(-settings.lookBack.seconds) }
        return try await run(cursor: full, full: true, commit: commit)
    }

    private func run(cursor: CalendarCursor, full: Bool, commit: (CalendarChanges, CalendarCursor) async throws -> Void) async throws -> CalendarCursor {
        var query: [(String, String)] = [("maxResults", String(client.pageSize))]
        for type in settings.eventTypes { query.append(("eventTypes", type)) }
        if full {
            query.append(("timeMin", RFC3339.format(cursor.windowStart ?? Date(timeIntervalSince1970: 0))))
        } else {
            query.append(("syncToken", cursor.syncToken!))
        }
        var cursor = cursor
        var pageToken: String?
        repeat {
            let page = try await client.listEvents(calendarId: calendarId, query: query, pageToken: pageToken)
            // A server handing back the token it was given would keep us paging forever.
            if let next = page.nextPageToken, next == pageToken {
                throw CalendarError.invalidResponse("events.list answered page token \(next.prefix(16))… with the same token")
            }
            pageToken = page.nextPageToken
            let events = page.items ?? []
            let last = pageToken == nil
            if last {
                guard let token = page.nextSyncToken else {
                    throw CalendarError.invalidResponse("the last page of events.list has neither nextPageToken nor nextSyncToken")
                }
                cursor.syncToken = token
            }
            // An empty page in the middle carries nothing to store; it only says "go on".
            guard !events.isEmpty || last else { continue }
            cursor.eventsSynced += events.count
            let changes = CalendarChanges(events: events, isFullSync: full, completesFullSync: full && last,
                                          generation: cursor.generation, calendarTimeZone: page.timeZone)
            try await commit(changes, cursor)
        } while pageToken != nil
        return cursor
    }
}
