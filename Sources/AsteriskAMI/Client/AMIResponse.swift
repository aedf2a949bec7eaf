/// The answer to one action: the `Response` message, and for list actions (`CoreShowChannels`,
/// `QueueStatus` …) the events between `EventList: start` and `EventList: Complete`.
public struct AMIResponse: Sendable, Hashable {
    public var message: AMIMessage
    public var events: [AMIMessage]

    public init(message: AMIMessage, events: [AMIMessage] = []) {
        self.message = message
        self.events = events
    }

    /// `Success` (or `Follows` for the old `Command` output, `Goodbye` for `Logoff`).
    public var isSuccess: Bool {
        guard case .response(let value) = message.kind else { return false }
        return value.lowercased() != "error"
    }

    /// The `Message` header: why an action failed, or what it did.
    public var text: String? { message["Message"] }
}

/// Why an AMI action or session failed. A struct over a private enum, so cases can be added.
public struct AMIClientError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case loginFailed(String)
        case actionFailed(String, String)
        case notConnected
        case connectionClosed
        case timedOut(String)
        case unexpectedGreeting
        case encoding(String)
    }
    private let base: Base

    /// The PBX refused the login (its message; the secret is never part of it).
    public static func loginFailed(_ message: String) -> Self { Self(base: .loginFailed(message)) }
    public static func actionFailed(_ action: String, _ message: String) -> Self { Self(base: .actionFailed(action, message)) }
    /// No session is logged in right now (the client is reconnecting).
    public static let notConnected = Self(base: .notConnected)
    /// The connection dropped before the response came; the action may or may not have run.
    public static let connectionClosed = Self(base: .connectionClosed)
    public static func timedOut(_ action: String) -> Self { Self(base: .timedOut(action)) }
    /// The server did not start with `Asterisk Call Manager/…`.
    public static let unexpectedGreeting = Self(base: .unexpectedGreeting)
    public static func encoding(_ error: AMIEncodingError) -> Self { Self(base: .encoding(error.description)) }

    public var description: String {
        switch base {
        case .loginFailed(let message): "AMI login refused: \(message)"
        case .actionFailed(let action, let message): "AMI action \(action) failed: \(message)"
        case .notConnected: "not connected to the PBX (reconnecting)"
        case .connectionClosed: "the AMI connection closed before the response arrived"
        case .timedOut(let action): "no response to AMI action \(action) in time"
        case .unexpectedGreeting: "the server did not greet as an Asterisk Call Manager"
        case .encoding(let message): message
        }
    }
}
