import ArgumentParser
import Foundation

/// `connectord dial`: click-to-dial through the running daemon. The agent's phone rings first; when they pick
/// up, the PBX dials the customer, and the call is filed on the contact once it ends.
struct DialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dial", abstract: "Call a number or a contact from an agent's phone (asks the running daemon)."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(help: "The agent whose phone rings first: id or email (default: the token's user).") var agent: String?
    @Option(help: "The number to call.") var to: String?
    @Option(help: "The contact to call (their first number unless --to is given).") var contact: Int64?

    struct Request: Encodable { var agent: String?; var to: String?; var contact: Int64? }
    func validate() throws {
        guard to != nil || contact != nil else { throw ValidationError("say whom to call: --to NUMBER or --contact ID") }
    }

    func run() async throws {
        try await reportingErrors {
            let configuration = try await ConnectordConfiguration.load(filePath: global.config)
            let client = try DaemonClient(daemon, configuration: configuration)
            let answer = try await client.post("/api/calls", json: Request(agent: agent, to: to, contact: contact))
            let result = try client.decode(PBXService.DialResult.self, from: answer)
            if global.json {
                print(try JSONOutput.string(result))
            } else if result.response == "Success" {
                print("calling \(result.number) from extension \(result.agentExtension) (\(result.channelId))")
            } else {
                print("the call did not start: \(result.response)\(result.reason.map { " (reason \($0): \(Self.reason($0)))" } ?? "")")
            }
            if result.response != "Success" { throw ExitCode(1) }
        }
    }

    /// Asterisk's OriginateResponse reason codes (AST_CONTROL_*).
    static func reason(_ code: String) -> String {
        switch code {
        case "0": "no such channel or the call failed"
        case "1": "the agent's phone hung up"
        case "3": "the agent's phone rang without an answer"
        case "4": "answered"
        case "5": "the agent's phone is busy"
        case "8": "congestion"
        default: "unknown"
        }
    }
}
