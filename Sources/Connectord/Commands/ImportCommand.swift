import CallCapture
import ArgumentParser
import AsteriskAMI
import CRMCore
import Foundation

/// `connectord import …`: backfills from files.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Backfill activities from files.", subcommands: [CDR.self]
    )

    /// `connectord import cdr Master.csv`: the calls of a period the daemon missed (it was down, or the PBX
    /// could not list channels after a reconnect). Calls already captured live have the same source key and
    /// are not doubled; importing the same file twice changes nothing.
    struct CDR: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cdr", abstract: "Import calls from Asterisk's CDR CSV (Master.csv); calls already captured are not doubled."
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CDR file (cdr_csv's Master.csv).") var file: String
        @Option(help: "Only calls that started on or after this time.") var from: String?
        @Option(help: "Only calls that started before this time.") var to: String?
        @Option(help: "The PBX's time zone for the CDR times (UTC when cdr.conf has usegmtime=yes); default: this machine's.")
        var timezone: String?

        struct Summary: Encodable {
            var lines = 0
            var unreadableLines: [String] = []
            var calls = 0
            var notOurs = 0
            var outsidePeriod = 0
            var captured = 0
            var alreadyCaptured = 0
        }

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                guard let pbx = context.configuration.pbx else {
                    throw CRMError.invalidInput("configure the ami section first: imported calls take their ids from ami.pbxId and their agents from ami.devices, like live ones")
                }
                let zone: TimeZone
                if let timezone {
                    guard let named = TimeZone(identifier: timezone) else { throw CRMError.invalidInput("unknown time zone '\(timezone)' (use an IANA name such as Europe/Amsterdam or UTC)") }
                    zone = named
                } else {
                    zone = .current
                }
                let start = try from.map { try parseDate($0, option: "--from") }
                let end = try to.map { try parseDate($0, option: "--to") }
                guard let data = FileManager.default.contents(atPath: file) else { throw CRMError.notFound("cannot read \(file)") }

                var summary = Summary()
                var rows: [CDRRow] = []
                // Latin-1 never fails: a CDR with a caller name in a legacy charset is still imported.
                let text = String(data: data, encoding: .utf8) ?? String(decoding: data, as: UTF8.self)
                for line in CDRReader(text: text, timeZone: zone) {
                    summary.lines += 1
                    switch line.row {
                    case .success(let row): rows.append(row)
                    case .failure(let error): summary.unreadableLines.append("line \(line.number): \(error)")
                    }
                }
                let directory = AgentDirectory(extensions: pbx.extensions.union(try context.database.agentExtensions()), devices: pbx.devices)
                let calls = CDRCalls.calls(from: rows, directory: directory)
                summary.calls = calls.count
                var activities: [CapturedActivity] = []
                for call in calls {
                    if let start, call.startedAt < start { summary.outsidePeriod += 1; continue }
                    if let end, call.startedAt >= end { summary.outsidePeriod += 1; continue }
                    guard var activity = CapturedActivity(call: call, pbxId: pbx.pbxId) else { summary.notOurs += 1; continue }
                    activity.details["source"] = "cdr"
                    activities.append(activity)
                }
                for batch in stride(from: 0, to: activities.count, by: 2_000).map({ activities[$0..<min($0 + 2_000, activities.count)] }) {
                    for outcome in try context.database.capture(Array(batch)) {
                        if case .duplicate = outcome { summary.alreadyCaptured += 1 } else { summary.captured += 1 }
                    }
                }
                for problem in summary.unreadableLines { FileHandle.standardError.write(Data("warning: \(file) \(problem)\n".utf8)) }
                try context.output(summary) {
                    "\(summary.lines) lines, \(summary.calls) calls: \(summary.captured) captured, \(summary.alreadyCaptured) already captured, "
                        + "\(summary.notOurs) not ours, \(summary.outsidePeriod) outside the period, \(summary.unreadableLines.count) unreadable lines"
                }
            }
        }
    }
}
