import NetworkSupport
import Foundation

/// A series' `recurrence` lines (RRULE, RDATE, EXDATE; RFC 5545) expanded into the days and times its meetings
/// start, in the series' own time zone (a 10:00 meeting stays at 10:00 across a DST change).
public struct Recurrence: Sendable {
    public var rules: [RecurrenceRule] = []
    /// Lines this expander does not understand (an EXRULE, a BYSETPOS rule): the series is expanded without them.
    public var unsupported: [String] = []
    private var exceptionDates: [DateValue] = []
    private var extraDates: [DateValue] = []

    /// An RDATE / EXDATE value: an instant, a local time in the series' zone, or a whole day.
    private enum DateValue: Sendable {
        case instant(Date)
        case local(day: Int, secondOfDay: Int, timeZone: TimeZone?)
        case day(Int)
    }

    public init(lines: [String]) {
        for line in lines {
            let upper = line.uppercased()
            if upper.hasPrefix("RRULE:") {
                if let rule = RecurrenceRule(parsing: line) { rules.append(rule) } else { unsupported.append(line) }
            } else if upper.hasPrefix("EXDATE") {
                guard let values = Self.dateValues(line) else { unsupported.append(line); continue }
                exceptionDates += values
            } else if upper.hasPrefix("RDATE") {
                guard let values = Self.dateValues(line) else { unsupported.append(line); continue }
                extraDates += values
            } else {
                unsupported.append(line)
            }
        }
    }

