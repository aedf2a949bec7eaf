import ArgumentParser
import Foundation

/// `connectord meeting schedule`: a follow-up meeting in the agent's Google Calendar, with the contact invited, filed
/// at once as a planned meeting on the contact's company.
struct MeetingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meeting", abstract: "Schedule meetings in agents' Google Calendars.", subcommands: [Schedule.self])

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schedule a follow-up with a contact (asks the running daemon).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var daemon: DaemonOptions

        @Option(help: "The agent whose calendar it goes in: id or email (default: the token's user).") var agent: String?
        @Option(help: "The contact to invite (their first email address).") var contact: Int64
        @Option(help: "Start: 2026-12-01T10:00:00+01:00, or 2026-12-01 10:00 in this machine's time zone.") var at: String
        @Option(help: "Length: 30m, 1h, 1h30m or minutes.") var duration: String = "30m"
        @Option(help: "Title (default: Follow-up: <contact>).") var title: String?
        @Option(help: "Description (an agenda).") var description: String?

        func validate() throws {
            guard Self.minutes(duration) != nil else { throw ValidationError("--duration '\(duration)' is not like 30m, 1h or 1h30m") }
            guard Self.start(at) != nil else { throw ValidationError("--at '\(at)' is not like 2026-12-01T10:00:00+01:00 or 2026-12-01 10:00") }
        }

        func run() async throws {
            try await reportingErrors {
                let configuration = try await ConnectordConfiguration.load(filePath: global.config)
                let client = try DaemonClient(daemon, configuration: configuration)
                // One id per follow-up: the daemon derives the event id from it, so a retried request cannot book twice.
                let request = MeetingRoutes.ScheduleRequest(followUp: UUID(), agent: agent, contact: contact, start: Self.start(at)!, minutes: Self.minutes(duration)!,
                                      title: title, description: description)
                let result = try client.decode(MeetingRoutes.ScheduleResult.self, from: try await client.post("/api/meetings", json: request))
                if global.json {
                    print(try JSONOutput.string(result))
                } else {
                    print("scheduled \(result.start) – \(result.end)\(result.companyName.map { " with \($0)" } ?? "") (event \(result.eventId))")
                    if let link = result.link { print(link) }
                }
            }
        }

        static func minutes(_ text: String) -> Int? {
            if let plain = Int(text) { return plain > 0 ? plain : nil }
            var total = 0, number = 0, sawUnit = false
            for char in text.lowercased() {
                if let digit = char.wholeNumberValue { number = number * 10 + digit; continue }
                switch char {
                case "h": total += number * 60
                case "m": total += number
                default: return nil
                }
                number = 0
                sawUnit = true
            }
            return sawUnit && number == 0 && total > 0 ? total : nil
        }

        /// RFC 3339 as given, or a local `yyyy-MM-dd HH:mm` turned into RFC 3339 with this machine's offset.
        static func start(_ text: String) -> String? {
            if text.contains("T"), ISO8601DateFormatter().date(from: text) != nil { return text }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            guard let date = formatter.date(from: text) else { return nil }
            let output = ISO8601DateFormatter()
            output.timeZone = .current
            return output.string(from: date)
        }
    }
}
