import NIOCore
import Synchronization

/// A long-lived AMI session to one PBX: connects, logs in, hands every event to its consumer, keeps the
/// session alive with `Ping`, and reconnects with backoff when anything goes wrong.
///
/// The socket comes from a `connector` (a thin function over a NIO bootstrap, kept out of this module), so
/// the client runs unchanged over TCP, TLS or a test's loopback server. Timers run on `clock`.
public final class AMIClient<C: Clock>: Sendable where C.Duration == Duration {
    /// A connection whose pipeline decodes with ``AMIFrameBatcher``: the frames of each read, together.
    public typealias Connection = NIOAsyncChannel<[AMIFrame], ByteBuffer>
    public typealias Connector = @Sendable () async throws -> Connection

    /// What the consumer hears, in stream order.
    public enum SessionEvent: Sendable {
        /// Logged in; `activeChannels` are the `CoreShowChannel` events: what is in progress right now. Nil
        /// when the PBX refused to list them (the manager user lacks the `reporting` read permission): the
        /// session runs, but calls that ended while we were away cannot be told apart.
        case sessionStarted(version: String, activeChannels: [AMIMessage]?)
        /// Events in stream order: all those of one read from the socket (usually dozens at a busy PBX).
        case events([AMIMessage])
        /// A message the decoder had to skip (too large, too many headers); the stream goes on.
        case skipped(AMIDecodingError)
        /// The session ended; the client reconnects after `retryIn`.
        case disconnected(reason: String, retryIn: Duration)
    }

    private struct Session {
        var machine: AMIConnectionStateMachine
        var writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var channel: any NIOCore.Channel
    }

    private struct Shared {
        var session: Session?
        var waiting: [String: CheckedContinuation<AMIResponse, any Error>] = [:]
        var connections = 0
    }

    public let configuration: AMIClientConfiguration
    private let connector: Connector
    private let clock: C
    private let shared = Mutex(Shared())

    public init(configuration: AMIClientConfiguration, clock: C, connector: @escaping Connector) {
        self.configuration = configuration
        self.clock = clock
        self.connector = connector
    }

    /// Sessions opened so far (1 after the first login attempt).
    public var connectionCount: Int { shared.withLock { $0.connections } }

    /// Runs sessions until the task is cancelled.
    public func run(_ consumer: @Sendable (SessionEvent) async -> Void) async {
        var backoff = configuration.backoff
        while !Task.isCancelled {
            var reason = "closed by the PBX"
            do {
                let connection = try await connector()
                if try await runSession(connection, consumer) { backoff.reset() }
            } catch let error as AMIClientError {
                reason = error.description
            } catch is CancellationError {
                return
            } catch {
                reason = String(describing: error)
            }
            let delay = backoff.next()
            await consumer(.disconnected(reason: reason, retryIn: delay))
            do { try await clock.sleep(for: delay) } catch { return }
        }
    }

