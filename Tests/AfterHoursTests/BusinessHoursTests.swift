import AfterHours
import Foundation
import Testing

/// Business hours on the wall clock of the office's zone, across DST, with holidays from config and an iCalendar file.
@Suite struct BusinessHoursTests {
    func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func berlin() throws -> BusinessHours {
        try BusinessHours(timeZone: "Europe/Berlin", schedule: ["mon-fri 09:00-12:30", "mon-fri 13:30-17:30", "sat 10:00-13:00"], holidays: ["2026-10-03"])
    }

    @Test func theScheduleOnTheOfficesClockAcrossTheChangeToSummerTime() throws {
        let hours = try berlin()
        // Friday 27 March 2026 (CET, UTC+1): 08:30 local is closed, 09:00 open.
        #expect(!hours.isOpen(at: at("2026-03-27T07:30:00Z")))
        #expect(hours.isOpen(at: at("2026-03-27T08:00:00Z")))
        // Monday 30 March (CEST, UTC+2 since Sunday): 07:30 UTC is 09:30 local — open; 06:30 UTC is 08:30 — closed.
        #expect(hours.isOpen(at: at("2026-03-30T07:30:00Z")))
        #expect(!hours.isOpen(at: at("2026-03-30T06:30:00Z")))
        // Lunch break, Saturday, Sunday.
        #expect(!hours.isOpen(at: at("2026-03-30T11:00:00Z")))
        #expect(hours.isOpen(at: at("2026-03-28T09:30:00Z")))
        #expect(!hours.isOpen(at: at("2026-03-29T10:00:00Z")))
        // The end is exclusive: 17:30 local is closed.
        #expect(!hours.isOpen(at: at("2026-03-30T15:30:00Z")))
        // Back to winter time on Sunday 25 October: Monday 26 October 08:30 UTC is 09:30 local.
        #expect(hours.isOpen(at: at("2026-10-26T08:30:00Z")))
        #expect(!hours.isOpen(at: at("2026-10-26T07:30:00Z")))
    }

    @Test func holidaysFromConfigurationAndFromAnICalendarFile() throws {
        var hours = try berlin()
        #expect(!hours.isOpen(at: at("2026-10-03T09:00:00Z")), "a configured holiday on a Saturday")
        let ics = """
            BEGIN:VCALENDAR\r
            VERSION:2.0\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20261224\r
            DTEND;VALUE=DATE:20261227\r
            SUMMARY:Christmas\r
              holidays\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20200501\r
            RRULE:FREQ=YEARLY\r
            SUMMARY:Labour Day\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART:20261130T090000Z\r
            SUMMARY:A timed event is no holiday\r
            END:VEVENT\r
            END:VCALENDAR\r

            """
        #expect(try hours.addHolidays(iCalendar: ics) == 4)
        #expect(!hours.isOpen(at: at("2026-12-24T10:00:00Z")))
        #expect(!hours.isOpen(at: at("2026-12-26T10:00:00Z")))
        #expect(hours.isOpen(at: at("2026-12-28T10:00:00Z")), "DTEND is exclusive")
        #expect(!hours.isOpen(at: at("2026-05-01T10:00:00Z")), "a yearly holiday comes back")
        #expect(!hours.isOpen(at: at("2031-05-01T10:00:00Z")))
        #expect(hours.isOpen(at: at("2026-11-30T10:00:00Z")))
    }

    @Test func badSettingsSayWhatIsWrong() {
        #expect(throws: AfterHoursError.self) { try BusinessHours(timeZone: "Europe/Atlantis", schedule: []) }
        #expect(throws: AfterHoursError.invalid("'weekdays' in 'weekdays 9-5' is not a weekday or range like mon-fri")) {
            try BusinessHours(timeZone: "UTC", schedule: ["weekdays 9-5"])
        }
        #expect(throws: AfterHoursError.invalid("schedule line 'mon-fri' is not like 'mon-fri 09:00-17:30'")) {
            try BusinessHours(timeZone: "UTC", schedule: ["mon-fri"])
        }
        #expect(throws: AfterHoursError.self) { try BusinessHours(timeZone: "UTC", schedule: ["mon-fri 17:00-09:00"]) }
        #expect(throws: AfterHoursError.self) { try BusinessHours(timeZone: "UTC", schedule: [], holidays: ["24.12.2026"]) }
        var hours = try! BusinessHours(timeZone: "UTC", schedule: [])
        #expect(throws: AfterHoursError.self) { try hours.addHolidays(iCalendar: "not a calendar") }
    }
}
