import ArgumentParser
import CRMCore
import Foundation

struct ActivitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activities", abstract: "Captured calls, emails, meetings, notes and auto-replies.")

    @OptionGroup var global: GlobalOptions
    @Option var company: Int64?
    @Option(help: "Agent: user id or email") var agent: String?
    @Option(help: "matched, unmatched, review or internal") var status: String?
    @Option(help: "call, email, meeting, note or auto-reply") var kind: String?
    @Option(help: "From date (inclusive)") var from: String?
    @Option(help: "To date (exclusive)") var to: String?
    @Option var limit = 100

    func run() async throws {
        try await reportingErrors {
            let context = try await CommandContext.open(global)
            var filter = ActivityFilter(companyId: company, limit: limit)
            filter.agentId = try agent.map { try context.database.findUser($0).id! }
            filter.status = try status.map { text in
                guard let value = MatchStatus(rawValue: text) else { throw CRMError.invalidInput("unknown status '\(text)': expected \(MatchStatus.allCases.map(\.rawValue).joined(separator: ", "))") }
                return value
            }
            filter.kind = try kind.map { text in
                guard let value = ActivityKind(rawValue: text) else { throw CRMError.invalidInput("unknown kind '\(text)': expected \(ActivityKind.allCases.map(\.rawValue).joined(separator: ", "))") }
                return value
            }
            filter.from = try from.map { try parseDate($0, option: "--from") }
            filter.to = try to.map { try parseDate($0, option: "--to") }
            let rows = try context.database.activities(filter)
            try context.output(rows) {
                var table = Table("ID", "WHEN", "KIND", "DIR", "STATUS", "COMPANY", "CONTACT", "AGENT", "SUBJECT")
                for row in rows {
                    table.add("\(row.id)", DateInput.format(row.occurredAt), row.kind.rawValue, row.direction.rawValue, row.status.rawValue,
                              row.companyName ?? "", row.contactName ?? "", row.agentName ?? "",
                              (row.cancelledAt == nil ? "" : "[cancelled] ") + (row.subject ?? ""))
                }
                return table
            }
        }
    }
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Activities capture could not file on its own.", subcommands: [List.self, Resolve.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The review queue with each activity's candidate companies.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let items = try context.database.reviewQueue()
                try context.output(items) {
                    var table = Table("ACTIVITY", "WHEN", "KIND", "SUBJECT", "CANDIDATES")
                    for item in items {
                        table.add("\(item.activity.id)", DateInput.format(item.activity.occurredAt), item.activity.kind.rawValue, item.activity.subject ?? "",
                                  item.options.map { "#\($0.companyId) \($0.companyName) (\($0.reason))" }.joined(separator: "; "))
                    }
                    return table
                }
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "File an activity under the company you choose.")
        @OptionGroup var global: GlobalOptions
        @Argument var activity: Int64
        @Option var company: Int64
        @Option var contact: Int64?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.resolveReview(activityId: activity, companyId: company, contactId: contact, actorId: try context.actorId())
                try context.output(["activity": activity, "company": company]) { "activity #\(activity) filed under company #\(company)" }
            }
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Conversion, parked rate, time in stage, sales cycle, activity counts.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Start (default: 30 days before --to)") var from: String?
    @Option(help: "End, exclusive (default: now)") var to: String?
    @Option(help: "Agent: user id or email (default: the team)") var agent: String?

    func run() async throws {
        try await reportingErrors {
            let context = try await CommandContext.open(global)
            let end = try to.map { try parseDate($0, option: "--to") } ?? Date()
            let start = try from.map { try parseDate($0, option: "--from") } ?? end.addingTimeInterval(-30 * 86_400)
            let agentId = try agent.map { try context.database.findUser($0).id! }
            let stats = try context.database.statistics(from: start, to: end, agentId: agentId)
            func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
            func days(_ seconds: Double?) -> String { seconds.map { String(format: "%.1f d", $0 / 86_400) } ?? "—" }
            try context.output(stats) {
                var lines = ["period \(DateInput.format(start)) – \(DateInput.format(end))\(agentId.map { " for agent #\($0)" } ?? " for the team")", ""]
                var conversions = Table("FROM", "TO", "ENTERED", "CONVERTED", "RATE")
                for c in stats.conversions { conversions.add(c.from.rawValue, c.to.rawValue, "\(c.entered)", "\(c.converted)", percent(c.rate)) }
                lines.append(conversions.render())
                lines.append("")
                lines.append("created \(stats.created), parked \(stats.parked) (\(percent(stats.parkedRate))); clients won \(stats.clientsWon), median sales cycle \(days(stats.medianSalesCycleSeconds))")
                var stages = Table("STAGE", "MOVES OUT", "MEDIAN TIME")
                for s in stats.timeInStage { stages.add(s.stage.rawValue, "\(s.moves)", days(s.medianSeconds)) }
                lines += ["", stages.render(), ""]
                lines.append("activities: " + ActivityKind.allCases.map { "\($0.rawValue) \(stats.activities[$0.rawValue] ?? 0)" }.joined(separator: ", "))
                return lines.joined(separator: "\n")
            }
        }
    }
}
