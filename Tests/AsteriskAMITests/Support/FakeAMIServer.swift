@testable import AsteriskAMI
import Crypto
import NIOCore
import NIOPosix
import Synchronization

/// A loopback Asterisk Manager Interface for tests: banner, plain and MD5 login, FullyBooted, Ping,
/// CoreShowChannels, async Originate with OriginateResponse; after login it streams a recorded event
/// script, in random chunks, and can drop the connection in the middle of a message at chosen points.
///
/// The script position survives connections, like a PBX that keeps running while a client reconnects.
/// With `lostOnDrop`, events are lost during the gap (Asterisk never resends), and CoreShowChannels reports
/// the channels that are still up at the point where streaming resumes.
final class FakeAMIServer: Sendable {
    struct Options: Sendable {
        var username = "connectord"
        var secret = "s3cret-ami"
        /// Message indexes of the script at which a connection is dropped mid-message (each once).
        var dropAt: Set<Int> = []
        /// How many messages are lost while the client is away after each drop.
        var lostOnDrop = 0
        /// Largest chunk written at once; chunks are random between 1 and this.
        var maxChunk = 900
        var answerPings = true
        /// Originates to this number fail (`Response: Failure` in OriginateResponse).
        var unreachableNumber = "+999"
        /// Answer CoreShowChannels with `Permission denied`, as Asterisk does for a user without `reporting`.
        var refuseChannelList = false
        /// Drop the connection when an Originate arrives, before answering it (each connection once).
        var dropOnOriginate = false
    }

    private struct State {
        var position = 0
        var dropped: Set<Int> = []
        var connections = 0
        var logins = 0
        var actions: [AMIMessage] = []
    }

