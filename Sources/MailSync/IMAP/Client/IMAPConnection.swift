import NIOCore
import NIOSSL
import Synchronization

/// One logged-in IMAP session, used by one task at a time: commands run in order, each with its untagged data
/// handed to the caller as it arrives (a 100,000-message FETCH never sits in memory whole).
///
/// Open one with ``withSession(_:configuration:tls:clock:_:)``: it greets, upgrades to TLS when asked, logs in,
/// enables CONDSTORE, runs the body, and logs out. A watchdog on `clock` drops the connection when a command
/// goes ``IMAPClientConfiguration/commandTimeout`` without a byte from the server.
public final class IMAPSession<C: Clock> where C.Duration == Duration {
    /// The server's capabilities after login, upper-cased (`CONDSTORE`, `X-GM-EXT-1`, `AUTH=PLAIN` …).
    public private(set) var capabilities: Set<String> = []
    /// Responses the decoder skipped so far on this connection.
    public private(set) var skippedResponses = 0
    /// `[ALERT]` texts the server sent and nobody took yet: RFC 3501 says they must reach a person.
    private var alerts: [String] = []

    /// The `[ALERT]`s received since the last call (the daemon logs each once).
    public func takeAlerts() -> [String] {
        defer { alerts.removeAll() }
        return alerts
    }

    public let configuration: IMAPClientConfiguration
    private var machine = IMAPConnectionStateMachine()
    private var inbound: NIOAsyncChannelInboundStream<IMAPFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let watchdog: Watchdog<C>
    private let clock: C

    private init(configuration: IMAPClientConfiguration, inbound: NIOAsyncChannelInboundStream<IMAPFrame>,
                 outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, watchdog: Watchdog<C>, clock: C) {
        self.configuration = configuration
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel
        self.watchdog = watchdog
        self.clock = clock
    }

    public func has(_ capability: String) -> Bool { capabilities.contains(capability) }

