import ArgumentParser

/// The `connectord` executable: the daemon and the admin/agent command line.
@main
struct ConnectordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectord",
        abstract: "A CRM that fills itself: calls, mail and meetings filed under the right lead, firm and contact.",
        subcommands: [
            RunCommand.self, UsersCommand.self, LeadsCommand.self, CompaniesCommand.self, ContactsCommand.self,
            NotesCommand.self, TemplatesCommand.self, ActivitiesCommand.self, ReviewCommand.self, StatsCommand.self,
            DialCommand.self, MeetingCommand.self, StatusCommand.self, ImportCommand.self,
        ]
    )
}
