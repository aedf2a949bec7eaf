import NetworkSupport
import CalendarSync
import Foundation
import Testing

/// RRULE expansion (RFC 5545 §3.3.10 examples, in the series' zone) and RFC 3339 parsing.
@Suite struct RecurrenceTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let newYork = TimeZone(identifier: "America/New_York")!

    func starts(_ lines: [String], from start: String, zone: TimeZone, through: String) -> [String] {
        Recurrence(lines: lines).occurrences(start: RFC3339.parse(start)!, timeZone: zone, through: RFC3339.parse(through)!).map(RFC3339.format)
    }

    @Test func monthlyOnTheFirstFridayRFCExample() {
        // RFC 5545: "Monthly on the first Friday for 10 occurrences", DTSTART 1997-09-05 09:00 New York.
        let result = starts(["RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"], from: "1997-09-05T09:00:00-04:00", zone: newYork, through: "1999-01-01T00:00:00Z")
        #expect(result.count == 10)
        #expect(result.first == "1997-09-05T13:00:00Z")
        #expect(result[1] == "1997-10-03T13:00:00Z")
        #expect(result[2] == "1997-11-07T14:00:00Z") // after the end of daylight saving: still 09:00 local
        #expect(result.last == "1998-06-05T13:00:00Z")
    }

    @Test func lastDayOfTheMonthAndEveryOtherWeekUntil() {
        let last = starts(["RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4"], from: "2026-01-31T10:00:00+01:00", zone: berlin, through: "2027-01-01T00:00:00Z")
        #expect(last == ["2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "2026-03-31T08:00:00Z", "2026-04-30T08:00:00Z"])
        let biweekly = starts(["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20260121T235959Z"], from: "2026-01-05T09:00:00+01:00", zone: berlin,
                              through: "2027-01-01T00:00:00Z")
        #expect(biweekly == ["2026-01-05T08:00:00Z", "2026-01-07T08:00:00Z", "2026-01-19T08:00:00Z", "2026-01-21T08:00:00Z"])
    }

    @Test func exdatesRdatesAndTheWindow() {
        let result = starts([
            "RRULE:FREQ=DAILY", "EXDATE;TZID=Europe/Berlin:20260302T100000,20260304T100000", "RDATE:20260310T150000Z",
        ], from: "2026-03-01T10:00:00+01:00", zone: berlin, through: "2026-03-06T00:00:00Z")
        #expect(result == ["2026-03-01T09:00:00Z", "2026-03-03T09:00:00Z", "2026-03-05T09:00:00Z"])
    }

    @Test func aMonthWithoutTheDayIsSkippedAndYearlyByMonth() {
        let thirtyFirst = starts(["RRULE:FREQ=MONTHLY;COUNT=3"], from: "2026-01-31T12:00:00Z", zone: TimeZone(identifier: "UTC")!, through: "2027-01-01T00:00:00Z")
        #expect(thirtyFirst == ["2026-01-31T12:00:00Z", "2026-03-31T12:00:00Z", "2026-05-31T12:00:00Z"])
        let yearly = starts(["RRULE:FREQ=YEARLY;BYMONTH=3,9;BYDAY=-1FR;COUNT=3"], from: "2026-03-27T09:00:00Z", zone: TimeZone(identifier: "UTC")!,
                            through: "2030-01-01T00:00:00Z")
        #expect(yearly == ["2026-03-27T09:00:00Z", "2026-09-25T09:00:00Z", "2027-03-26T09:00:00Z"])
    }

    @Test func unsupportedRulesAreNamedNotGuessed() {
        let recurrence = Recurrence(lines: ["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "EXRULE:FREQ=WEEKLY"])
        #expect(recurrence.rules.isEmpty)
        #expect(recurrence.unsupported.count == 2)
        // The first meeting still stands.
        #expect(recurrence.occurrences(start: RFC3339.parse("2026-01-30T09:00:00Z")!, timeZone: berlin, through: RFC3339.parse("2027-01-01T00:00:00Z")!).count == 1)
    }

    @Test func rfc3339() {
        #expect(RFC3339.parse("2026-03-05T10:00:00+01:00") == RFC3339.parse("2026-03-05T09:00:00Z"))
        #expect(RFC3339.parse("2026-03-05T09:00:00.123Z") == RFC3339.parse("2026-03-05T09:00:00Z"))
        #expect(RFC3339.parse("2026-03-05T09:00:00") == nil, "an offset is required")
        #expect(RFC3339.parse("2026-13-05T09:00:00Z") == nil)
        #expect(RFC3339.compact(RFC3339.parse("1969-12-31T23:59:59Z")!) == "19691231T235959Z")
    }
}
