import Foundation

/// Who is on call: agents take turns of `shiftDays` days each, in the listed order, starting with the first on
/// `since` (a local date of the business time zone; turns change at local midnight).
public struct OnCallRota: Sendable, Hashable {
    public var agents: [String]
    public var since: String
    public var shiftDays: Int
    public var timeZone: TimeZone

    /// - Parameters:
    ///   - agents: user references (their addresses), in turn order.
    ///   - since: `yyyy-mm-dd`, the day the first agent's turn starts.
    ///   - shiftDays: the length of a turn (7: a week each).
    public init(agents: [String], since: String, shiftDays: Int, timeZone: TimeZone) throws(AfterHoursError) {
        guard BusinessHours.dayNumber(since) != nil else { throw .invalid("the rota's start '\(since)' is not a date as YYYY-MM-DD") }
        guard shiftDays >= 1 else { throw .invalid("a turn on call lasts at least one day, not \(shiftDays)") }
        self.agents = agents
        self.since = since
        self.shiftDays = shiftDays
        self.timeZone = timeZone
    }

    /// The agent on call at `date`; nil when the rota is empty. Before `since` the turns run backwards, so a rota
    /// written for next week still names someone today.
    public func agent(at date: Date) -> String? {
        guard !agents.isEmpty, let start = BusinessHours.dayNumber(since) else { return nil }
        let local = date.timeIntervalSince1970 + TimeInterval(timeZone.secondsFromGMT(for: date))
        let day = Int((local / 86_400).rounded(.down))
        let turn = (day - start) >= 0 ? (day - start) / shiftDays : -((start - day + shiftDays - 1) / shiftDays)
        let index = ((turn % agents.count) + agents.count) % agents.count
        return agents[index]
    }
}
