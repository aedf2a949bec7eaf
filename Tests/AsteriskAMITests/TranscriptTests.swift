@testable import AsteriskAMI
import AMITestSupport
import Foundation
import NIOCore
import Testing

/// The panoramisk and goami2 sessions, client side and server side, drive the connection state machine: every
/// recorded action gets exactly the answer Asterisk gave it (Success, Error, Follows with its output, a list
/// with all its events), whatever the framing, the header case or the Asterisk version.
@Suite struct TranscriptTests {
    struct Transcript: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
        /// What the client sent and what the server answered, in recorded order.
        var steps: [Step] = []

        enum Step: Sendable {
            case banner(String)
            case send(AMIMessage)
            case receive(AMIMessage)
        }
    }

    static let transcripts: [Transcript] = {
        var all: [Transcript] = []
        let panoramisk = AMICorpus.root.appendingPathComponent("panoramisk/replay")
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: panoramisk.path)) ?? []).sorted() where file.hasSuffix(".client-actions.txt") {
            let base = String(file.dropLast(".client-actions.txt".count))
            var transcript = Transcript(name: "panoramisk/\(base)")
            // The client side was saved as a text file (LF); on the wire it is CRLF.
            let client = String(decoding: AMICorpus.bytes("panoramisk/replay/\(file)"), as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n")
            transcript.steps = frames(Array(client.utf8)).compactMap { frame in
                if case .message(let message) = frame { return .send(message) } else { return nil }
            }
            let server = frames(AMICorpus.bytes("panoramisk/replay/\(base).ami")).compactMap(step)
            if transcript.steps.isEmpty {
                // Some recordings kept only the answers: the actions are inferred from them (a list when the
                // answer announces one).
                var seen: Set<String> = []
                for case .receive(let message) in server {
                    guard case .response = message.kind, let id = message["ActionID"], seen.insert(id).inserted else { continue }
                    let listed = message["EventList"]?.lowercased() == "start" || AMIConnectionStateMachine.announcesOldStyleList(message)
                    transcript.steps.append(.send(AMIMessage(["Action": listed ? "QueueStatus" : "Ping", "ActionID": id])))
                }
            }
            transcript.steps += server
            all.append(transcript)
        }
        for file in ["getAmiFixtureCall", "getAmiFixtureConfBridge", "getAmiFixtureQueueMembers", "getAmiFixtureQueues"] {
            // goami2 recorded both directions in one stream.
            all.append(Transcript(name: "goami2/\(file)", steps: frames(AMICorpus.bytes("goami2/replay/\(file).ami")).compactMap(step)))
        }
        return all
    }()

    static func frames(_ bytes: [UInt8]) -> [AMIFrame] {
        var decoder = AMIDecoder()
        var buffer = ByteBuffer(bytes: bytes)
        var frames: [AMIFrame] = []
        while let frame = try? decoder.decode(buffer: &buffer) { frames.append(frame) }
        if let frame = try? decoder.decodeLast(buffer: &buffer, seenEOF: true) { frames.append(frame) }
        return frames
    }

    static func step(_ frame: AMIFrame) -> Transcript.Step? {
        switch frame {
        case .banner(let version): return .banner(version)
        case .message(let message):
            if case .action = message.kind { return .send(message) }
            return .receive(message)
        default: return nil
        }
    }

    /// How a client knows, before the answer, what completes an action.
    static func completion(of action: AMIMessage) -> AMIActionCompletion {
        let name = action["Action"]?.lowercased() ?? ""
        if ["queuestatus", "queuesummary", "coreshowchannels", "status", "sippeers", "pjsipshowendpoint", "pjsipshowendpoints", "agents",
            "confbridgelist", "confbridgelistrooms", "queues"].contains(name) { return .list }
        if name == "originate", action["Async"]?.lowercased() == "true" { return .event("OriginateResponse") }
        return .response
    }

    /// What the recording says each action got: the Response value, the list events before the end marker, the
    /// output lines.
    struct Answer: Equatable, CustomStringConvertible {
        var response: String
        var events = 0
        var output = 0
        var description: String { "\(response) events:\(events) output:\(output)" }
    }

    static func recordedAnswers(_ transcript: Transcript) -> [String: Answer] {
        var answers: [String: Answer] = [:]
        var open: Set<String> = []
        for case .receive(let message) in transcript.steps {
            guard let id = message["ActionID"] else { continue }
            switch message.kind {
            case .response(let value):
                guard answers[id] == nil else { continue }
                answers[id] = Answer(response: value.lowercased(), output: message.outputLines.count)
                open.insert(id)
            case .event(let name) where open.contains(id):
                if message["EventList"]?.lowercased() == "complete" || name.hasSuffix("Complete") { open.remove(id) } else { answers[id]?.events += 1 }
            default:
                break
            }
        }
        return answers
    }

    @Test("Every recorded action gets the answer Asterisk gave it", arguments: transcripts)
    func replay(transcript: Transcript) throws {
        let sends = transcript.steps.compactMap { step -> AMIMessage? in if case .send(let m) = step { m } else { nil } }
        #expect(!sends.isEmpty || transcript.steps.contains { if case .receive = $0 { true } else { false } })
        let challenge = sends.first?["Action"]?.lowercased() == "challenge"
        var configuration = AMIClientConfiguration(username: "u", secret: "s", authentication: challenge ? .md5 : .plain)
        configuration.eventMask = "on"
        var machine = AMIConnectionStateMachine(configuration: configuration, connectionNumber: 1)
        var ours: [String: String] = [:]  // recorded ActionID → ours
        var recorded: [String: String] = [:]  // ours → recorded
        var completions: [String: Answer] = [:]
        var closed: AMIClientError?

        // Log in: the recorded login if there is one, else a session that was already logged in.
        var loginIDs: [String] = []
        for action in machine.greetingReceived(version: "5.0.0") { if case .write(_, let id) = action { loginIDs.append(id) } }
        let recordedLogin = sends.filter { ["login", "challenge"].contains($0["Action"]?.lowercased() ?? "") }
        if let first = recordedLogin.first?["ActionID"], let id = loginIDs.first {
            ours[first] = id
            recorded[id] = first
        } else if let id = loginIDs.first {
            #expect(machine.messageReceived(AMIMessage(["Response": "Success", "ActionID": id, "Message": "Authentication accepted"])) == [.loggedIn])
        }

        func feed(_ message: AMIMessage) {
            var message = message
            if let id = message["ActionID"], let mapped = ours[id] {
                message = AMIMessage(message.headers.map { $0.name.lowercased() == "actionid" ? .init($0.name, mapped) : $0 }, outputLines: message.outputLines)
            }
            for action in machine.messageReceived(message) {
                switch action {
                case .write(_, let id):
                    // The MD5 Login after the Challenge: the recording's second login action.
                    if let next = recordedLogin.dropFirst().first?["ActionID"] { ours[next] = id; recorded[id] = next }
                case .succeed(let id, let response):
                    let key = recorded[id] ?? id
                    #expect(completions[key] == nil, "\(key) completed twice")
                    var value = Answer(response: response.message.kind.responseValue ?? "?", events: response.events.count, output: response.message.outputLines.count)
                    if case .event = Self.completion(of: sends.first { $0["ActionID"] == key } ?? AMIMessage([:])) { value.events = 0 }
                    completions[key] = value
                case .fail(let id, _):
                    completions[recorded[id] ?? id] = Answer(response: "error")
                case .close(let error):
                    closed = error
                case .loggedIn, .deliver, .skipped:
                    break
                }
            }
        }

        for step in transcript.steps {
            switch step {
            case .banner:
                break
            case .send(let action) where ["login", "challenge"].contains(action["Action"]?.lowercased() ?? ""):
                break
            case .send(let action):
                guard let id = action["ActionID"] else { continue }
                let headers = action.headers.filter { !["action", "actionid"].contains($0.name.lowercased()) }
                if case .write(_, let ourID) = machine.send(AMIAction(action["Action"] ?? "", headers: headers), completion: Self.completion(of: action)) {
                    ours[id] = ourID
                    recorded[ourID] = id
                }
            case .receive(let message):
                feed(message)
            }
        }

        var expected = Self.recordedAnswers(transcript)
        if let login = recordedLogin.last?["ActionID"] {
            // The login itself is not an action a caller waits for: the session either starts or closes.
            let refused = expected[login]?.response == "error"
            #expect((closed != nil) == refused, "login refused: \(refused), closed: \(String(describing: closed))")
            for action in recordedLogin { if let id = action["ActionID"] { expected[id] = nil } }
        }
        // Only what the client sent and waited for (recordings of a longer session answer earlier actions too).
        let sent = Set(sends.compactMap { $0["ActionID"] })
        expected = expected.filter { sent.isEmpty || sent.contains($0.key) }
        for (id, answer) in expected where answer.response == "error" { expected[id] = Answer(response: "error") }
        #expect(completions == expected)
    }
}

extension AMIMessage.Kind {
    var responseValue: String? { if case .response(let value) = self { value.lowercased() } else { nil } }
}
