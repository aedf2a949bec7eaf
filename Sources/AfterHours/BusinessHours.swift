// AfterHours: the decisions of the after-hours responder (issue #6), without I/O: is the office open at a
// message's time, may this message be answered at all (RFC 3834), is the webhook request genuine. The daemon wires
// them to its HTTP endpoint, the store and SMTP.
import Foundation
import NetworkSupport

/// When the office is open: a weekly schedule in an IANA time zone, minus holidays. Decided on the wall clock of
/// that zone at the message's moment, so a DST change moves nothing (09:00 stays 09:00).
public struct BusinessHours: Sendable {
    /// An opening interval on one weekday, in minutes after local midnight.
    public struct Opening: Sendable, Hashable {
        /// 1 = Monday … 7 = Sunday (ISO 8601).
        public var weekday: Int
        public var from: Int
        public var until: Int
    }

    public let timeZone: TimeZone
    public private(set) var openings: [Opening]
    /// Local dates (`yyyy-mm-dd`) the office is closed all day.
    public private(set) var holidays: Set<String>
    /// Month-day (`mm-dd`) of holidays that come back every year (an iCalendar `RRULE:FREQ=YEARLY`).
    public private(set) var yearlyHolidays: Set<String>

    /// - Parameters:
    ///   - timeZone: an IANA name (`Europe/Berlin`).
    ///   - schedule: lines like `mon-fri 09:00-17:30`, `sat 10:00-14:00`, `mon,wed 08:00-12:00` (several lines for a
    ///     lunch break).
    ///   - holidays: `yyyy-mm-dd` dates.
    public init(timeZone name: String, schedule: [String], holidays: [String] = []) throws(AfterHoursError) {
        guard let zone = TimeZone(identifier: name) else { throw .invalid("'\(name)' is not an IANA time zone (Europe/Berlin, America/New_York …)") }
        timeZone = zone
        openings = []
        for line in schedule { openings += try Self.parse(line) }
        self.holidays = []
        yearlyHolidays = []
        for day in holidays {
            guard Self.isDate(day) else { throw .invalid("holiday '\(day)' is not a date as YYYY-MM-DD") }
            self.holidays.insert(day)
        }
    }

    /// Is the office open at `date`?
    public func isOpen(at date: Date) -> Bool {
        // Local wall-clock time by the zone's offset at that moment, then plain arithmetic (no Calendar, no formatter:
        // this runs for every webhook request).
        let local = Int((date.timeIntervalSince1970).rounded(.down)) + timeZone.secondsFromGMT(for: date)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let minute = (local - days * 86_400) / 60
        if !holidays.isEmpty || !yearlyHolidays.isEmpty {
            let day = Self.date(fromDayNumber: days)
            if holidays.contains(day) || yearlyHolidays.contains(String(day.dropFirst(5))) { return false }
        }
        let isoWeekday = ((days % 7 + 7) % 7 + 3) % 7 + 1  // 1970-01-01 was a Thursday (4)
        return openings.contains { $0.weekday == isoWeekday && $0.from <= minute && minute < $0.until }
    }

    /// Adds the all-day events of an iCalendar file (a public holiday calendar) as holidays: `DTSTART;VALUE=DATE`
    /// with an exclusive `DTEND` (several days), and `RRULE:FREQ=YEARLY` as a date that comes back every year.
    /// Timed events are not holidays and are skipped. Returns how many holidays were added.
    @discardableResult
    public mutating func addHolidays(iCalendar text: String) throws(AfterHoursError) -> Int {
        guard text.contains("BEGIN:VCALENDAR") else { throw .invalid("the holiday file is not iCalendar (no BEGIN:VCALENDAR)") }
        var added = 0
        var start: String?, end: String?, yearly = false, inEvent = false
        for line in Self.unfold(text) {
            let upper = line.uppercased()
            if upper == "BEGIN:VEVENT" { inEvent = true; start = nil; end = nil; yearly = false; continue }
            guard inEvent else { continue }
            if upper == "END:VEVENT" {
                inEvent = false
                guard let start else { continue }
                var days = [start]
                if let end, let first = Self.dayNumber(start), let last = Self.dayNumber(end), last > first + 1 {
                    days = (first..<min(last, first + 366)).map(Self.date(fromDayNumber:))
                }
                for day in days {
                    if yearly { yearlyHolidays.insert(String(day.dropFirst(5))) } else { holidays.insert(day) }
                    added += 1
                }
                continue
            }
            if upper.hasPrefix("DTSTART") { start = Self.allDayValue(line) } else if upper.hasPrefix("DTEND") { end = Self.allDayValue(line) }
            else if upper.hasPrefix("RRULE:") { yearly = upper.contains("FREQ=YEARLY") && !upper.contains("BY") && !upper.contains("COUNT") && !upper.contains("UNTIL") }
        }
        return added
    }

    // MARK: parsing

    static let weekdayNames = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    private static func parse(_ line: String) throws(AfterHoursError) -> [Opening] {
        let parts = line.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw .invalid("schedule line '\(line)' is not like 'mon-fri 09:00-17:30'") }
        var weekdays: [Int] = []
        for piece in parts[0].split(separator: ",") {
            let range = piece.split(separator: "-")
            guard let first = range.first.flatMap({ weekdayNames[String($0)] }), let last = range.last.flatMap({ weekdayNames[String($0)] }),
                  range.count <= 2, first <= last else { throw .invalid("'\(piece)' in '\(line)' is not a weekday or range like mon-fri") }
            weekdays += Array(first...last)
        }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let from = minutes(times[0]), let until = minutes(times[1]), from < until else {
            throw .invalid("'\(parts[1])' in '\(line)' is not a time range like 09:00-17:30")
        }
        return weekdays.map { Opening(weekday: $0, from: from, until: until) }
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
              hours * 60 + minutes <= 24 * 60 else { return nil }
        return hours * 60 + minutes
    }

    /// RFC 5545 §3.1: a line starting with a space or tab continues the previous one.
    static func unfold(_ text: String) -> [String] {
        var lines: [String] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1] += line.dropFirst()
            } else {
                lines.append(line)
            }
        }
        return lines
    }

    /// `DTSTART;VALUE=DATE:20261225` → `2026-12-25`; nil for a timed value (`…T090000Z`).
    private static func allDayValue(_ line: String) -> String? {
        guard let colon = line.lastIndex(of: ":") else { return nil }
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard value.count == 8, value.allSatisfy(\.isNumber) else { return nil }
        return "\(value.prefix(4))-\(value.dropFirst(4).prefix(2))-\(value.suffix(2))"
    }

    private static func isDate(_ text: String) -> Bool { dayNumber(text) != nil }

    static func dayNumber(_ text: String) -> Int? {
        guard let (y, m, d) = RFC3339.parseDate(text) else { return nil }
        return RFC3339.daysFromCivil(y, m, d)
    }

    private static func date(fromDayNumber days: Int) -> String {
        let (y, m, d) = RFC3339.civilFromDays(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A setting of the responder that cannot be used, or a request it refuses; the message says which and why.
public enum AfterHoursError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String { if case .invalid(let text) = self { text } else { "" } }
}
