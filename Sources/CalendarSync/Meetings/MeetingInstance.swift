import NetworkSupport
import Foundation

/// One meeting as it happens: a single event, or one instance of a recurring series (expanded from the rule, or an
/// exception Google sent for a moved or edited instance).
public struct MeetingInstance: Sendable, Hashable {
    /// Shared by every attendee's copy of the event (event ids are per calendar copy).
    public var iCalUID: String
    /// Which instance of a series: its original start, `20260305T090000Z` (or `20260305` all-day), which stays the
    /// same when the instance is moved. Nil for a single event.
    public var instance: String?
    /// The event in this calendar (the series' master for an expanded instance).
    public var eventId: String
    public var start: Date
    public var end: Date
    public var isAllDay: Bool
    public var summary: String?
    public var location: String?
    public var htmlLink: String?
    /// confirmed or tentative.
    public var status: String
    /// The other people invited: rooms and the calendar's owner (`self`) left out; the organizer included.
    public var guests: [String]
    /// The calendar's owner organises it (we invited them).
    public var organizedByOwner: Bool
    /// The organizer's address, when Google gave one.
    public var organizer: String?
    /// How the calendar's owner answered (accepted, declined …), when they are an attendee.
    public var ownResponse: String?
    /// The recurrence lines this expander could not follow, when the series had any.
    public var unsupportedRecurrence: [String]
}

/// Turns the events of one group (a single event, or a series' master with its exceptions) into meetings.
public enum MeetingSeries {
    /// The group an event belongs to: a series' master id for its instances, else its own id.
    public static func group(of event: CalendarEvent) -> String { event.recurringEventId ?? event.id }

    /// The meetings of one group, series expanded up to `through`.
    public static func instances(of events: [CalendarEvent], through: Date, calendarTimeZone: String?) -> [MeetingInstance] {
        let defaultZone = calendarTimeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        let exceptions = events.filter { $0.recurringEventId != nil }
        var meetings: [MeetingInstance] = []
        var replaced = Set<String>()
        for exception in exceptions {
            guard let original = exception.originalStartTime, let key = instanceKey(original, defaultZone: defaultZone) else { continue }
            replaced.insert(key)
            guard !exception.isCancelled, let meeting = meeting(exception, start: exception.start, end: exception.end, instance: key, defaultZone: defaultZone) else { continue }
            meetings.append(meeting)
        }
        for master in events where master.recurringEventId == nil && !master.isCancelled {
            guard let lines = master.recurrence, !lines.isEmpty else {
                if let meeting = meeting(master, start: master.start, end: master.end, instance: nil, defaultZone: defaultZone) { meetings.append(meeting) }
                continue
            }
            meetings += expand(master, lines: lines, through: through, defaultZone: defaultZone).filter { !replaced.contains($0.instance ?? "") }
        }
        return meetings
    }

    private static func expand(_ master: CalendarEvent, lines: [String], through: Date, defaultZone: TimeZone) -> [MeetingInstance] {
        guard let start = master.start, let end = master.end else { return [] }
        let recurrence = Recurrence(lines: lines)
        let zone = start.timeZone.flatMap(TimeZone.init(identifier:)) ?? defaultZone
        var meetings: [MeetingInstance] = []
        if let date = start.date, let endDate = end.date, let first = RFC3339.parseDate(date), let last = RFC3339.parseDate(endDate) {
            let firstDay = RFC3339.daysFromCivil(first.year, first.month, first.day)
            let length = max(1, RFC3339.daysFromCivil(last.year, last.month, last.day) - firstDay)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            for day in recurrence.occurrenceDays(firstDay: firstDay, lastDay: RFC3339.daysFromCivil(through, in: calendar)) {
                let (y, m, d) = RFC3339.civilFromDays(day)
                let (ey, em, ed) = RFC3339.civilFromDays(day + length)
                let key = "\(y * 10000 + m * 100 + d)"
                let instanceStart = EventDateTime(date: dateString(y, m, d)), instanceEnd = EventDateTime(date: dateString(ey, em, ed))
                if var meeting = meeting(master, start: instanceStart, end: instanceEnd, instance: key, defaultZone: zone) {
                    meeting.unsupportedRecurrence = recurrence.unsupported
                    meetings.append(meeting)
                }
            }
        } else if let first = start.dateTime.flatMap(RFC3339.parse), let last = end.dateTime.flatMap(RFC3339.parse) {
            let duration = last.timeIntervalSince(first)
            for occurrence in recurrence.occurrences(start: first, timeZone: zone, through: through) {
                let instanceStart = EventDateTime(dateTime: RFC3339.format(occurrence))
                let instanceEnd = EventDateTime(dateTime: RFC3339.format(occurrence.addingTimeInterval(duration)))
                if var meeting = meeting(master, start: instanceStart, end: instanceEnd, instance: RFC3339.compact(occurrence), defaultZone: zone) {
                    meeting.unsupportedRecurrence = recurrence.unsupported
                    meetings.append(meeting)
                }
            }
        }
        return meetings
    }