    /// `EXDATE;TZID=Europe/Berlin:20260310T100000,20260317T100000`, `EXDATE:20260310T090000Z`, `EXDATE;VALUE=DATE:20260310`.
    private static func dateValues(_ line: String) -> [DateValue]? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let parameters = line[..<colon].split(separator: ";").dropFirst()
        var timeZone: TimeZone?
        for parameter in parameters where parameter.uppercased().hasPrefix("TZID=") {
            guard let zone = TimeZone(identifier: String(parameter.dropFirst(5))) else { return nil }
            timeZone = zone
        }
        var values: [DateValue] = []
        for item in line[line.index(after: colon)...].split(separator: ",") {
            let text = String(item)
            guard text.count >= 8, let y = Int(text.prefix(4)), let m = Int(text.dropFirst(4).prefix(2)), let d = Int(text.dropFirst(6).prefix(2)) else { return nil }
            let day = RFC3339.daysFromCivil(y, m, d)
            if text.count == 8 { values.append(.day(day)); continue }
            guard text.count >= 15, let hh = Int(text.dropFirst(9).prefix(2)), let mm = Int(text.dropFirst(11).prefix(2)),
                  let ss = Int(text.dropFirst(13).prefix(2)) else { return nil }
            let second = hh * 3600 + mm * 60 + ss
            if text.hasSuffix("Z") {
                values.append(.instant(Date(timeIntervalSince1970: TimeInterval(day * 86_400 + second))))
            } else {
                values.append(.local(day: day, secondOfDay: second, timeZone: timeZone))
            }
        }
        return values
    }

    /// The start of every meeting of a timed series from `start` (its first, always included as Google does) up to
    /// `through`, in `timeZone`; at most `limit`.
    public func occurrences(start: Date, timeZone: TimeZone, through: Date, limit: Int = 5000) -> [Date] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start)
        let firstDay = RFC3339.daysFromCivil(parts.year!, parts.month!, parts.day!)
        let secondOfDay = parts.hour! * 3600 + parts.minute! * 60 + parts.second!
        func instant(_ day: Int, _ second: Int, _ zone: TimeZone? = nil) -> Date {
            let (y, m, d) = RFC3339.civilFromDays(day)
            var local = calendar
            if let zone { local.timeZone = zone }
            return local.date(from: DateComponents(year: y, month: m, day: d, hour: second / 3600, minute: second % 3600 / 60, second: second % 60)) ?? start
        }
        let excluded = Set(exceptionDates.map { value -> Date in
            switch value {
            case .instant(let date): date
            case .local(let day, let second, let zone): instant(day, second, zone)
            case .day(let day): instant(day, secondOfDay)
            }
        })
        var starts = Set<Date>()
        for day in expandDays(firstDay: firstDay, lastDay: RFC3339.daysFromCivil(through, in: calendar), limit: limit, untilInstant: { rule, day in
            switch rule.until {
            case nil: true
            case .instant(let until): instant(day, secondOfDay) <= until
            case .day(let until): day <= until
            case .local(let untilDay, let untilSecond): day < untilDay || (day == untilDay && secondOfDay <= untilSecond)
            }
        }) {
            starts.insert(instant(day, secondOfDay))
        }
        for value in extraDates {
            switch value {
            case .instant(let date): starts.insert(date)
            case .local(let day, let second, let zone): starts.insert(instant(day, second, zone))
            case .day(let day): starts.insert(instant(day, secondOfDay))
            }
        }
        return starts.subtracting(excluded).filter { $0 <= through }.sorted().prefix(limit).map { $0 }
    }

    /// The days an all-day series' meetings fall on (days since 1970-01-01), from `firstDay` through `lastDay`.
    public func occurrenceDays(firstDay: Int, lastDay: Int, limit: Int = 5000) -> [Int] {
        var days = Set(expandDays(firstDay: firstDay, lastDay: lastDay, limit: limit, untilInstant: { rule, day in
            switch rule.until {
            case nil: true
            case .instant(let until): day * 86_400 <= Int(until.timeIntervalSince1970)
            case .day(let until), .local(let until, _): day <= until
            }
        }))
        for case .day(let day) in extraDates { days.insert(day) }
        for value in exceptionDates {
            switch value {
            case .day(let day), .local(let day, _, _): days.remove(day)
            case .instant(let date): days.remove(Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
            }
        }
        return days.filter { $0 <= lastDay }.sorted().prefix(limit).map { $0 }
    }

    /// The days of every rule (the first day always), in order within each rule.
    private func expandDays(firstDay: Int, lastDay: Int, limit: Int, untilInstant: (RecurrenceRule, Int) -> Bool) -> [Int] {
        var days = [firstDay]
        for rule in rules {
            var emitted = 1
            var period = 0
            periods: while period < 100_000 {
                let candidates = Self.candidates(rule, firstDay: firstDay, period: period)
                period += 1
                guard let periodStart = candidates.periodStart, periodStart <= lastDay else { break }
                for day in candidates.days where day > firstDay {
                    guard untilInstant(rule, day) else { break periods }
                    if let count = rule.count, emitted >= count { break periods }
                    if day > lastDay { break periods }
                    days.append(day)
                    emitted += 1
                    if days.count >= limit { break periods }
                }
            }
        }
        return days
    }

    /// Weekday of a day number, 0 = Sunday (1970-01-01 was a Thursday).
    static func weekday(_ day: Int) -> Int { ((day + 4) % 7 + 7) % 7 }

    /// The candidate days of one period (the `period`-th day, week, month or year counted in INTERVAL steps), sorted,
    /// and the first day of that period.
    private static func candidates(_ rule: RecurrenceRule, firstDay: Int, period: Int) -> (periodStart: Int?, days: [Int]) {
        let (y0, m0, d0) = RFC3339.civilFromDays(firstDay)
        let step = period * rule.interval
        var days: [Int]
        let periodStart: Int
        switch rule.frequency {
        case .daily:
            periodStart = firstDay + step
            days = [periodStart]
            if !rule.byDay.isEmpty { days = days.filter { day in rule.byDay.contains { $0.weekday == weekday(day) } } }
            if !rule.byMonthDay.isEmpty { days = days.filter { day in monthDays(rule, day) } }
        case .weekly:
            let weekStart = firstDay - (weekday(firstDay) - rule.weekStart + 7) % 7 + 7 * step
            periodStart = weekStart
            let weekdays = rule.byDay.isEmpty ? [weekday(firstDay)] : rule.byDay.map(\.weekday)
            days = weekdays.map { weekStart + ($0 - rule.weekStart + 7) % 7 }
        case .monthly:
            let monthIndex = y0 * 12 + (m0 - 1) + step
            let (year, month) = (monthIndex / 12, monthIndex % 12 + 1)
            periodStart = RFC3339.daysFromCivil(year, month, 1)
            days = daysInMonth(rule, year: year, month: month, defaultDay: d0)
        case .yearly:
            let year = y0 + step
            periodStart = RFC3339.daysFromCivil(year, 1, 1)
            days = (rule.byMonth.isEmpty ? [m0] : rule.byMonth).flatMap { daysInMonth(rule, year: year, month: $0, defaultDay: d0) }
        }
        if !rule.byMonth.isEmpty, rule.frequency != .yearly {
            days = days.filter { rule.byMonth.contains(RFC3339.civilFromDays($0).1) }
        }
        return (periodStart, Array(Set(days)).sorted())
    }

    private static func monthDays(_ rule: RecurrenceRule, _ day: Int) -> Bool {
        let (y, m, d) = RFC3339.civilFromDays(day)
        let length = monthLength(y, m)
        return rule.byMonthDay.contains { $0 > 0 ? $0 == d : length + $0 + 1 == d }
    }

    private static func daysInMonth(_ rule: RecurrenceRule, year: Int, month: Int, defaultDay: Int) -> [Int] {
        let first = RFC3339.daysFromCivil(year, month, 1)
        let length = monthLength(year, month)
        var byMonthDay: Set<Int>?
        if !rule.byMonthDay.isEmpty {
            byMonthDay = Set(rule.byMonthDay.compactMap { n -> Int? in
                let day = n > 0 ? n : length + n + 1
                return (1...length).contains(day) ? first + day - 1 : nil
            })
        }
        var byDay: Set<Int>?
        if !rule.byDay.isEmpty {
            var chosen = Set<Int>()
            for (ordinal, wd) in rule.byDay {
                let matching = (0..<length).map { first + $0 }.filter { weekday($0) == wd }
                if ordinal == 0 { chosen.formUnion(matching) }
                else if ordinal > 0, ordinal <= matching.count { chosen.insert(matching[ordinal - 1]) }
                else if ordinal < 0, -ordinal <= matching.count { chosen.insert(matching[matching.count + ordinal]) }
            }
            byDay = chosen
        }
        switch (byMonthDay, byDay) {
        case let (monthDays?, weekdays?): return Array(monthDays.intersection(weekdays))
        case let (monthDays?, nil): return Array(monthDays)
        case let (nil, weekdays?): return Array(weekdays)
        case (nil, nil): return defaultDay <= length ? [first + defaultDay - 1] : []
        }
    }

    static func monthLength(_ year: Int, _ month: Int) -> Int {
        let next = month == 12 ? RFC3339.daysFromCivil(year + 1, 1, 1) : RFC3339.daysFromCivil(year, month + 1, 1)
        return next - RFC3339.daysFromCivil(year, month, 1)
    }
}

extension RFC3339 {
    /// The local day number of `date` in `calendar`'s zone.
    static func daysFromCivil(_ date: Date, in calendar: Calendar) -> Int {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return daysFromCivil(parts.year!, parts.month!, parts.day!)
    }
}