    /// Runs `body` on a logged-in session over `connection`, then logs out and closes it. Errors of the session
    /// (refused login, timeout, closed connection) are thrown as ``IMAPClientError``.
    public static func withSession<R: Sendable>(
        _ connection: IMAPChannel.Connection, configuration: IMAPClientConfiguration, tls: NIOSSLContext?, clock: C,
        _ body: (IMAPSession) async throws -> R
    ) async throws -> R {
        let channel = connection.channel
        let watchdog = Watchdog(clock: clock, timeout: configuration.commandTimeout, channel: channel)
        return try await connection.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watchdog.run() }
                defer { group.cancelAll() }
                let session = IMAPSession(configuration: configuration, inbound: inbound, outbound: outbound,
                                          channel: channel, watchdog: watchdog, clock: clock)
                do {
                    try await session.open(tls: tls)
                    let result: R
                    do { result = try await body(session) } catch { throw BodyError(error: error) }
                    try? await session.logout()
                    return result
                } catch let error as BodyError {
                    // The caller's own error (a failed commit, a crash simulation) goes back to it untouched.
                    throw error.error
                } catch let error as IMAPClientError {
                    throw error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // The channel failed under us (TLS, reset): one kind of error for the caller, no secrets in it.
                    throw watchdog.fired ? IMAPClientError.timedOut("the session") : IMAPClientError.connectionFailed(String(describing: error))
                }
            }
        }
    }

    // MARK: commands

    /// Runs one command; untagged data goes to `onData` as it arrives. Returns the tagged OK; a NO or BAD is thrown
    /// as ``IMAPClientError`` (the session stays usable).
    @discardableResult
    public func execute(_ command: IMAPCommand, onData: (IMAPUntagged) throws -> Void = { _ in }) async throws -> IMAPCondition {
        // Between commands no answer is due: the caller may take minutes (a commit, a poll interval) before the next.
        defer { watchdog.rest() }
        try await perform(machine.send(command), command: command.name, onData: onData)
        while true {
            let action = machine.receive(try await nextFrame(command.name))
            switch action {
            case .completed(let condition):
                noteCondition(condition)
                return condition
            case .failed(let error, let condition):
                noteCondition(condition)
                throw error
            case .challenge:
                // Only AUTHENTICATE gets here: an empty answer ends the exchange, the tagged NO follows.
                try await perform(machine.answerChallenge(""), command: command.name, onData: onData)
            default:
                try await perform(action, command: command.name, onData: onData)
            }
        }
    }

    /// Why ``idle(onData:)`` returned.
    public enum IdleEnd: Sendable, Equatable {
        /// `onData` asked to stop: something changed.
        case changed
        /// ``IMAPClientConfiguration/idleRenewal`` passed; IDLE should be issued again.
        case renewal
        /// The task was cancelled (shutdown, a sync asked for).
        case cancelled
    }

    /// Waits in IDLE (RFC 2177) until `onData` returns true for an update, the renewal time passes or the task is
    /// cancelled, then ends IDLE cleanly with DONE. Without IDLE on the server, the caller polls instead.
    public func idle(onData: (IMAPUntagged) -> Bool) async throws -> IdleEnd {
        let done = Mutex(IdleEnd?.none)
        let writer = outbound
        var doneBytes = ByteBuffer()
        doneBytes.writeString("DONE\r\n")
        let payload = doneBytes
        // Whoever ends IDLE first writes DONE: the timer, a cancellation, or the reader on news.
        let finish: @Sendable (IdleEnd) async -> Void = { reason in
            let first = done.withLock { state -> Bool in
                guard state == nil else { return false }
                state = reason
                return true
            }
            if first { try? await writer.write(payload) }
        }
        defer { watchdog.rest() }
        try await perform(machine.send(.idle), command: "IDLE", onData: { _ in })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            var timerStarted = false
            while true {
                // No byte is due while idling: the watchdog rests until DONE is sent.
                let frame = try await nextFrame("IDLE", watched: done.withLock { $0 != nil })
                let action = machine.receive(frame)
                switch action {
                case .idling:
                    guard !timerStarted else { continue }
                    timerStarted = true
                    let clock = self.clock, renewal = configuration.idleRenewal
                    group.addTask {
                        do {
                            try await clock.sleep(for: renewal)
                            await finish(.renewal)
                        } catch {
                            await finish(.cancelled)
                        }
                    }
                case .deliver(let data):
                    noteUntagged(data)
                    if onData(data) { await finish(.changed) }
                case .completed:
                    return done.withLock { $0 } ?? .changed
                case .failed(let error, _):
                    throw error
                default:
                    try await perform(action, command: "IDLE", onData: { _ in })
                }
            }
        }
    }

    // MARK: opening

    private func open(tls: NIOSSLContext?) async throws {
        let greeting: IMAPCondition
        switch machine.receive(try await nextFrame("the greeting")) {
        case .greeted(let condition): greeting = condition
        case let action:
            try await perform(action, command: "the greeting", onData: { _ in })
            throw IMAPClientError.protocolViolation("no greeting")
        }
        noteCondition(greeting)
        if configuration.security == .startTLS {
            if capabilities.isEmpty { try await execute(.capability, onData: noteUntagged) }
            guard has("STARTTLS"), let tls else { throw IMAPClientError.tlsUnavailable }
            try await execute(.startTLS)
            // Before anything else is read or written: the server now waits for our ClientHello.
            try await IMAPChannel.startTLS(on: channel, context: tls, host: configuration.host)
            capabilities = []  // RFC 3501 §6.2.1: what was said before TLS no longer counts
        }
        if greeting.status != .preauth {
            if capabilities.isEmpty { try await execute(.capability, onData: noteUntagged) }
            try await authenticate()
        }
        if capabilities.isEmpty || !capabilities.contains("IMAP4REV1") { try await execute(.capability, onData: noteUntagged) }
        machine.encoder = IMAPCommandEncoder(literalPlus: has("LITERAL+"), literalMinus: has("LITERAL-"))
        if has("CONDSTORE") && has("ENABLE") { try await execute(.enable(["CONDSTORE"]), onData: noteUntagged) }
    }

    private func authenticate() async throws {
        let offered = capabilities  // what the server offers for logging in (after TLS, when STARTTLS was used)
        capabilities.removeAll()  // the login's OK (or a CAPABILITY afterwards) says what holds now
        switch configuration.credentials {
        case .oauth2(let user, let token):
            let bearer: String
            do { bearer = try await token() } catch { throw IMAPClientError.authenticationFailed("no access token: \(error)") }
            let response = Base64.encode(Array("user=\(user)\u{1}auth=Bearer \(bearer)\u{1}\u{1}".utf8))
            try await execute(.authenticate(mechanism: "XOAUTH2", initialResponse: response), onData: noteUntagged)
        case .password(let user, let password):
            if offered.contains("AUTH=PLAIN") {
                let response = Base64.encode(Array("\u{0}\(user)\u{0}\(password)".utf8))
                try await execute(.authenticate(mechanism: "PLAIN", initialResponse: response), onData: noteUntagged)
            } else {
                guard !offered.contains("LOGINDISABLED") else {
                    throw IMAPClientError.authenticationFailed("the server disables LOGIN and offers no AUTH=PLAIN")
                }
                try await execute(.login(user: user, password: password), onData: noteUntagged)
            }
        }
    }

    private func logout() async throws {
        try await execute(.logout)
    }

    // MARK: plumbing

    private func nextFrame(_ command: String, watched: Bool = true) async throws -> IMAPFrame {
        if watched { watchdog.arm() } else { watchdog.rest() }
        let frame: IMAPFrame?
        do { frame = try await inbound.next() } catch {
            // The channel failed under the command (a reset, TLS cut short): one kind of error for every caller.
            throw watchdog.fired ? IMAPClientError.timedOut(command) : IMAPClientError.connectionFailed(String(describing: error))
        }
        guard let frame else {
            throw watchdog.fired ? IMAPClientError.timedOut(command) : IMAPClientError.connectionClosed
        }
        return frame
    }

    private func perform(_ action: IMAPConnectionStateMachine.Action, command: String, onData: (IMAPUntagged) throws -> Void) async throws {
        switch action {
        case .none, .idling, .greeted, .completed, .failed, .challenge:
            break
        case .write(let bytes):
            do { try await outbound.write(bytes) } catch {
                throw watchdog.fired ? IMAPClientError.timedOut(command) : IMAPClientError.connectionFailed(String(describing: error))
            }
        case .deliver(let data):
            noteUntagged(data)
            try onData(data)
        case .report:
            skippedResponses += 1
        case .close(let error):
            channel.close(promise: nil)
            throw error
        }
    }

    private func noteUntagged(_ data: IMAPUntagged) {
        switch data {
        case .capability(let list): capabilities = Set(list.map { $0.uppercased() })
        case .condition(let condition): noteCondition(condition)
        default: break
        }
    }

    /// A status response (untagged, tagged or the greeting) may carry capabilities or an alert for a person.
    private func noteCondition(_ condition: IMAPCondition) {
        switch condition.code {
        case .capability(let list)?: capabilities = Set(list.map { $0.uppercased() })
        case .alert?: alerts.append(condition.text)
        default: break
        }
    }
}

