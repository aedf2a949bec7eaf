@testable import AsteriskAMI
import AMITestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct AMIClientTests {
    static let idle: [UInt8] = []

    /// A client logged in to `server`, running until the returned task is cancelled (reconnects back off 5–20 ms).
    func runningClient(_ server: FakeAMIServer, _ consumer: TrackingConsumer,
                       configure: (inout AMIClientConfiguration) -> Void = { _ in }) async throws -> (AMIClient<ContinuousClock>, Task<Void, Never>) {
        var configuration = AMIClientConfiguration(username: server.options.username, secret: server.options.secret)
        configuration.backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(20))
        configure(&configuration)
        let port = server.port
        let client = AMIClient(configuration: configuration, clock: ContinuousClock()) { try await LoopbackConnector.connect(port: port) }
        let task = Task { await client.run { consumer.consume($0) } }
        while consumer.sessions == 0 { try await Task.sleep(for: .milliseconds(5)) }
        return (client, task)
    }

    @Test func aWrongSecretIsRefusedAndNeverShown() async throws {
        let server = try await FakeAMIServer.start(script: Self.idle)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        _ = try await withClient(server, consumer, configure: { $0.secret = "wrong-secret-123" }) { consumer.disconnects.count >= 2 }
        #expect(server.logins == 0)
        #expect(consumer.disconnects.first?.contains("AMI login refused: Authentication failed") == true)
        #expect(!consumer.disconnects.joined().contains("wrong-secret-123"))
        // MD5: the secret never crossed the wire either.
        #expect(server.actionsReceived.allSatisfy { $0["Secret"] == nil && !$0.description.contains("wrong-secret-123") })
    }

    @Test func plainLoginWorksToo() async throws {
        let server = try await FakeAMIServer.start(script: Self.idle)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        _ = try await withClient(server, consumer, configure: { $0.authentication = .plain }) { consumer.sessions == 1 }
        #expect(server.logins == 1)
        #expect(server.actionsReceived.map { $0["Action"] ?? "" }.prefix(2) == ["Login", "CoreShowChannels"])
        #expect(server.actionsReceived.first?["Events"] == "call,user,agent,system")
    }

    @Test func anOriginateWaitsForItsOriginateResponseAndIsSentOnce() async throws {
        let server = try await FakeAMIServer.start(script: Self.idle)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        let responses = Mutex<[AMIResponse]>([])
        let (client, task) = try await runningClient(server, consumer)
        defer { task.cancel() }
        let originate = AMIAction("Originate", ["Channel": "PJSIP/201", "Exten": "+31201234567", "Context": "from-internal",
                                                "Async": "true", "ChannelId": "ctd-42"])
        let response = try await client.send(originate, waitFor: .event("OriginateResponse"))
        responses.withLock { $0.append(response) }
        #expect(response.events.first?["Response"] == "Success")
        #expect(response.events.first?["Uniqueid"] == "ctd-42")
        let failed = try await client.send(AMIAction("Originate", ["Channel": "PJSIP/201", "Exten": "+999", "Async": "true"]),
                                           waitFor: .event("OriginateResponse"))
        #expect(failed.events.first?["Response"] == "Failure")
        #expect(server.actionsReceived.filter { $0["Action"] == "Originate" }.count == 2)
        // ActionIDs are unique on the connection.
        let ids = server.actionsReceived.compactMap { $0["ActionID"] }
        #expect(Set(ids).count == ids.count)
    }

    @Test func anActionInFlightFailsWhenTheConnectionDropsAndIsNotResent() async throws {
        var options = FakeAMIServer.Options()
        options.dropOnOriginate = true
        let server = try await FakeAMIServer.start(script: Self.idle, options: options)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        let (client, task) = try await runningClient(server, consumer)
        defer { task.cancel() }
        let originate = AMIAction("Originate", ["Channel": "PJSIP/201", "Exten": "+31201234567", "Async": "true", "ChannelId": "ctd-7"])
        await #expect(throws: AMIClientError.connectionClosed) {
            try await client.send(originate, waitFor: .event("OriginateResponse"))
        }
        // The client comes back, and the Originate stays sent once: a phone never rings twice for one click.
        while consumer.sessions < 2 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.actionsReceived.filter { $0["Action"] == "Originate" }.count == 1)
    }

    @Test func aSilentSessionIsDroppedAfterAPingTimeout() async throws {
        var options = FakeAMIServer.Options()
        options.answerPings = false
        let server = try await FakeAMIServer.start(script: Self.idle, options: options)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        let (client, task) = try await runningClient(server, consumer) { $0.responseTimeout = .milliseconds(300) }
        defer { task.cancel() }
        // The server never answers Ping: the action times out and the silent session is dropped.
        await #expect(throws: AMIClientError.timedOut("Ping")) { try await client.send(AMIAction("Ping")) }
        while consumer.sessions < 2 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.connections >= 2)
        #expect(server.actionsReceived.filter { $0["Action"] == "Ping" }.count == 1)
    }

    @Test func aPBXThatRefusesToListChannelsStillGivesASession() async throws {
        var options = FakeAMIServer.Options()
        options.refuseChannelList = true
        let recording = Recordings.Recording(name: "simple/ab_success_a_hangup")
        let server = try await FakeAMIServer.start(script: recording.bytes, options: options)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        _ = try await withClient(server, consumer) { consumer.sessions == 1 && consumer.events == server.scriptLength }
        #expect(consumer.unlistedSessions == 1)
        #expect(server.connections == 1, "a refused list must not become a reconnect loop")
        #expect(consumer.signals == recording.expected)
    }

    @Test func anActionThatCannotBeWrittenFailsWithoutReachingThePBX() async throws {
        let server = try await FakeAMIServer.start(script: Self.idle)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        let (client, task) = try await runningClient(server, consumer)
        defer { task.cancel() }
        let injected = AMIAction("Originate", ["Exten": "+3120\r\nAction: Command\r\nCommand: core stop now"])
        await #expect(throws: AMIClientError.self) { try await client.send(injected) }
        #expect(try await client.send(AMIAction("Ping")).isSuccess)
        #expect(!server.actionsReceived.contains { $0["Action"] == "Originate" || $0["Action"] == "Command" })
    }

    @Test func withoutASessionAnActionFailsAtOnce() async throws {
        let client = AMIClient(configuration: AMIClientConfiguration(username: "u", secret: "s"), clock: ContinuousClock()) {
            throw AMIClientError.notConnected
        }
        await #expect(throws: AMIClientError.notConnected) { try await client.send(AMIAction("Ping")) }
    }

    @Test func backoffDoublesWithJitterUpToTheMaximumAndResets() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.2)
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<6).map { _ in backoff.next(using: &generator) }
        let bases: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)]
        for (delay, base) in zip(delays, bases) {
            #expect(delay >= base * 0.8 && delay <= base * 1.2)
        }
        backoff.reset()
        #expect(backoff.next(using: &generator) <= .milliseconds(120))
    }
}

