import NIOSSL
import NetworkSupport

/// How to reach and log in to one mailbox's IMAP server, and the timers of the session.
public struct IMAPClientConfiguration: Sendable {
    public enum Security: Sendable, Hashable {
        /// TLS from the first byte (port 993). The default.
        case implicitTLS
        /// Plain TCP, then `STARTTLS` before anything else is said (port 143). A server without STARTTLS is refused.
        case startTLS
        /// No TLS at all: for a server on loopback only (a test, an SSH tunnel). Credentials travel in clear.
        case none
    }

    /// How the client proves who it is.
    public enum Credentials: Sendable {
        /// `AUTHENTICATE PLAIN` when the server offers it, else `LOGIN`.
        case password(user: String, password: String)
        /// `AUTHENTICATE XOAUTH2` with a bearer token fetched for every login (Gmail). The provider refreshes
        /// tokens; when it throws, the login fails with its error (for example "reconnect needed").
        case oauth2(user: String, token: @Sendable () async throws -> String)

        public var user: String {
            switch self {
            case .password(let user, _), .oauth2(let user, _): user
            }
        }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials
    /// TLS settings; the default verifies the server's certificate against the system's roots and its name.
    public var tls: TLSConfiguration
    /// How long any command may go without a byte from the server before the connection is dropped. Default: 60 s.
    public var commandTimeout: Duration
    /// IDLE is ended and re-issued after this long; RFC 2177 lets a server drop an idle client after 30 minutes.
    /// Default: 25 minutes.
    public var idleRenewal: Duration
    public var limits: IMAPDecoderLimits
    /// Reconnect delays. Defaults: 1 s doubling up to 5 minutes, ±20 % jitter.
    public var backoff: Backoff
    /// Extra wait after the server says `[THROTTLED]` (Gmail's "slow down"). Default: 30 s.
    public var throttlePause: Duration

    public init(host: String, port: Int = 993, security: Security = .implicitTLS, credentials: Credentials,
                tls: TLSConfiguration = .makeClientConfiguration(), commandTimeout: Duration = .seconds(60),
                idleRenewal: Duration = .seconds(25 * 60), limits: IMAPDecoderLimits = IMAPDecoderLimits(),
                backoff: Backoff = Backoff(initial: .seconds(1), maximum: .seconds(300), jitter: 0.2),
                throttlePause: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.tls = tls
        self.commandTimeout = commandTimeout
        self.idleRenewal = idleRenewal
        self.limits = limits
        self.backoff = backoff
        self.throttlePause = throttlePause
    }
}
