@testable import Connectord
import Foundation
import Testing

/// What `connectord meeting schedule` accepts for --at and --duration.
@Suite struct MeetingCommandTests {
    typealias Schedule = MeetingCommand.Schedule

    @Test func durations() {
        #expect(Schedule.minutes("30m") == 30)
        #expect(Schedule.minutes("1h") == 60)
        #expect(Schedule.minutes("1h30m") == 90)
        #expect(Schedule.minutes("45") == 45)
        for bad in ["", "0", "-5", "1x", "h", "90s", "1h30"] {
            #expect(Schedule.minutes(bad) == nil, "\(bad)")
        }
    }

    @Test func startTimes() throws {
        #expect(Schedule.start("2026-12-10T15:00:00+01:00") == "2026-12-10T15:00:00+01:00")
        // A local time becomes RFC 3339 with this machine's offset on that day: the same moment.
        let local = try #require(Schedule.start("2026-12-10 15:00"))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        #expect(ISO8601DateFormatter().date(from: local) == formatter.date(from: "2026-12-10 15:00"))
        #expect(Schedule.start("10.12.2026 15:00") == nil)
        #expect(Schedule.start("2026-12-10T15:00") == nil, "an RFC 3339 time needs its offset")
    }
}