    let port: Int
    let options: Options
    private let script: [ByteBuffer]
    private let uniqueids: [(created: String?, hungUp: String?)]
    private let state = Mutex(State())
    private let server: NIOAsyncChannel<NIOAsyncChannel<AMIFrame, ByteBuffer>, Never>
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `script` is raw AMI bytes (messages separated by empty lines); FullyBooted events in it are dropped.
    static func start(script bytes: [UInt8], options: Options = Options()) async throws -> FakeAMIServer {
        var decoder = AMIDecoder()
        var buffer = ByteBuffer(bytes: bytes)
        var messages: [AMIMessage] = []
        while let frame = try decoder.decode(buffer: &buffer) {
            if case .message(let message) = frame, message.kind != .event("FullyBooted") { messages.append(message) }
        }
        if let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: true), case .message(let message) = frame { messages.append(message) }
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIDecoder()))
                    return try NIOAsyncChannel<AMIFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let fake = FakeAMIServer(server: server, messages: messages, options: options)
        fake.task.withLock { $0 = Task { await fake.accept() } }
        return fake
    }

    private init(server: NIOAsyncChannel<NIOAsyncChannel<AMIFrame, ByteBuffer>, Never>, messages: [AMIMessage], options: Options) {
        self.server = server
        self.port = server.channel.localAddress?.port ?? 0
        self.options = options
        self.script = messages.map { message in
            var buffer = ByteBuffer()
            for header in message.headers { buffer.writeString("\(header.name): \(header.value)\r\n") }
            buffer.writeString("\r\n")
            return buffer
        }
        self.uniqueids = messages.map { message in
            switch message.kind {
            case .event("Newchannel"): (message["Uniqueid"], nil)
            case .event("Hangup"): (nil, message["Uniqueid"])
            default: (nil, nil)
            }
        }
    }

    var connections: Int { state.withLock { $0.connections } }
    var logins: Int { state.withLock { $0.logins } }
    var scriptLength: Int { script.count }
    var position: Int { state.withLock { $0.position } }
    /// Every action the server received, in order.
    var actionsReceived: [AMIMessage] { state.withLock { $0.actions } }

    func stop() async {
        try? await server.channel.close()
        task.withLock { $0 }?.cancel()
    }

    private func accept() async {
        try? await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<AMIFrame, ByteBuffer>) async {
        state.withLock { $0.connections += 1 }
        try? await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "Asterisk Call Manager/5.0.2\r\n"))
            var challenge: String?
            let session = Session()
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                for try await frame in inbound {
                    guard case .message(let action) = frame, case .action(let name) = action.kind else { continue }
                    state.withLock { $0.actions.append(action) }
                    let id = action["ActionID"] ?? ""
                    switch name.lowercased() {
                    case "challenge":
                        challenge = String(Int.random(in: 100_000_000...999_999_999))
                        try await outbound.write(Self.message(["Response": "Success", "ActionID": id, "Challenge": challenge!]))
                    case "login":
                        let accepted: Bool
                        if action["AuthType"]?.lowercased() == "md5", let challenge {
                            let key = Insecure.MD5.hash(data: Array((challenge + options.secret).utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
                            accepted = action["Username"] == options.username && action["Key"] == key
                        } else {
                            accepted = action["Username"] == options.username && action["Secret"] == options.secret
                        }
                        guard accepted else {
                            try await outbound.write(Self.message(["Response": "Error", "ActionID": id, "Message": "Authentication failed"]))
                            return
                        }
                        state.withLock { $0.logins += 1 }
                        try await outbound.write(Self.message(["Response": "Success", "ActionID": id, "Message": "Authentication accepted"]))
                        try await outbound.write(Self.message(["Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"]))
                        group.addTask { try await self.stream(to: outbound, channel: connection.channel, session: session) }
                    case "ping":
                        if options.answerPings {
                            try await outbound.write(Self.message(["Response": "Success", "ActionID": id, "Ping": "Pong", "Timestamp": "1700000000.000000"]))
                        }
                    case "coreshowchannels":
                        // Answered by the streaming task, between two events, so the list agrees with the
                        // events already sent (as Asterisk's does).
                        if options.refuseChannelList {
                            try await outbound.write(Self.message(["Response": "Error", "ActionID": id, "Message": "Permission denied"]))
                            session.state.withLock { $0.listed = true }
                        } else {
                            session.state.withLock { $0.pendingList = id }
                        }
                    case "originate" where options.dropOnOriginate:
                        try await connection.channel.close()
                        return
                    case "originate":
                        try await outbound.write(Self.message(["Response": "Success", "ActionID": id, "Message": "Originate successfully queued"]))
                        let failed = action["Exten"] == options.unreachableNumber
                        try await outbound.write(Self.message([
                            "Event": "OriginateResponse", "Privilege": "call,all", "ActionID": id,
                            "Response": failed ? "Failure" : "Success", "Channel": action["Channel"] ?? "",
                            "Context": action["Context"] ?? "", "Exten": action["Exten"] ?? "",
                            "Reason": failed ? "0" : "4", "Uniqueid": action["ChannelId"] ?? "", "CallerIDNum": "<unknown>",
                        ]))
                    case "logoff":
                        try await outbound.write(Self.message(["Response": "Goodbye", "ActionID": id, "Message": "Thanks for all the fish."]))
                        return
                    default:
                        try await outbound.write(Self.message(["Response": "Error", "ActionID": id, "Message": "Invalid/unknown command"]))
                    }
                }
            }
        }
    }

    /// Streams the script from the shared position; a drop point writes half a message and closes.
    /// One connection's streaming state.
    final class Session: Sendable {
        struct State {
            /// The ActionID of a CoreShowChannels to answer before the next event.
            var pendingList: String?
            /// A drop waits until the session's CoreShowChannels is answered: a real PBX answers at once,
            /// while this one could stream thousands of events first.
            var listed = false
        }
        let state = Mutex(State())
    }

    private func stream(to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel,
                        session: Session) async throws {
        while channel.isActive {
            if let id = session.state.withLock({ state in defer { state.pendingList = nil }; return state.pendingList }) {
                let active = activeChannels()
                var reply = Self.message(["Response": "Success", "ActionID": id, "EventList": "start", "Message": "Channels will follow"])
                for uniqueid in active {
                    reply.writeImmutableBuffer(Self.message(["Event": "CoreShowChannel", "ActionID": id, "Uniqueid": uniqueid]))
                }
                reply.writeImmutableBuffer(Self.message(["Event": "CoreShowChannelsComplete", "ActionID": id, "EventList": "Complete", "ListItems": "\(active.count)"]))
                try await outbound.write(reply)
                session.state.withLock { $0.listed = true }
            }
            let waiting = state.withLock { $0.position >= script.count || (options.dropAt.contains($0.position) && !$0.dropped.contains($0.position)) }
            if waiting, !session.state.withLock({ $0.listed }) || state.withLock({ $0.position >= script.count }) {
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            let next: (index: Int, drop: Bool)? = state.withLock { state in
                guard state.position < script.count else { return nil }
                let index = state.position
                let drop = options.dropAt.contains(index) && state.dropped.insert(index).inserted
                if !drop { state.position += 1 }
                return (index, drop)
            }
            guard let next else { continue }
            var message = script[next.index]
            if next.drop {
                try await outbound.write(message.readSlice(length: message.readableBytes / 2)!)
                state.withLock { $0.position = min(script.count, $0.position + options.lostOnDrop) }
                // Shut our side only: a full close with the client's actions unread would reset the connection,
                // and a reset throws away what the client had not read yet.
                try await channel.close(mode: .output)
                return
            }
            // One batch per message: Asterisk writes each message whole, so a reply to an action (written
            // by the action loop) lands between events, never inside one. The chunks still reach the socket
            // as separate writes.
            var chunks: [ByteBuffer] = []
            while message.readableBytes > 0 {
                chunks.append(message.readSlice(length: min(message.readableBytes, Int.random(in: 1...options.maxChunk)))!)
            }
            try await outbound.write(contentsOf: chunks)
            if next.index % 32 == 0 { await Task.yield() }
        }
    }

    /// Channels created and not yet hung up before the current position.
    private func activeChannels() -> [String] {
        let position = state.withLock { $0.position }
        var active: [String] = []
        for entry in uniqueids[..<position] {
            if let created = entry.created { active.append(created) }
            if let gone = entry.hungUp { active.removeAll { $0 == gone } }
        }
        return active
    }

    private static func message(_ headers: KeyValuePairs<String, String>) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (name, value) in headers { buffer.writeString("\(name): \(value)\r\n") }
        buffer.writeString("\r\n")
        return buffer
    }
}

/// Connects an `AMIClient` to a host and port over TCP (what the daemon does too).
enum LoopbackConnector {
    static func connect(port: Int) async throws -> NIOAsyncChannel<AMIFrame, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIDecoder()))
                    return try NIOAsyncChannel<AMIFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