@Suite struct AMIConnectionStateMachineTests {
    let configuration = AMIClientConfiguration(username: "crm", secret: "pw")

    @Test func md5LoginThenAListAction() {
        var machine = AMIConnectionStateMachine(configuration: configuration, connectionNumber: 1)
        #expect(machine.greetingReceived(version: "5.0.2") == [.write(AMIAction("Challenge", ["AuthType": "MD5"]), actionID: "c1-1")])
        let login = machine.messageReceived(AMIMessage(["Response": "Success", "ActionID": "c1-1", "Challenge": "840415273"]))
        guard case .write(let action, "c1-2")? = login.first else { Issue.record("no login: \(login)"); return }
        // md5("840415273" + "pw")
        #expect(action["Key"] == "5a68417f5db4621b12c4009540218430")
        #expect(action["Secret"] == nil)
        #expect(machine.messageReceived(AMIMessage(["Response": "Success", "ActionID": "c1-2"])) == [.loggedIn])
        #expect(machine.send(AMIAction("CoreShowChannels"), completion: .list) == .write(AMIAction("CoreShowChannels"), actionID: "c1-3"))
        #expect(machine.messageReceived(AMIMessage(["Response": "Success", "ActionID": "c1-3", "EventList": "start"])) == [])
        let item = AMIMessage(["Event": "CoreShowChannel", "ActionID": "c1-3", "Uniqueid": "1.1"])
        #expect(machine.messageReceived(item) == [])
        let unrelated = AMIMessage(["Event": "Newchannel", "Uniqueid": "1.2"])
        #expect(machine.messageReceived(unrelated) == [.deliver(unrelated)])
        let done = machine.messageReceived(AMIMessage(["Event": "CoreShowChannelsComplete", "ActionID": "c1-3", "EventList": "Complete"]))
        guard case .succeed("c1-3", let response)? = done.first else { Issue.record("list not complete: \(done)"); return }
        #expect(response.events == [item])
    }

    @Test func aRefusedLoginClosesAndInFlightActionsFailOnClose() {
        var machine = AMIConnectionStateMachine(configuration: AMIClientConfiguration(username: "crm", secret: "pw", authentication: .plain), connectionNumber: 3)
        _ = machine.greetingReceived(version: "9.0.0")
        #expect(machine.messageReceived(AMIMessage(["Response": "Error", "ActionID": "c3-1", "Message": "Authentication failed"]))
                == [.close(.loginFailed("Authentication failed"))])
        var second = AMIConnectionStateMachine(configuration: configuration, connectionNumber: 4)
        #expect(second.send(AMIAction("Ping"), completion: .response) == .fail(actionID: "", .notConnected))
    }
}

extension AMIAction {
    subscript(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}
