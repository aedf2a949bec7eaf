// Shared by the protocol modules (AMI, IMAP, SMTP): how a client waits before reconnecting.

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

extension Duration {
    /// The duration in seconds, for APIs that take a `TimeInterval` (Foundation dates, HTTP headers).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