/// Carries an error of the session's body through the session's own error mapping.
private struct BodyError: Error { var error: any Error }

/// Closes the channel when the server has been silent for longer than the timeout while an answer is due.
final class Watchdog<C: Clock>: Sendable where C.Duration == Duration {
    private struct State { var since: C.Instant?; var fired = false }
    private let state: Mutex<State>
    private let clock: C
    private let timeout: Duration
    private let channel: any Channel

    init(clock: C, timeout: Duration, channel: any Channel) {
        self.clock = clock
        self.timeout = timeout
        self.channel = channel
        state = Mutex(State())
    }

    var fired: Bool { state.withLock { $0.fired } }

    /// An answer is due from now (called for every frame read, so a long FETCH that keeps streaming never trips).
    func arm() {
        let now = clock.now
        state.withLock { $0.since = now }
    }

    /// Nothing is due (IDLE).
    func rest() { state.withLock { $0.since = nil } }

    func run() async throws {
        let tick = max(timeout / 4, .milliseconds(10))
        while true {
            try await clock.sleep(for: tick)
            let now = clock.now
            let expired = state.withLock { state -> Bool in
                guard let since = state.since, since.duration(to: now) > timeout else { return false }
                state.fired = true
                return true
            }
            if expired {
                channel.close(promise: nil)
                return
            }
        }
    }
}
