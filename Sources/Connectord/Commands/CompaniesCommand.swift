import ArgumentParser
import CRMCore
import Foundation

struct CompaniesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "companies", abstract: "Leads, firms, accounts, clients and parked companies.",
        subcommands: [List.self, Show.self, Move.self, Assign.self, AddDomain.self, AddPhone.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List companies.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "lead, firm, account, client or parked") var stage: String?
        @Option(help: "Owner: user id or email") var owner: String?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let ownerId = try owner.map { try context.database.findUser($0).id! }
                let companies = try context.database.companies(stage: try stage.map(parseStage), ownerId: ownerId)
                let names = Dictionary(uniqueKeysWithValues: try context.database.users(includeDeleted: true).map { ($0.id!, $0.name) })
                try context.output(companies) {
                    var table = Table("ID", "NAME", "STAGE", "OWNER", "LAST ACTIVITY")
                    for company in companies {
                        table.add("\(company.id!)", company.name,
                                  company.stage.rawValue + (company.parkedFrom.map { " (from \($0.rawValue))" } ?? ""),
                                  company.ownerId.flatMap { names[$0] } ?? "", company.lastActivityAt.map(DateInput.format) ?? "")
                    }
                    return table
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A company with its domains, phones, contacts and history.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64

        struct Detail: Encodable {
            var company: Company
            var domains: [String]
            var phones: [String]
            var contacts: [ContactCard]
            var stageHistory: [StageTransition]
            var assignments: [Assignment]
        }

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let db = context.database
                let detail = Detail(company: try db.company(id), domains: try db.domains(companyId: id), phones: try db.phones(companyId: id),
                                    contacts: try db.contacts(companyId: id), stageHistory: try db.stageHistory(companyId: id),
                                    assignments: try db.assignmentHistory(companyId: id))
                try context.output(detail) {
                    var lines = ["#\(id) \(detail.company.name) — \(detail.company.stage.rawValue)"]
                    if !detail.domains.isEmpty { lines.append("domains: " + detail.domains.joined(separator: ", ")) }
                    if !detail.phones.isEmpty { lines.append("phones: " + detail.phones.joined(separator: ", ")) }
                    for card in detail.contacts {
                        lines.append("contact #\(card.contact.id!) \(card.contact.fullName) \((card.phones + card.emails).joined(separator: ", "))")
                    }
                    for move in detail.stageHistory {
                        lines.append("\(DateInput.format(move.at))  \(move.fromStage?.rawValue ?? "—") → \(move.toStage.rawValue)  by #\(move.actorId ?? 0)\(move.reason.map { ": \($0)" } ?? "")")
                    }
                    for assignment in detail.assignments {
                        lines.append("\(DateInput.format(assignment.at))  owner #\(assignment.fromUserId.map(String.init) ?? "—") → #\(assignment.toUserId)")
                    }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a company to another stage (park with a reason; revive a parked one).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Option(help: "firm, account, client, parked, or the stage a parked company left") var to: String
        @Option var reason: String?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let company = try context.database.move(companyId: id, to: try parseStage(to), actorId: try context.actorId(), reason: reason)
                try context.output(company) { "\(company.name) is now \(company.stage.rawValue)" }
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a company to an agent, or move it to another (admin).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Option(help: "Agent: user id or email") var to: String
        @Option var reason: String?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let agent = try context.database.findUser(to)
                let company = try context.database.assign(companyId: id, to: agent.id!, actorId: try context.actorId(), reason: reason)
                try context.output(company) { "\(company.name) now belongs to \(agent.name)" }
            }
        }
    }

    struct AddDomain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-domain", abstract: "Add a domain; unmatched mail from it is linked now.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Argument var domain: String

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.addDomain(companyId: id, domain: domain, actorId: try context.actorId())
                try context.output(["company": "\(id)", "domain": domain]) { "added \(domain) to #\(id)" }
            }
        }
    }

    struct AddPhone: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-phone", abstract: "Add a switchboard number; unmatched calls from it are linked now.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Argument var phone: String

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.addCompanyPhone(companyId: id, phone: phone, actorId: try context.actorId())
                try context.output(["company": "\(id)", "phone": phone]) { "added \(phone) to #\(id)" }
            }
        }
    }
}
