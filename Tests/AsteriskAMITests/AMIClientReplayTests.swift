@testable import AsteriskAMI
import AMITestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

/// Feeds what an `AMIClient` hears into a `CallTracker`, the way the daemon does.
final class TrackingConsumer: Sendable {
    private struct State {
        var tracker: CallTracker
        var records: [CallRecord] = []
        var signals: [String] = []
        var events = 0
        var sessions = 0
        var unlistedSessions = 0
        var disconnects: [String] = []
    }
    private let state: Mutex<State>

    init(directory: AgentDirectory = Recordings.directory) {
        state = Mutex(State(tracker: CallTracker(directory: directory)))
    }

    func consume(_ event: AMIClient<ContinuousClock>.SessionEvent) {
        state.withLock { state in
            switch event {
            case .sessionStarted(_, let active):
                state.sessions += 1
                guard let active else {
                    state.unlistedSessions += 1
                    return
                }
                let ids = Set(active.compactMap { $0["Uniqueid"] })
                state.records += state.tracker.reconcile(activeChannels: ids, at: Date())
                state.signals += state.tracker.signals.map(\.summary)
            case .events(let messages):
                for message in messages {
                    if message.kind != .event("FullyBooted") { state.events += 1 }
                    state.tracker.receive(message, at: Date(), finished: &state.records)
                    state.signals += state.tracker.signals.map(\.summary)
                }
            case .skipped:
                break
            case .disconnected(let reason, _):
                state.disconnects.append(reason)
            }
        }
    }

    var records: [CallRecord] { state.withLock { $0.records } }
    var signals: [String] { state.withLock { $0.signals } }
    var events: Int { state.withLock { $0.events } }
    var sessions: Int { state.withLock { $0.sessions } }
    var unlistedSessions: Int { state.withLock { $0.unlistedSessions } }
    var disconnects: [String] { state.withLock { $0.disconnects } }
    var callsInProgress: Int { state.withLock { $0.tracker.callsInProgress } }
}

/// Runs a client against a fake server until `done` holds (or the time limit passes).
func withClient(_ server: FakeAMIServer, _ consumer: TrackingConsumer,
                configure: (inout AMIClientConfiguration) -> Void = { _ in },
                until done: @Sendable () -> Bool) async throws -> AMIClient<ContinuousClock> {
    var configuration = AMIClientConfiguration(username: server.options.username, secret: server.options.secret,
                                               backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50)))
    configure(&configuration)
    let port = server.port
    let client = AMIClient(configuration: configuration, clock: ContinuousClock()) {
        try await LoopbackConnector.connect(port: port)
    }
    let task = Task { await client.run { consumer.consume($0) } }
    defer { task.cancel() }
    let deadline = ContinuousClock.now + .seconds(20)
    while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    task.cancel()
    await task.value
    return client
}

@Suite(.timeLimit(.minutes(2))) struct AMIClientReplayTests {
    @Test("Every recording, replayed over a loopback socket in random chunks, gives cacofonisk's calls",
          arguments: Recordings.all)
    func replayOverSocket(recording: Recordings.Recording) async throws {
        let server = try await FakeAMIServer.start(script: recording.bytes)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        _ = try await withClient(server, consumer) { consumer.events == server.scriptLength }
        #expect(consumer.events == server.scriptLength, "events \(consumer.events) script \(server.scriptLength) records \(consumer.records.count) sessions \(consumer.sessions) \(consumer.disconnects)")
        #expect(consumer.signals == recording.expected)
        #expect(consumer.records.map(CallRecordTests.line) == (try TrackedStream(recording.bytes)).records.map(CallRecordTests.line))
    }

    /// All 51 recordings as one long PBX session.
    static var longSession: [UInt8] { Recordings.all.flatMap(\.bytes) }

    @Test func droppedConnectionsLoseNoCallAndDoubleNone() async throws {
        let bytes = Self.longSession
        let baseline = try TrackedStream(bytes).records
        var options = FakeAMIServer.Options()
        let total = 4_491 - 84  // events of the recordings without their FullyBooted
        options.dropAt = Set((0..<25).map { _ in Int.random(in: 1..<total) })
        let server = try await FakeAMIServer.start(script: bytes, options: options)
        defer { Task { await server.stop() } }
        #expect(server.scriptLength == total)
        let consumer = TrackingConsumer()
        let sessions = options.dropAt.count + 1
        _ = try await withClient(server, consumer) { consumer.events >= server.scriptLength && consumer.sessions == sessions }

        #expect(server.logins == options.dropAt.count + 1)
        #expect(consumer.sessions == options.dropAt.count + 1, "events \(consumer.events)/\(server.scriptLength) position \(server.position) logins \(server.logins) \(consumer.disconnects.prefix(4))")
        let ids = consumer.records.map(\.id)
        #expect(Set(ids).count == ids.count, "a call was recorded twice")
        #expect(consumer.records.map(CallRecordTests.line) == baseline.map(CallRecordTests.line))
        #expect(ids == baseline.map(\.id))
        #expect(consumer.callsInProgress == 0)
    }

    @Test func eventsLostWhileAwayStillFinishEveryCallOnce() async throws {
        let bytes = Self.longSession
        let baseline = try TrackedStream(bytes).records
        var options = FakeAMIServer.Options()
        options.dropAt = Set(stride(from: 300, to: 4_300, by: 400))
        options.lostOnDrop = 12
        let server = try await FakeAMIServer.start(script: bytes, options: options)
        defer { Task { await server.stop() } }
        let consumer = TrackingConsumer()
        let sessions = options.dropAt.count + 1
        // Done when the whole script went out, every session started, and the last events were taken in.
        _ = try await withClient(server, consumer) {
            server.position == server.scriptLength && consumer.sessions == sessions && consumer.callsInProgress == 0
        }

        let ids = consumer.records.map(\.id)
        #expect(Set(ids).count == ids.count, "a call was recorded twice")
        // Calls before the first gap are exactly as without gaps (a call cut by a gap may be filed differently:
        // its transfer may have happened while we were away).
        #expect(consumer.records.prefix(3).map(CallRecordTests.line) == baseline.prefix(3).map(CallRecordTests.line))
        // Calls whose hangup fell into a gap were finished by reconciling with CoreShowChannels, not leaked.
        #expect(consumer.callsInProgress == 0)
        #expect(ids.count >= baseline.count - options.dropAt.count * 2)
    }
}
