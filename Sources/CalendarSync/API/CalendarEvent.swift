/// An event as Calendar API v3 returns it (the fields capture uses; `calendar.v3.json`, schema `Event`).
///
/// Everything but `id` is optional: a deleted event arrives in an incremental sync as a tombstone with only `id` and
/// `status: cancelled` (a cancelled instance adds `recurringEventId` and `originalStartTime`).
public struct CalendarEvent: Codable, Sendable, Hashable {
    public var id: String
    /// confirmed (default), tentative, cancelled.
    public var status: String?
    public var etag: String?
    public var iCalUID: String?
    public var summary: String?
    public var description: String?
    public var location: String?
    public var htmlLink: String?
    public var start: EventDateTime?
    public var end: EventDateTime?
    /// RRULE / EXRULE / RDATE / EXDATE lines of a recurring series' master.
    public var recurrence: [String]?
    /// On an instance or exception: the master's id, and where the instance would start by the rule.
    public var recurringEventId: String?
    public var originalStartTime: EventDateTime?
    public var attendees: [Attendee]?
    public var organizer: Person?
    public var updated: String?
    public var eventType: String?
    public var extendedProperties: ExtendedProperties?

    public init(id: String) { self.id = id }

    public var isCancelled: Bool { status == "cancelled" }

    /// Who takes part.
    public struct Attendee: Codable, Sendable, Hashable {
        public var email: String?
        public var displayName: String?
        /// needsAction, declined, tentative, accepted.
        public var responseStatus: String?
        public var organizer: Bool?
        /// This attendee is the calendar's owner (the agent); `self` in JSON.
        public var isSelf: Bool?
        /// A room or other resource.
        public var resource: Bool?
        public var optional: Bool?
        enum CodingKeys: String, CodingKey {
            case email, displayName, responseStatus, organizer, resource, optional
            case isSelf = "self"
        }
        public init(email: String, responseStatus: String? = nil) {
            self.email = email
            self.responseStatus = responseStatus
        }
    }

    public struct Person: Codable, Sendable, Hashable {
        public var email: String?
        public var displayName: String?
        /// `self` in JSON.
        public var isSelf: Bool?
        public init(email: String? = nil) { self.email = email }
        enum CodingKeys: String, CodingKey {
            case email, displayName
            case isSelf = "self"
        }
    }

    public struct ExtendedProperties: Codable, Sendable, Hashable {
        public var `private`: [String: String]?
        public var shared: [String: String]?
        public init(private: [String: String]? = nil) { self.private = `private` }
    }
}

/// A start or end: `date` (all-day, "yyyy-mm-dd"; an end date is exclusive) or `dateTime` (RFC 3339), with the
/// time zone a recurring series is expanded in.
public struct EventDateTime: Codable, Sendable, Hashable {
    public var date: String?
    public var dateTime: String?
    public var timeZone: String?

    public init(date: String? = nil, dateTime: String? = nil, timeZone: String? = nil) {
        self.date = date
        self.dateTime = dateTime
        self.timeZone = timeZone
    }

    public var isAllDay: Bool { date != nil && dateTime == nil }
}

/// One page of `events.list`.
public struct EventPage: Codable, Sendable {
    public var items: [CalendarEvent]?
    public var nextPageToken: String?
    public var nextSyncToken: String?
    /// The calendar's own time zone (all-day events without one are placed in it).
    public var timeZone: String?
}
