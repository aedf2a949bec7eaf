import Foundation

/// Where a calendar's sync stands; saved with the changes it covers.
public struct CalendarCursor: Codable, Sendable, Hashable {
    /// Google's `nextSyncToken` of the last completed sync; nil: the next sync is a full one.
    public var syncToken: String?
    /// Counts full syncs. What a full sync captures is stamped with it; at its end, what carries an older stamp was
    /// not seen again and is gone.
    public var generation: Int64
    /// The start of the window meetings are captured from, fixed by the first full sync (so that a later full sync
    /// after a 410 covers the same span and cannot mistake old meetings for deleted ones).
    public var windowStart: Date?
    /// Recurring series were expanded up to here; when time moves on they are expanded further.
    public var expandedThrough: Date?
    public var eventsSynced: Int
    public var fullSyncs: Int

    public init() {
        syncToken = nil
        generation = 0
        windowStart = nil
        expandedThrough = nil
        eventsSynced = 0
        fullSyncs = 0
    }
}

/// One page of changes to commit, with what the committer must know about it.
public struct CalendarChanges: Sendable {
    public var events: [CalendarEvent]
    /// Part of a full sync (no sync token): events missing from it are not tombstoned, they are simply absent.
    public var isFullSync: Bool
    /// The last page of a full sync: what it did not see (older `generation`) was deleted meanwhile.
    public var completesFullSync: Bool
    public var generation: Int64
    /// The calendar's time zone, for all-day events.
    public var calendarTimeZone: String?

    public init(events: [CalendarEvent], isFullSync: Bool, completesFullSync: Bool, generation: Int64, calendarTimeZone: String?) {
        self.events = events
        self.isFullSync = isFullSync
        self.completesFullSync = completesFullSync
        self.generation = generation
        self.calendarTimeZone = calendarTimeZone
    }
}
