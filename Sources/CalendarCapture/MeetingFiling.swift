import NetworkSupport
import CalendarSync
import CRMCore
import Foundation

/// How the meetings of one agent's calendar become activities.
///
/// - Source key: `meeting:<iCalUID>` for a single meeting, `meeting:<iCalUID>:<original start>` for an instance of a
///   series. iCalUID is the same in every attendee's copy, so the same meeting in two agents' calendars is one
///   activity linked to both; the original start does not change when an instance is moved.
/// - Every event is mirrored in the store (a series' exceptions need their master again), grouped by series; each
///   changed group is expanded again and held by this calendar, so a moved meeting updates its activity and a
///   cancelled one is marked cancelled (once no agent's calendar holds it any more).
public struct MeetingFiling: Sendable {
    /// The agent's address: the calendar's owner.
    public let account: String
    /// Recurring series are expanded this far ahead; default 180 days.
    public let horizon: TimeInterval

    public init(account: String, horizon: TimeInterval = 180 * 86_400) {
        self.account = account.lowercased()
        self.horizon = horizon
    }

    /// Holder of the activities, mirror of the events and cursor name: one calendar.
    public var source: String { "calendar:\(account)" }

    public struct Outcome: Sendable {
        public var meetingsHeld = 0
        public var groupsReleased = 0
        /// Events whose start could not be read (ids): not filed, and what was filed for them before stays as it was.
        public var unreadable: [String] = []
    }

    /// Applies one page of changes inside a held-capture transaction. `expandAll`: expand every series again (time
    /// moved on past what they were expanded to).
    @discardableResult
    public func apply(_ changes: CalendarChanges, to capture: HeldCapture, now: Date, expandAll: Bool = false) throws -> Outcome {
        var outcome = Outcome()
        var affected: [String] = []
        var seen = Set<String>()
        let encoder = JSONEncoder()
        let through = now.addingTimeInterval(horizon)
        for event in changes.events {
            let group = MeetingSeries.group(of: event)
            if event.isCancelled, event.recurringEventId == nil {
                // A deleted event, or a whole series: gone from this calendar with every instance.
                try capture.forgetGroup(source: source, group: group)
                try capture.release(holder: source, item: group)
                outcome.groupsReleased += 1
                seen.remove(group)
                affected.removeAll { $0 == group }
                continue
            }
            guard MeetingSeries.isReadable(event) else {
                // A broken event from the API neither files a meeting nor withdraws the one it stood for.
                outcome.unreadable.append(event.id)
                continue
            }
            if event.recurringEventId == nil, event.recurrence?.isEmpty ?? true {
                // A single meeting is its own group and needs nothing kept: filed from the page at once. (If it was a
                // series before, its mirrored master and exceptions go.)
                try capture.forgetGroup(source: source, group: group)
                seen.remove(group)
                affected.removeAll { $0 == group }
                outcome.meetingsHeld += try hold(group, [event], through: through, changes: changes, capture: capture)
                continue
            }
            try capture.mirror(source: source, item: event.id, group: group, value: String(decoding: try encoder.encode(event), as: UTF8.self))
            if seen.insert(group).inserted { affected.append(group) }
        }
        if expandAll {
            for group in try capture.mirroredGroups(source: source) where seen.insert(group).inserted { affected.append(group) }
        }
        let decoder = JSONDecoder()
        for group in affected {
            let events = try capture.mirrored(source: source, group: group).values.compactMap { try? decoder.decode(CalendarEvent.self, from: Data($0.utf8)) }
            outcome.meetingsHeld += try hold(group, events, through: through, changes: changes, capture: capture)
        }
        if changes.completesFullSync {
            outcome.groupsReleased += try capture.sweep(holder: source, source: source, before: changes.generation)
        }
        return outcome
    }

    /// Holds the meetings of one group (the agent's declined ones left out); returns how many.
    private func hold(_ group: String, _ events: [CalendarEvent], through: Date, changes: CalendarChanges, capture: HeldCapture) throws -> Int {
        let meetings = MeetingSeries.instances(of: events, through: through, calendarTimeZone: changes.calendarTimeZone)
            .filter { $0.ownResponse != "declined" }
        try capture.hold(holder: source, item: group, activities: meetings.map(activity))
        return meetings.count
    }

    /// The activity of one meeting.
    public func activity(_ meeting: MeetingInstance) -> CapturedActivity {
        var details: [String: String] = [
            "calendar": account, "eventId": meeting.eventId, "iCalUID": meeting.iCalUID,
            "start": RFC3339.format(meeting.start), "end": RFC3339.format(meeting.end), "status": meeting.status,
        ]
        if meeting.isAllDay { details["allDay"] = "true" }
        if let instance = meeting.instance { details["instance"] = instance }
        if let location = meeting.location { details["location"] = location }
        if let link = meeting.htmlLink { details["link"] = link }
        if let response = meeting.ownResponse { details["response"] = response }
        if !meeting.unsupportedRecurrence.isEmpty { details["unsupportedRecurrence"] = meeting.unsupportedRecurrence.joined(separator: " | ") }
        return CapturedActivity(
            kind: .meeting, sourceKey: Self.sourceKey(iCalUID: meeting.iCalUID, instance: meeting.instance), occurredAt: meeting.start,
            agent: .email(account), direction: organizedByUs(meeting) ? .outbound : .inbound,
            participants: meeting.guests.map { .email($0) }, subject: meeting.summary, details: details)
    }

    /// We invited them: the agent or a colleague (an address on the agent's domain) organises the meeting. Every
    /// agent's copy then says the same, whoever syncs first.
    private func organizedByUs(_ meeting: MeetingInstance) -> Bool {
        if meeting.organizedByOwner { return true }
        guard let organizer = meeting.organizer, let at = organizer.lastIndex(of: "@"), let own = account.lastIndex(of: "@") else { return false }
        return organizer[at...] == account[own...]
    }

    public static func sourceKey(iCalUID: String, instance: String?) -> String {
        "meeting:\(iCalUID)" + (instance.map { ":\($0)" } ?? "")
    }
}
