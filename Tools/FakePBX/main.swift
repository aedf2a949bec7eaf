import AMITestSupport
import ArgumentParser
import Foundation

/// `fake-pbx`: a loopback Asterisk Manager Interface that replays recorded PBX sessions, so anyone can watch
/// connectord capture calls without a PBX. The same fake server the tests use.
@main
struct FakePBX: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-pbx",
        abstract: "Replay recorded Asterisk sessions (.ami files) to connectord over loopback.",
        discussion: "Recordings: Tests/AMITestSupport/Fixtures/cacofonisk/replay/*/*.ami. Log in with the --username and --secret given here."
    )

    @Option(help: "Loopback port to listen on.") var port = 15038
    @Option(help: "Manager user connectord must log in as.") var username = "connectord"
    @Option(help: "Manager secret connectord must log in with.") var secret = "demo-secret"
    @Option(help: "Pause after each event, in milliseconds (0: as fast as the client reads).") var paceMs = 5
    @Option(help: "Seconds to keep running after the last event (calls made with 'connectord dial' need the server up).") var linger = 600
    @Argument(help: "Recordings to play, in order, as one PBX session.") var recordings: [String]

    func run() async throws {
        var script: [UInt8] = []
        for path in recordings {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            script += data
        }
        var options = FakeAMIServer.Options()
        options.port = port
        options.username = username
        options.secret = secret
        options.pace = paceMs > 0 ? .milliseconds(paceMs) : nil
        options.originateReplay = .init(
            recording: AMICorpus.bytes("cacofonisk/replay/originate/ctd-account-world.ami"),
            originatorUniqueid: "c4061ca6474c-1531990515.302", uniqueidPrefix: "c4061ca6474c-1531990515."
        )
        let server = try await FakeAMIServer.start(script: script, options: options)
        say("fake PBX on 127.0.0.1:\(server.port): \(server.scriptLength) events from \(recordings.count) recordings, user \(username)")
        while server.position < server.scriptLength { try await Task.sleep(for: .milliseconds(200)) }
        say("all events sent; \(server.logins) logins; staying up \(linger) s for click-to-dial")
        try await Task.sleep(for: .seconds(linger))
        await server.stop()
    }
}

/// Progress lines, written at once (also when piped, where print would buffer them).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
