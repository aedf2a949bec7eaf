import ArgumentParser
import CRMCore
import Foundation

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (default: $CONNECTORD_CONFIG, else config/connectord.yaml).")
    var config: String?

    @Option(name: .customLong("as"), help: "The user you act as: id or email (default: $CONNECTORD_USER).")
    var actor: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}

/// What a subcommand works with: the configuration, the store, and the acting user.
struct CommandContext {
    let configuration: ConnectordConfiguration
    let database: CRMDatabase
    let options: GlobalOptions

    static func open(_ options: GlobalOptions) async throws -> CommandContext {
        let configuration = try await ConnectordConfiguration.load(filePath: options.config)
        let database = try CRMDatabase.open(path: configuration.storePath, policy: configuration.policy)
        return CommandContext(configuration: configuration, database: database, options: options)
    }

    /// The acting user's id, from `--as` or `CONNECTORD_USER`.
    func actorId() throws -> Int64 {
        guard let reference = options.actor ?? ProcessInfo.processInfo.environment["CONNECTORD_USER"] else {
            throw CRMError.forbidden("say who you are with --as USER (id or email) or CONNECTORD_USER")
        }
        let user = try database.findUser(reference)
        guard user.isActive else { throw CRMError.forbidden("user \(reference) was deleted") }
        return user.id!
    }

    func optionalActorId() throws -> Int64? {
        (options.actor ?? ProcessInfo.processInfo.environment["CONNECTORD_USER"]) == nil ? nil : try actorId()
    }

    /// Prints a list as JSON with `--json`, else as a table.
    func output<T: Encodable>(_ value: T, table: () -> Table) throws {
        if options.json { print(try JSONOutput.string(value)) } else { print(table().render()) }
    }

    func output<T: Encodable>(_ value: T, text: () -> String) throws {
        if options.json { print(try JSONOutput.string(value)) } else { print(text()) }
    }
}

/// Runs a command body; the core's and the configuration's errors go to stderr with a non-zero exit code.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CRMError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as DaemonClientError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(69) // EX_UNAVAILABLE
    } catch let error as ConnectordConfigError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(78) // EX_CONFIG
    }
}

extension CRMError {
    /// Distinct exit codes so scripts can tell a refusal from a typo.
    var exitCode: Int32 {
        switch self {
        case .forbidden: 77 // EX_NOPERM
        case .notFound: 66 // EX_NOINPUT
        case .invalidInput, .unknownPlaceholder: 65 // EX_DATAERR
        case .conflict, .duplicateSuspected, .transitionNotAllowed: 75
        }
    }
}

func parseStage(_ text: String) throws -> Stage { try Stage(parsing: text) }

func parseDate(_ text: String, option: String) throws -> Date {
    guard let date = DateInput.parse(text) else {
        throw CRMError.invalidInput("\(option) must be a date such as 2026-11-23 or 2026-11-23T10:00:00Z, got '\(text)'")
    }
    return date
}
