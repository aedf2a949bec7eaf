/// Why an IMAP session or command failed. A struct over a private enum, so cases can be added; the description
/// never holds a password, token or message content.
public struct IMAPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case commandFailed(command: String, IMAPCondition.Status, code: IMAPResponseCode?, text: String)
        case authenticationFailed(String)
        case serverClosed(String)
        case connectionClosed
        case timedOut(String)
        case protocolViolation(String)
        case tlsUnavailable
        case mailboxMissing(String)
        case connectionFailed(String)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    static func commandFailed(_ command: String, _ condition: IMAPCondition) -> Self {
        Self(.commandFailed(command: command, condition.status, code: condition.code, text: condition.text))
    }
    static func authenticationFailed(_ text: String) -> Self { Self(.authenticationFailed(text)) }
    static func serverClosed(_ text: String) -> Self { Self(.serverClosed(text)) }
    static let connectionClosed = Self(.connectionClosed)
    static func timedOut(_ command: String) -> Self { Self(.timedOut(command)) }
    static func protocolViolation(_ what: String) -> Self { Self(.protocolViolation(what)) }
    static let tlsUnavailable = Self(.tlsUnavailable)
    static func mailboxMissing(_ what: String) -> Self { Self(.mailboxMissing(what)) }

    /// The server refused the credentials (a wrong password, a revoked or expired token): retrying alone
    /// will not help.
    public var isAuthenticationFailure: Bool { if case .authenticationFailed = base { true } else { false } }

    /// The server answered the command with NO or BAD (the session is fine; the command was refused).
    public var isCommandRefusal: Bool { if case .commandFailed = base { true } else { false } }

    /// The server asked us to slow down (`[THROTTLED]`, Gmail).
    public var isThrottled: Bool {
        if case .commandFailed(_, _, .throttled?, _) = base { return true }
        return false
    }

    public var description: String {
        switch base {
        case .commandFailed(let command, let status, let code, let text):
            "IMAP \(command) failed: \(status.rawValue)\(code.map { " [\($0.name)]" } ?? "") \(text)"
        case .authenticationFailed(let text): "IMAP login refused: \(text)"
        case .serverClosed(let text): "IMAP server closed the session: \(text)"
        case .connectionClosed: "IMAP connection closed"
        case .timedOut(let command): "IMAP server did not answer \(command) in time"
        case .protocolViolation(let what): "IMAP protocol violation: \(what)"
        case .tlsUnavailable: "IMAP server does not offer STARTTLS; refusing to log in without TLS"
        case .mailboxMissing(let what): "IMAP mailbox not found: \(what)"
        case .connectionFailed(let detail): "IMAP connection failed: \(detail)"
        }
    }
}

extension IMAPResponseCode {
    /// The code's atom, for messages (`THROTTLED`, `ALERT`, `UIDVALIDITY` …).
    public var name: String {
        switch self {
        case .alert: "ALERT"
        case .capability: "CAPABILITY"
        case .parse: "PARSE"
        case .permanentFlags: "PERMANENTFLAGS"
        case .readOnly: "READ-ONLY"
        case .readWrite: "READ-WRITE"
        case .tryCreate: "TRYCREATE"
        case .uidNext: "UIDNEXT"
        case .uidValidity: "UIDVALIDITY"
        case .unseen: "UNSEEN"
        case .highestModSeq: "HIGHESTMODSEQ"
        case .noModSeq: "NOMODSEQ"
        case .modified: "MODIFIED"
        case .closed: "CLOSED"
        case .appendUID: "APPENDUID"
        case .copyUID: "COPYUID"
        case .throttled: "THROTTLED"
        case .other(let atom, _): atom
        }
    }
}

extension IMAPClientError {
    /// The connection failed below IMAP (TLS handshake, reset); `detail` is NIO's description, which holds no secret.
    static func connectionFailed(_ detail: String) -> Self { Self(.connectionFailed(detail)) }
}
