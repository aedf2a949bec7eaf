import ArgumentParser
import Foundation

/// `connectord status`: what the running daemon's sources are doing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the state of the daemon's sources (PBX …).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    struct Status: Codable {
        struct PBX: Codable {
            var pbxId: String
            var connected: Bool
            var asteriskVersion: String?
            var sessions: Int
            var lastError: String?
            var callsInProgress: Int
            var callsCaptured: Int
            var skippedMessages: Int
            var canListChannels: Bool
        }
        var pbx: PBX?
        var mail: [MailboxService.Status]?
        var calendar: [CalendarService.Status]?
        var afterHours: AfterHoursService.Status?
    }

    func run() async throws {
        try await reportingErrors {
            let configuration = try await ConnectordConfiguration.load(filePath: global.config)
            let client = try DaemonClient(daemon, configuration: configuration)
            let status = try client.decode(Status.self, from: try await client.get("/api/status"))
            if global.json {
                print(try JSONOutput.string(status))
            } else {
                var table = Table("source", "state", "captured", "in progress", "last error")
                if let pbx = status.pbx {
                    let state = pbx.connected ? "connected (Asterisk \(pbx.asteriskVersion ?? "?"))" : "reconnecting"
                    table.add("pbx \(pbx.pbxId)", state + (pbx.canListChannels ? "" : ", cannot list channels"),
                              "\(pbx.callsCaptured) calls", "\(pbx.callsInProgress)", pbx.lastError ?? "")
                } else {
                    table.add("pbx", "not configured", "", "", "")
                }
                for mailbox in status.mail ?? [] {
                    let backlog = mailbox.backlog > 0 ? ", \(mailbox.backlog) to go" : ""
                    table.add("mail \(mailbox.account)", mailbox.state + (mailbox.reconnectNeeded ? " (fix the credentials)" : ""),
                              "\(mailbox.messagesSynced) messages\(backlog)", "", mailbox.lastError ?? "")
                }
                if status.mail?.isEmpty ?? true { table.add("mail", "not configured", "", "", "") }
                for calendar in status.calendar ?? [] {
                    table.add("calendar \(calendar.account)", calendar.state + (calendar.reconnectNeeded ? " (grant access again)" : ""),
                              "\(calendar.eventsSynced) events", "", calendar.lastError ?? "")
                }
                if status.calendar?.isEmpty ?? true { table.add("calendar", "not configured", "", "", "") }
                if let responder = status.afterHours {
                    let inputs = [responder.webhook ? "webhook" : nil, responder.mailboxes ? "mailboxes" : nil].compactMap { $0 }.joined(separator: " + ")
                    let outbox = responder.outbox
                    // Uncertain replies need a person: they may or may not have reached the customer.
                    let attention = [outbox["failed"].map { "\($0) failed" }, outbox["uncertain"].map { "\($0) uncertain" }].compactMap { $0 }
                    table.add("after-hours", "answering (\(inputs))" + (attention.isEmpty ? "" : ", " + attention.joined(separator: ", ")),
                              "sent \(outbox["sent"] ?? 0)", "\((outbox["queued"] ?? 0) + (outbox["sending"] ?? 0) + (outbox["delivering"] ?? 0)) queued",
                              responder.lastError ?? "")
                } else {
                    table.add("after-hours", "not configured", "", "", "")
                }
                print(table.render())
            }
        }
    }
}
