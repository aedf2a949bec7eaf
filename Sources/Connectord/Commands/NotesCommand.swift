import ArgumentParser
import CRMCore

struct NotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes", abstract: "Notes to colleagues.", subcommands: [Send.self, List.self, Read.self]
    )

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a note to a colleague, optionally about a company.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Recipient: user id or email") var to: String
        @Option(help: "Company id") var about: Int64?
        @Argument var text: String

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let recipient = try context.database.findUser(to)
                let note = try context.database.sendNote(to: recipient.id!, about: about, body: text, actorId: try context.actorId())
                try context.output(note) { "sent note #\(note.id!) to \(recipient.name)" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your notes (the --as user's), newest first.")
        @OptionGroup var global: GlobalOptions
        @Flag var unread = false

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let notes = try context.database.notes(for: try context.actorId(), unreadOnly: unread)
                try context.output(notes) {
                    var table = Table("ID", "FROM", "ABOUT", "SENT", "STATE", "TEXT")
                    for note in notes {
                        table.add("\(note.id!)", note.fromUserId.map { "#\($0)" } ?? "connectord", note.companyId.map { "#\($0)" } ?? "", DateInput.format(note.createdAt),
                                  note.readAt == nil ? "unread" : "read", note.body)
                    }
                    return table
                }
            }
        }
    }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a note read.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.markNoteRead(id, actorId: try context.actorId())
                try context.output(["read": id]) { "note #\(id) marked read" }
            }
        }
    }
}
