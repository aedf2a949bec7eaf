import ArgumentParser
import CRMCore

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Users, roles and API tokens.",
        subcommands: [Add.self, List.self, Delete.self, TokenCreate.self, TokenRevoke.self, Tokens.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (admin; the very first user needs no --as).")
        @OptionGroup var global: GlobalOptions
        @Option var name: String
        @Option var email: String
        @Option(help: "sourcer, agent or admin") var role: String
        @Option(name: .customLong("extension"), help: "PBX extension (repeatable)") var extensions: [String] = []
        @Option(name: .customLong("phone"), help: "Phone number (repeatable)") var phones: [String] = []

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                guard let role = Role(rawValue: role.lowercased()) else {
                    throw CRMError.invalidInput("unknown role '\(role)': expected sourcer, agent or admin")
                }
                let user = try context.database.addUser(name: name, email: email, role: role, extensions: extensions, phones: phones,
                                                        actorId: try context.optionalActorId())
                try context.output(user) { "added user #\(user.id!) \(user.name) <\(user.email)> as \(user.role.rawValue)" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Include deleted users.") var all = false

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let users = try context.database.users(includeDeleted: all)
                let addresses = try users.map { try context.database.addresses(ofUser: $0.id!) }
                try context.output(users) {
                    var table = Table("ID", "NAME", "EMAIL", "ROLE", "EXTENSIONS", "STATE")
                    for (user, addresses) in zip(users, addresses) {
                        table.add("\(user.id!)", user.name, user.email, user.role.rawValue,
                                  addresses.filter { $0.kind == .extension }.map(\.value).joined(separator: ","),
                                  user.isActive ? "active" : "deleted")
                    }
                    return table
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user (admin). History keeps their name.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User id or email") var user: String

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let target = try context.database.findUser(user)
                try context.database.deleteUser(target.id!, actorId: try context.actorId())
                try context.output(["deleted": target.id!]) { "deleted user #\(target.id!) \(target.name)" }
            }
        }
    }

    struct TokenCreate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token-create", abstract: "Create an API bearer token; it is shown once.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User id or email") var user: String
        @Option(help: "What the token is for") var label = "cli"

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let target = try context.database.findUser(user)
                let (token, secret) = try context.database.createToken(userId: target.id!, label: label, actorId: try context.actorId())
                struct Created: Encodable { var id: Int64; var userId: Int64; var token: String }
                try context.output(Created(id: token.id!, userId: target.id!, token: secret)) { secret }
            }
        }
    }

    struct TokenRevoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token-revoke", abstract: "Revoke an API token by id.")
        @OptionGroup var global: GlobalOptions
        @Argument var tokenId: Int64

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                try context.database.revokeToken(tokenId, actorId: try context.actorId())
                try context.output(["revoked": tokenId]) { "revoked token #\(tokenId)" }
            }
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API tokens (never their secrets).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                let tokens = try context.database.tokens()
                struct Row: Encodable { var id: Int64; var userId: Int64; var label: String; var createdAt: String; var revoked: Bool }
                try context.output(tokens.map { Row(id: $0.id!, userId: $0.userId, label: $0.label, createdAt: DateInput.format($0.createdAt), revoked: $0.revokedAt != nil) }) {
                    var table = Table("ID", "USER", "LABEL", "CREATED", "STATE")
                    for token in tokens {
                        table.add("\(token.id!)", "\(token.userId)", token.label, DateInput.format(token.createdAt), token.revokedAt == nil ? "active" : "revoked")
                    }
                    return table
                }
            }
        }
    }
}
