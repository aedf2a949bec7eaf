import AsteriskAMI
import Foundation
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
public final class FakeAMIServer: Sendable {
    public struct Options: Sendable {
        public init() {}
        public var username = "connectord"
        public var secret = "s3cret-ami"
        /// Message indexes of the script at which a connection is dropped mid-message (each once).
        public var dropAt: Set<Int> = []
        /// How many messages are lost while the client is away after each drop.
        public var lostOnDrop = 0
        /// Largest chunk written at once; chunks are random between 1 and this.
        public var maxChunk = 900
        public var answerPings = true
        /// Originates to this number fail (`Response: Failure` in OriginateResponse).
        public var unreachableNumber = "+999"
        /// Answer CoreShowChannels with `Permission denied`, as Asterisk does for a user without `reporting`.
        public var refuseChannelList = false
        /// Drop the connection when an Originate arrives, before answering it (each connection once).
        public var dropOnOriginate = false
        /// What a successful Originate sets off: a recorded click-to-dial call, streamed between the script's
        /// events with `originatorUniqueid` replaced by the action's `ChannelId` (as Asterisk names the first
        /// channel after it) and every other Uniqueid sharing `uniqueidPrefix` renamed after it, so several
        /// originates never share a channel id.
        public var originateReplay: OriginateReplay?
        /// The loopback port to listen on; 0 picks a free one.
        public var port = 0
        /// A pause after each streamed message, so a person can watch calls arrive (demo tool).
        public var pace: Duration?
    }

    public struct OriginateReplay: Sendable {
        public var recording: [UInt8]
        public var originatorUniqueid: String
        public var uniqueidPrefix: String
        public init(recording: [UInt8], originatorUniqueid: String, uniqueidPrefix: String) {
            self.recording = recording
            self.originatorUniqueid = originatorUniqueid
            self.uniqueidPrefix = uniqueidPrefix
        }
    }

    private struct State {
        var position = 0
        var dropped: Set<Int> = []
        var connections = 0
        var logins = 0
        var actions: [AMIMessage] = []
        /// Messages set off by actions, streamed before the script's next one.
        var injected: [ByteBuffer] = []
    }

    public let port: Int
    public let options: Options
    private let script: [ByteBuffer]
    private let uniqueids: [(created: String?, hungUp: String?)]
    private let state = Mutex(State())
    private let server: NIOAsyncChannel<NIOAsyncChannel<AMIFrame, ByteBuffer>, Never>
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `script` is raw AMI bytes (messages separated by empty lines); FullyBooted events in it are dropped.
    public static func start(script bytes: [UInt8], options: Options = Options()) async throws -> FakeAMIServer {
        let messages = try messages(in: bytes)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: options.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIDecoder()))
                    return try NIOAsyncChannel<AMIFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let fake = FakeAMIServer(server: server, messages: messages, options: options)
        fake.task.withLock { $0 = Task { await fake.accept() } }
        return fake
    }

    /// The messages of a recording, FullyBooted events left out (the server sends its own after login).
    static func messages(in bytes: [UInt8]) throws -> [AMIMessage] {
        var decoder = AMIDecoder()
        var buffer = ByteBuffer(bytes: bytes)
        var messages: [AMIMessage] = []
        while let frame = try decoder.decode(buffer: &buffer) {
            if case .message(let message) = frame, message.kind != .event("FullyBooted") { messages.append(message) }
        }
        if let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: true), case .message(let message) = frame { messages.append(message) }
        return messages
    }

    static func encode(_ message: AMIMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        for header in message.headers { buffer.writeString("\(header.name): \(header.value)\r\n") }
        buffer.writeString("\r\n")
        return buffer
    }

    private init(server: NIOAsyncChannel<NIOAsyncChannel<AMIFrame, ByteBuffer>, Never>, messages: [AMIMessage], options: Options) {
        self.server = server
        self.port = server.channel.localAddress?.port ?? 0
        self.options = options
        self.script = messages.map(Self.encode)
        self.uniqueids = messages.map { message in
            switch message.kind {
            case .event("Newchannel"): (message["Uniqueid"], nil)
            case .event("Hangup"): (nil, message["Uniqueid"])
            default: (nil, nil)
            }
        }
    }

    public var connections: Int { state.withLock { $0.connections } }
    public var logins: Int { state.withLock { $0.logins } }
    public var scriptLength: Int { script.count }
    public var position: Int { state.withLock { $0.position } }
    /// Every action the server received, in order.
    public var actionsReceived: [AMIMessage] { state.withLock { $0.actions } }

    public func stop() async {
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
                            let key = Insecure.MD5.hash(data: Array((challenge + options.secret).utf8)).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
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
                        if !failed, let replay = options.originateReplay, let channelId = action["ChannelId"] {
                            let text = String(decoding: replay.recording, as: UTF8.self)
                                .replacingOccurrences(of: replay.originatorUniqueid, with: channelId)
                                .replacingOccurrences(of: replay.uniqueidPrefix, with: channelId + "-")
                            let call = try Self.messages(in: Array(text.utf8)).map(Self.encode)
                            state.withLock { $0.injected.append(contentsOf: call) }
                        }
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
            if let injected = state.withLock({ $0.injected.isEmpty ? nil : $0.injected.removeFirst() }) {
                try await outbound.write(injected)
                continue
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
            if let pace = options.pace { try await Task.sleep(for: pace) }
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
public enum LoopbackConnector {
    public static func connect(port: Int) async throws -> NIOAsyncChannel<[AMIFrame], ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIFrameBatcher()))
                    return try NIOAsyncChannel<[AMIFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
