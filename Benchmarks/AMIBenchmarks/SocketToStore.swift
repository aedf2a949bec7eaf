import AsteriskAMI
import CallCapture
import CRMCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Issue #3: from the socket to committed call activities in SQLite, at least 200,000 events/s, memory flat.
/// A loopback PBX writes the stream in 64 KiB writes after a plain login; the daemon's own pieces take it from
/// there: `AMIClient` → `CallPipeline` (tracker, filing) → `CaptureQueue` → `CRMDatabase` (a fresh SQLite
/// file with the three agents of the recordings). The run ends when the last event is read and every call it
/// finished is committed.
enum SocketToStore {
    static func run(stream: AMIStream, events: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ami-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try CRMDatabase.open(path: directory.appendingPathComponent("crm.sqlite").path)
        let admin = try database.addUser(name: "Ada", email: "ada@ours.example", role: .admin, actorId: nil).id!
        for ext in ["201", "202", "203"] {
            _ = try database.addUser(name: "Agent \(ext)", email: "a\(ext)@ours.example", role: .agent, extensions: [ext], actorId: admin)
        }
        let server = try await StreamingPBX.start(stream: stream.bytes)
        defer { try? server.channel.close().wait() }

        let queue = CaptureQueue(database: database, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let consumer = Consumer(target: events, pipeline: CallPipeline(
            pbxId: "bench", directory: AgentDirectory(extensions: ["201", "202", "203"],
                                                      devices: ["SIP/150010001": "201", "SIP/150010002": "202", "SIP/150010003": "203"])),
                                queue: queue)
        let port = server.channel.localAddress!.port!
        let client = AMIClient(configuration: AMIClientConfiguration(username: "bench", secret: "bench", authentication: .plain,
                                                                     pingInterval: .seconds(3_600)),
                               clock: ContinuousClock()) {
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIFrameBatcher()))
                    return try NIOAsyncChannel<[AMIFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        }
        let queueTask = Task { try await queue.run() }
        let clientTask = Task { await client.run { consumer.consume($0) } }
        await consumer.done()
        await queue.flushed()
        clientTask.cancel()
        queueTask.cancel()
        await clientTask.value
        precondition(consumer.captured > 0, "no call reached the store")
    }

    /// What the PBX service does with each session event, minus logging and status.
    final class Consumer: Sendable {
        private struct State {
            var pipeline: CallPipeline
            var events = 0
            var captured = 0
            var waiter: CheckedContinuation<Void, Never>?
            var finished = false
        }
        private let state: Mutex<State>
        private let queue: CaptureQueue
        private let target: Int

        init(target: Int, pipeline: sending CallPipeline, queue: CaptureQueue) {
            self.target = target
            self.queue = queue
            state = Mutex(State(pipeline: pipeline))
        }

        var captured: Int { state.withLock { $0.captured } }

        func consume(_ event: AMIClient<ContinuousClock>.SessionEvent) {
            guard case .events(let messages) = event else { return }
            let now = Date()
            let (activities, waiter) = state.withLock { state -> ([CapturedActivity], CheckedContinuation<Void, Never>?) in
                state.events += messages.count
                var activities: [CapturedActivity] = []
                for message in messages { activities += state.pipeline.receive(message, at: now) }
                state.captured += activities.count
                guard state.events >= target, !state.finished else { return (activities, nil) }
                state.finished = true
                defer { state.waiter = nil }
                return (activities, state.waiter)
            }
            if !activities.isEmpty { queue.enqueue(activities, source: "pbx") }
            waiter?.resume()
        }

        func done() async {
            await withCheckedContinuation { continuation in
                let finished = state.withLock { state in
                    if !state.finished { state.waiter = continuation }
                    return state.finished
                }
                if finished { continuation.resume() }
            }
        }
    }
}

/// A loopback PBX for the benchmark: banner, plain login, an empty channel list, then the stream as fast as
/// the client reads it, in 64 KiB writes.
enum StreamingPBX {
    static func start(stream: [UInt8]) async throws -> NIOAsyncChannel<NIOAsyncChannel<AMIFrame, ByteBuffer>, Never> {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIDecoder()))
                    return try NIOAsyncChannel<AMIFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        Task {
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    Task { try? await serve(connection, stream: stream) }
                }
            }
        }
        return server
    }

    static func serve(_ connection: NIOAsyncChannel<AMIFrame, ByteBuffer>, stream: [UInt8]) async throws {
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "Asterisk Call Manager/9.0.0\r\n"))
            for try await frame in inbound {
                guard case .message(let action) = frame, case .action(let name) = action.kind else { continue }
                let id = action["ActionID"] ?? ""
                switch name.lowercased() {
                case "login":
                    try await outbound.write(ByteBuffer(string: "Response: Success\r\nActionID: \(id)\r\nMessage: Authentication accepted\r\n\r\n"))
                case "coreshowchannels":
                    try await outbound.write(ByteBuffer(string: "Response: Success\r\nActionID: \(id)\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
                        + "Event: CoreShowChannelsComplete\r\nActionID: \(id)\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"))
                    var offset = 0
                    while offset < stream.count {
                        let end = min(offset + 65_536, stream.count)
                        try await outbound.write(ByteBuffer(bytes: stream[offset..<end]))
                        offset = end
                    }
                default:
                    try await outbound.write(ByteBuffer(string: "Response: Success\r\nActionID: \(id)\r\n\r\n"))
                }
            }
        }
    }
}
