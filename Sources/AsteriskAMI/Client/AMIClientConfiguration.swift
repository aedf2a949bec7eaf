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

/// Exponential backoff with jitter, as a value: `next()` gives the delay before the next attempt.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var jitter: Double
    private var attempt = 0

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay before the next attempt; each call doubles the base delay, up to `maximum`.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        let base = min(initial * (1 << min(attempt, 30)), maximum)
        attempt += 1
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &generator) : 1
        return base * factor
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// After a successful login the next failure starts from `initial` again.
    public mutating func reset() { attempt = 0 }
}
