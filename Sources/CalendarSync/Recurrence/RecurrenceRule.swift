import NetworkSupport
import Foundation

/// One RRULE of RFC 5545 (§3.3.10), the parts Google Calendar writes: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY),
/// INTERVAL, COUNT, UNTIL, BYDAY (with ordinals in monthly and yearly rules), BYMONTHDAY, BYMONTH, WKST.
///
/// A rule using anything else (BYSETPOS, BYWEEKNO, BYYEARDAY, BYHOUR …, SECONDLY–HOURLY) is `nil` from
/// ``init(parsing:)``: the series is then captured by its first meeting and its exceptions only, and says so, rather
/// than guessed wrong.
public struct RecurrenceRule: Sendable, Hashable {
    public enum Frequency: String, Sendable { case daily = "DAILY", weekly = "WEEKLY", monthly = "MONTHLY", yearly = "YEARLY" }

    /// The last moment an occurrence may start: an instant (`UNTIL=…Z`), or a whole local day (`UNTIL=20260331`).
    public enum Until: Sendable, Hashable {
        case instant(Date)
        case day(Int)
        case local(day: Int, secondOfDay: Int)
    }

    public var frequency: Frequency
    public var interval = 1
    public var count: Int?
    public var until: Until?
    /// (ordinal, weekday 0 = Sunday); ordinal 0 means every such weekday of the period.
    public var byDay: [(ordinal: Int, weekday: Int)] = []
    public var byMonthDay: [Int] = []
    public var byMonth: [Int] = []
    /// Weekday a week starts on (WKST), 0 = Sunday; default Monday.
    public var weekStart = 1

    public static func == (lhs: RecurrenceRule, rhs: RecurrenceRule) -> Bool {
        lhs.frequency == rhs.frequency && lhs.interval == rhs.interval && lhs.count == rhs.count && lhs.until == rhs.until
            && lhs.byDay.map { [$0.ordinal, $0.weekday] } == rhs.byDay.map { [$0.ordinal, $0.weekday] }
            && lhs.byMonthDay == rhs.byMonthDay && lhs.byMonth == rhs.byMonth && lhs.weekStart == rhs.weekStart
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(frequency)
        hasher.combine(interval)
        hasher.combine(count)
    }

    static let weekdays = ["SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6]

    /// Parses `RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20260331T230000Z` (the `RRULE:` prefix optional); nil when the rule
    /// uses a part this expander does not implement or is malformed.
    public init?(parsing line: String) {
        var text = Substring(line)
        if text.uppercased().hasPrefix("RRULE:") { text = text.dropFirst(6) }
        var frequency: Frequency?
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            let name = pair[0].uppercased(), value = String(pair[1])
            switch name {
            case "FREQ":
                guard let parsed = Frequency(rawValue: value.uppercased()) else { return nil }
                frequency = parsed
            case "INTERVAL":
                guard let parsed = Int(value), parsed >= 1 else { return nil }
                interval = parsed
            case "COUNT":
                guard let parsed = Int(value), parsed >= 1 else { return nil }
                count = parsed
            case "UNTIL":
                guard let parsed = Self.parseUntil(value) else { return nil }
                until = parsed
            case "BYDAY":
                for item in value.split(separator: ",") {
                    let code = String(item.suffix(2)).uppercased()
                    guard let weekday = Self.weekdays[code] else { return nil }
                    let prefix = item.dropLast(2)
                    guard let ordinal = prefix.isEmpty ? 0 : Int(prefix.hasPrefix("+") ? prefix.dropFirst() : prefix),
                          abs(ordinal) <= 53 else { return nil }
                    byDay.append((ordinal, weekday))
                }
            case "BYMONTHDAY":
                for item in value.split(separator: ",") {
                    guard let day = Int(item), day != 0, abs(day) <= 31 else { return nil }
                    byMonthDay.append(day)
                }
            case "BYMONTH":
                for item in value.split(separator: ",") {
                    guard let month = Int(item), (1...12).contains(month) else { return nil }
                    byMonth.append(month)
                }
            case "WKST":
                guard let weekday = Self.weekdays[value.uppercased()] else { return nil }
                weekStart = weekday
            default:
                return nil
            }
        }
        guard let frequency else { return nil }
        self.frequency = frequency
        // Ordinals in BYDAY belong to monthly and yearly rules only (RFC 5545); elsewhere the rule is malformed.
        if byDay.contains(where: { $0.ordinal != 0 }), frequency == .daily || frequency == .weekly { return nil }
        // A yearly rule with BYDAY but no BYMONTH counts weekdays through the whole year: not implemented.
        if frequency == .yearly, !byDay.isEmpty, byMonth.isEmpty { return nil }
    }

    private static func parseUntil(_ value: String) -> Until? {
        let bytes = Array(value.utf8)
        guard bytes.count >= 8, let year = Int(value.prefix(4)), let month = Int(value.dropFirst(4).prefix(2)),
              let day = Int(value.dropFirst(6).prefix(2)) else { return nil }
        let dayNumber = RFC3339.daysFromCivil(year, month, day)
        if bytes.count == 8 { return .day(dayNumber) }
        guard bytes.count >= 15, bytes[8] == UInt8(ascii: "T"), let hh = Int(value.dropFirst(9).prefix(2)),
              let mm = Int(value.dropFirst(11).prefix(2)), let ss = Int(value.dropFirst(13).prefix(2)) else { return nil }
        let second = hh * 3600 + mm * 60 + ss
        if value.hasSuffix("Z") { return .instant(Date(timeIntervalSince1970: TimeInterval(dayNumber * 86_400 + second))) }
        return .local(day: dayNumber, secondOfDay: second)
    }
}
