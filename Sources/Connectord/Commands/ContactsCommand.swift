import ArgumentParser
import CRMCore

struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts", abstract: "People at companies.",
        subcommands: [Add.self, List.self, AddPhone.self, AddEmail.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a contact; unmatched calls and mail of theirs are linked now.")
        @OptionGroup var global: GlobalOptions
        @Option var company: Int64
        @Option var firstName: String
        @Option var lastName = ""
        @Option var title: String?
        @Option(help: "Language for templates (en, ru, de …)") var language: String?
        @Option(help: "Repeatable") var phone: [String] = []
        @Option(help: "Repeatable") var email: [String] = []

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let contact = try context.database.addContact(
                    companyId: company,
                    NewContact(firstName: firstName, lastName: lastName, title: title, language: language, phones: phone, emails: email),
                    actorId: try context.actorId()
                )
                try context.output(contact) { "added contact #\(contact.id!) \(contact.fullName)" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contacts.")
        @OptionGroup var global: GlobalOptions
        @Option var company: Int64?

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let cards = try context.database.contacts(companyId: company)
                try context.output(cards) {
                    var table = Table("ID", "COMPANY", "NAME", "PHONES", "EMAILS")
                    for card in cards {
                        table.add("\(card.contact.id!)", "\(card.contact.companyId)", card.contact.fullName,
                                  card.phones.joined(separator: ", "), card.emails.joined(separator: ", "))
                    }
                    return table
                }
            }
        }
    }

    struct AddPhone: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-phone", abstract: "Add a phone number to a contact.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Argument var phone: String
        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.addContactPhone(contactId: id, phone: phone, actorId: try context.actorId())
                try context.output(["contact": "\(id)", "phone": phone]) { "added \(phone) to contact #\(id)" }
            }
        }
    }

    struct AddEmail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-email", abstract: "Add an email address to a contact.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Argument var email: String
        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.addContactEmail(contactId: id, email: email, actorId: try context.actorId())
                try context.output(["contact": "\(id)", "email": email]) { "added \(email) to contact #\(id)" }
            }
        }
    }
}
