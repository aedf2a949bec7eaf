@_exported import NetworkSupport

/// How to log in to an Asterisk Manager Interface and keep the session alive.
public struct AMIClientConfiguration: Sendable {
    public enum Authentication: String, Sendable, Hashable {
        /// `Login` with the secret in clear (over loopback or a VPN only).
        case plain
        /// `Challenge` then `Login` with md5(challenge + secret): the secret never crosses the wire.
        case md5
    }

    public var username: String
    /// The manager secret. Never logged, never part of an error.
    public var secret: String
    /// Default: `.md5`.
    public var authentication: Authentication
    /// The `Events` mask sent at login. Default: `call,user,agent,system` (calls, UserEvents, queues,
    /// FullyBooted).
    public var eventMask: String
    /// How often an idle session is checked with `Ping`. Default: 20 seconds.
    public var pingInterval: Duration
    /// How long a `Ping` (or any action) may wait for its response before the session is dropped.
    /// Default: 5 seconds.
    public var responseTimeout: Duration
    /// Reconnect delays: doubled after each failure from `initial` up to `maximum`, with ±`jitter` (a
    /// fraction) so a PBX restart is not met by every client at once. Defaults: 0.5 s, 30 s, 0.2.
    public var backoff: Backoff

    public init(username: String, secret: String, authentication: Authentication = .md5,
                eventMask: String = "call,user,agent,system", pingInterval: Duration = .seconds(20),
                responseTimeout: Duration = .seconds(5), backoff: Backoff = Backoff()) {
        self.username = username
        self.secret = secret
        self.authentication = authentication
        self.eventMask = eventMask
        self.pingInterval = pingInterval
        self.responseTimeout = responseTimeout
        self.backoff = backoff
    }
}