    /// Whether an event's start can be read (an RFC 3339 time with an offset, or a `yyyy-mm-dd` date). A cancelled
    /// event (a tombstone) needs none. An unreadable one files no meeting; the caller counts and reports it.
    public static func isReadable(_ event: CalendarEvent) -> Bool {
        if event.isCancelled { return true }
        guard let start = event.start else { return false }
        if let dateTime = start.dateTime { return RFC3339.parse(dateTime) != nil }
        return start.date.flatMap(RFC3339.parseDate) != nil
    }

    /// The key of an instance from its original start.
    static func instanceKey(_ original: EventDateTime, defaultZone: TimeZone) -> String? {
        if let dateTime = original.dateTime { return RFC3339.parse(dateTime).map(RFC3339.compact) }
        if let date = original.date, let (y, m, d) = RFC3339.parseDate(date) { return "\(y * 10000 + m * 100 + d)" }
        return nil
    }

    private static func meeting(_ event: CalendarEvent, start: EventDateTime?, end: EventDateTime?, instance: String?, defaultZone: TimeZone) -> MeetingInstance? {
        guard let start, let (startDate, allDay) = moment(start, defaultZone: defaultZone) else { return nil }
        let endDate = end.flatMap { moment($0, defaultZone: defaultZone)?.0 } ?? startDate
        var guests: [String] = []
        var ownResponse: String?
        for attendee in event.attendees ?? [] {
            if attendee.isSelf == true { ownResponse = attendee.responseStatus; continue }
            guard attendee.resource != true, let email = attendee.email?.trimmingCharacters(in: .whitespaces).lowercased(), !email.isEmpty else { continue }
            guests.append(email)
        }
        if let organizer = event.organizer, organizer.isSelf != true, let email = organizer.email?.lowercased(), !guests.contains(email) {
            guests.append(email)
        }
        return MeetingInstance(
            iCalUID: event.iCalUID ?? event.id, instance: instance, eventId: event.id, start: startDate, end: max(endDate, startDate),
            isAllDay: allDay, summary: event.summary, location: event.location, htmlLink: event.htmlLink, status: event.status ?? "confirmed",
            guests: guests, organizedByOwner: event.organizer?.isSelf == true,
            organizer: event.organizer?.email?.lowercased(), ownResponse: ownResponse, unsupportedRecurrence: [])
    }

    /// When a start or end is, and whether it is a whole day (placed at midnight in the event's or calendar's zone).
    private static func moment(_ value: EventDateTime, defaultZone: TimeZone) -> (Date, Bool)? {
        if let dateTime = value.dateTime { return RFC3339.parse(dateTime).map { ($0, false) } }
        guard let date = value.date, let (y, m, d) = RFC3339.parseDate(date) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = value.timeZone.flatMap(TimeZone.init(identifier:)) ?? defaultZone
        return calendar.date(from: DateComponents(year: y, month: m, day: d)).map { ($0, true) }
    }

    private static func dateString(_ y: Int, _ m: Int, _ d: Int) -> String {
        "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }
}
