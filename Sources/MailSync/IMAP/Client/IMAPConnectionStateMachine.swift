import NIOCore

/// The client side of one IMAP connection, without I/O: which command runs under which tag, what a response
/// means for it, what to write next. Each event is a `mutating func` returning one ``Action``; the connection
/// only performs actions (the postgres-nio way), so every path is testable without a socket.
///
/// IMAP commands of one connection run one at a time here: sync is a sequence (SELECT, then FETCH …) and a
/// single command in flight keeps every untagged response attributable to it.
public struct IMAPConnectionStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        case write(ByteBuffer)
        /// Untagged data: for the running command, or unsolicited (EXISTS during IDLE, an ALERT).
        case deliver(IMAPUntagged)
        /// The server's greeting: `OK` (log in next) or `PREAUTH` (already authenticated).
        case greeted(IMAPCondition)
        /// The running command ended with OK.
        case completed(IMAPCondition)
        /// The running command ended with NO or BAD; the connection stays usable.
        case failed(IMAPClientError, IMAPCondition)
        /// AUTHENTICATE: the server sent a challenge (for XOAUTH2, the base64 JSON of a failure). The client answers
        /// with ``answerChallenge(_:)``.
        case challenge(String)
        /// IDLE was accepted: updates now arrive until ``endIdle()``.
        case idling
        /// A response the decoder skipped (too large, malformed): counted and logged, the session goes on.
        case report(IMAPDecodingError)
        /// The connection cannot go on: close it and fail with this error.
        case close(IMAPClientError)
    }

    private struct Running: Sendable {
        var tag: String
        var name: String
        /// What is left to send after a synchronizing literal's `{n}`, up to the next wait.
        var remaining: [IMAPCommandPart]
        var kind: Kind
        enum Kind: Sendable { case plain, authenticate, idle, logout }
    }

    private enum State: Sendable {
        case awaitingGreeting
        case ready
        case running(Running)
        case closed
    }

    private var state = State.awaitingGreeting
    private var nextTag = 1
    public var encoder: IMAPCommandEncoder

    public init(encoder: IMAPCommandEncoder = IMAPCommandEncoder()) {
        self.encoder = encoder
    }

    /// Whether a command may be sent now.
    public var isReady: Bool { if case .ready = state { true } else { false } }

    /// Starts a command: the bytes up to its first synchronizing literal.
    public mutating func send(_ command: IMAPCommand) -> Action {
        guard case .ready = state else {
            return .close(.protocolViolation("\(command.name) sent while another command runs"))
        }
        let tag = "A\(nextTag)"
        nextTag += 1
        var parts = encoder.encode(command, tag: tag)[...]
        let kind: Running.Kind = switch command {
        case .authenticate: .authenticate
        case .idle: .idle
        case .logout: .logout
        default: .plain
        }
        let first = Self.takeUntilWait(&parts)
        state = .running(Running(tag: tag, name: command.name, remaining: Array(parts), kind: kind))
        return .write(first)
    }

    /// Ends IDLE (`DONE`); the server then completes the IDLE command.
    public mutating func endIdle() -> Action {
        guard case .running(let running) = state, running.kind == .idle else { return .none }
        var buffer = ByteBuffer()
        buffer.writeString("DONE\r\n")
        return .write(buffer)
    }

    /// The answer to an AUTHENTICATE challenge (an empty line gives up, as XOAUTH2 requires after a failure).
    public mutating func answerChallenge(_ base64: String) -> Action {
        guard case .running(let running) = state, running.kind == .authenticate else { return .none }
        var buffer = ByteBuffer()
        buffer.writeString(base64 + "\r\n")
        return .write(buffer)
    }

    public mutating func receive(_ frame: IMAPFrame) -> Action {
        switch frame {
        case .skipped(let error): return .report(error)
        case .response(let response): return receive(response)
        }
    }

    public mutating func receive(_ response: IMAPResponse) -> Action {
        switch (state, response) {
        case (.closed, _):
            return .none
        case (.awaitingGreeting, .untagged(.condition(let condition))):
            switch condition.status {
            case .ok, .preauth:
                state = .ready
                return .greeted(condition)
            case .bye: return closing(.serverClosed(condition.text))
            case .no, .bad: return closing(.protocolViolation("greeting \(condition.status.rawValue)"))
            }
        case (.awaitingGreeting, _):
            return closing(.protocolViolation("expected a greeting"))

        case (_, .untagged(.condition(let condition))) where condition.status == .bye:
            // Expected after LOGOUT; anywhere else the server is going away (shutdown, idle too long, too many
            // connections).
            if case .running(let running) = state, running.kind == .logout { return .deliver(.condition(condition)) }
            return closing(.serverClosed(condition.text))
        case (_, .untagged(let data)):
            return .deliver(data)

        case (.running(var running), .continuation(let text)):
            if !running.remaining.isEmpty {
                var parts = running.remaining[...]
                let next = Self.takeUntilWait(&parts)
                running.remaining = Array(parts)
                state = .running(running)
                return .write(next)
            }
            switch running.kind {
            case .idle: return .idling
            case .authenticate: return .challenge(text)
            case .plain, .logout: return closing(.protocolViolation("continuation request for \(running.name)"))
            }
        case (_, .continuation):
            return closing(.protocolViolation("continuation request with no command running"))

        case (.running(let running), .tagged(let tag, let condition)):
            guard tag == running.tag else { return closing(.protocolViolation("response tagged \(tag) while \(running.tag) runs")) }
            state = .ready
            switch condition.status {
            case .ok: return .completed(condition)
            case .no, .bad:
                if running.kind == .authenticate || running.name == "LOGIN" {
                    // [UNAVAILABLE] is the server's trouble, not the credentials': retry later rather than stop.
                    if case .other(let code, _)? = condition.code, code.uppercased() == "UNAVAILABLE" {
                        return .failed(.commandFailed(running.name, condition), condition)
                    }
                    return .failed(.authenticationFailed(condition.text), condition)
                }
                return .failed(.commandFailed(running.name, condition), condition)
            case .bye, .preauth: return closing(.protocolViolation("tagged \(condition.status.rawValue)"))
            }
        case (_, .tagged(let tag, _)):
            return closing(.protocolViolation("response tagged \(tag) with no command running"))
        }
    }

    /// The socket closed (or the connection gave up).
    public mutating func connectionClosed() -> Action {
        if case .closed = state { return .none }
        return closing(.connectionClosed)
    }

    private mutating func closing(_ error: IMAPClientError) -> Action {
        state = .closed
        return .close(error)
    }

    private static func takeUntilWait(_ parts: inout ArraySlice<IMAPCommandPart>) -> ByteBuffer {
        var out = ByteBuffer()
        while let part = parts.popFirst() {
            switch part {
            case .bytes(var bytes): out.writeBuffer(&bytes)
            case .waitForContinuation: return out
            }
        }
        return out
    }
}

extension IMAPCommand {
    /// The command's name for errors and logs (`UID FETCH`, `SELECT` …), without arguments.
    public var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .startTLS: "STARTTLS"
        case .login: "LOGIN"
        case .authenticate(let mechanism, _): "AUTHENTICATE \(mechanism)"
        case .enable: "ENABLE"
        case .list: "LIST"
        case .select(_, let readOnly, _): readOnly ? "EXAMINE" : "SELECT"
        case .status: "STATUS"
        case .uidFetch: "UID FETCH"
        case .uidSearch: "UID SEARCH"
        case .idle: "IDLE"
        case .done: "DONE"
        }
    }
}