    /// Sends an action on the current session and waits for its answer. Fails at once when not logged in,
    /// and with `connectionClosed` if the session drops first: nothing is ever re-sent on the next one.
    public func send(_ action: AMIAction, waitFor completion: AMIActionCompletion = .response,
                     timeout: Duration? = nil) async throws -> AMIResponse {
        do { try action.validate() } catch { throw AMIClientError.encoding(error) }
        let step: (AMIConnectionStateMachine.Action, NIOAsyncChannelOutboundWriter<ByteBuffer>)? = shared.withLock { shared in
            guard var session = shared.session else { return nil }
            let step = session.machine.send(action, completion: completion)
            shared.session = session
            return (step, session.writer)
        }
        guard let (step, writer) = step, case .write(let action, let actionID) = step else { throw AMIClientError.notConnected }
        var buffer = ByteBuffer()
        try? action.write(actionID: actionID, into: &buffer)  // validated above; the ActionID is ours
        let limit = timeout ?? configuration.responseTimeout
        let payload = buffer
        return try await withThrowingTaskGroup(of: AMIResponse?.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    // Registered before the write, so even an instant answer finds its caller; and only while
                    // the action is still pending: if the connection closed meanwhile, fail now.
                    let registered = self.shared.withLock { shared in
                        guard shared.session?.machine.isPending(actionID) == true else { return false }
                        shared.waiting[actionID] = continuation
                        return true
                    }
                    guard registered else { return continuation.resume(throwing: AMIClientError.connectionClosed) }
                    Task { try? await writer.write(payload) }
                }
            }
            group.addTask {
                try? await self.clock.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let response = result { return response }
                // Time is up: the action fails and the session, which stopped answering, is dropped.
                let actions = shared.withLock { shared -> [AMIConnectionStateMachine.Action] in
                    guard var session = shared.session else { return [] }
                    let actions = session.machine.timedOut(actionID: actionID)
                    shared.session = session
                    return actions
                }
                perform(actions)
                // Whatever the session did, the caller is released (its child task must end for us to return).
                shared.withLock { $0.waiting.removeValue(forKey: actionID) }?.resume(throwing: AMIClientError.timedOut(action.name))
                throw AMIClientError.timedOut(action.name)
            }
            throw AMIClientError.connectionClosed
        }
    }

    // MARK: one session

    /// Returns whether the session got as far as a login.
    private func runSession(_ connection: Connection, _ consumer: @Sendable (SessionEvent) async -> Void) async throws -> Bool {
        try await connection.executeThenClose { inbound, outbound in
            shared.withLock { shared in
                shared.connections += 1
                shared.session = Session(machine: AMIConnectionStateMachine(configuration: configuration, connectionNumber: shared.connections),
                                         writer: outbound, channel: connection.channel)
            }
            var loggedIn = false
            var sessionStartID: String?
            defer {
                let failed = shared.withLock { shared -> [AMIConnectionStateMachine.Action] in
                    let actions = shared.session?.machine.connectionClosed() ?? []
                    shared.session = nil
                    return actions
                }
                perform(failed)
            }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                for try await frames in inbound {
                    // One lock per read: the state machine takes every frame of the batch.
                    let actions: [AMIConnectionStateMachine.Action] = shared.withLock { shared in
                        guard shared.session != nil else { return [] }
                        var actions: [AMIConnectionStateMachine.Action] = []
                        for frame in frames {
                            switch frame {
                            case .banner(let version): actions += shared.session!.machine.greetingReceived(version: version)
                            case .message(let message): shared.session!.machine.messageReceived(message, into: &actions)
                            case .skipped(let error): actions.append(.skipped(error))
                            }
                        }
                        return actions
                    }
                    // Consecutive events go to the consumer together; anything else keeps its place in the order.
                    var events: [AMIMessage] = []
                    func flush() async {
                        guard !events.isEmpty else { return }
                        await consumer(.events(events))
                        events.removeAll(keepingCapacity: true)
                    }
                    for action in actions {
                        if case .deliver(let message) = action {
                            events.append(message)
                            continue
                        }
                        await flush()
                        switch action {
                        case .write(let action, let actionID):
                            var buffer = ByteBuffer()
                            try action.write(actionID: actionID, into: &buffer)
                            try await outbound.write(buffer)
                        case .loggedIn:
                            loggedIn = true
                            // What is in progress now: the consumer reconciles what it tracked before.
                            let start = shared.withLock { shared -> AMIConnectionStateMachine.Action? in
                                guard var session = shared.session else { return nil }
                                defer { shared.session = session }
                                return session.machine.send(AMIAction("CoreShowChannels"), completion: .list)
                            }
                            if case .write(let action, let actionID)? = start {
                                sessionStartID = actionID
                                var buffer = ByteBuffer()
                                try action.write(actionID: actionID, into: &buffer)
                                try await outbound.write(buffer)
                            }
                            group.addTask { try await self.keepAlive() }
                        case .skipped(let error):
                            await consumer(.skipped(error))
                        case .succeed(let actionID, let response) where actionID == sessionStartID:
                            sessionStartID = nil
                            let version = shared.withLock { $0.session?.machine.bannerVersion } ?? ""
                            await consumer(.sessionStarted(version: version, activeChannels: response.events))
                        case .fail(let actionID, _) where actionID == sessionStartID:
                            // A refused list is no reason to drop the session: capture goes on without it.
                            sessionStartID = nil
                            let version = shared.withLock { $0.session?.machine.bannerVersion } ?? ""
                            await consumer(.sessionStarted(version: version, activeChannels: nil))
                        case .close(let error):
                            throw error
                        case .succeed, .fail:
                            perform([action])
                        case .deliver:
                            break
                        }
                    }
                    await flush()
                }
                return loggedIn
            }
        }
    }

    /// Pings the session; a Ping without answer in time drops it (`send` closes a session that times out).
    private func keepAlive() async throws {
        while true {
            try await clock.sleep(for: configuration.pingInterval)
            _ = try await send(AMIAction("Ping"))
        }
    }

    /// Completes waiting callers; `close` shuts the channel.
    private func perform(_ actions: [AMIConnectionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .succeed(let actionID, let response):
                shared.withLock { $0.waiting.removeValue(forKey: actionID) }?.resume(returning: response)
            case .fail(let actionID, let error):
                shared.withLock { $0.waiting.removeValue(forKey: actionID) }?.resume(throwing: error)
            case .close:
                shared.withLock { $0.session?.channel }?.close(promise: nil)
            case .write, .loggedIn, .deliver, .skipped:
                break
            }
        }
    }
}
