import ArgumentParser
import CRMCore

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates", abstract: "Email templates with {{placeholders}}.",
        subcommands: [Add.self, List.self, Render.self, Delete.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a template (admin). Unknown placeholders are refused.")
        @OptionGroup var global: GlobalOptions
        @Option var name: String
        @Option var language = "en"
        @Option var subject: String
        @Option var body: String

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let template = try context.database.addTemplate(name: name, language: language, subject: subject, body: body, actorId: try context.actorId())
                try context.output(template) { "added template #\(template.id!) \(template.name) (\(template.language))" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List templates.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let templates = try context.database.templates()
                try context.output(templates) {
                    var table = Table("ID", "NAME", "LANGUAGE", "SUBJECT")
                    for template in templates { table.add("\(template.id!)", template.name, template.language, template.subject) }
                    return table
                }
            }
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Render a template for a contact, in their language when there is a version.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var contact: Int64
        @Option(help: "Agent: user id or email (default: --as)") var agent: String?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let agentId = try agent.map { try context.database.findUser($0).id! } ?? context.actorId()
                let email = try context.database.render(template: name, contactId: contact, agentId: agentId)
                try context.output(email) { "Subject: \(email.subject)\n\n\(email.body)" }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a template (admin).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.deleteTemplate(id, actorId: try context.actorId())
                try context.output(["deleted": id]) { "deleted template #\(id)" }
            }
        }
    }
}
