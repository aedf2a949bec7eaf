import MailSync
import NIOCore
import NIOPosix
import NIOSSL

/// Opens IMAP sessions to a ``DovecotServer`` the way the daemon does (a NIO bootstrap and ``IMAPChannel``).
public enum IMAPTestConnector {
    public static func connect(_ configuration: IMAPClientConfiguration, tls: NIOSSLContext?) async throws -> IMAPChannel.Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try IMAPChannel.configure(channel, configuration: configuration, tls: tls)
                }
            }
    }

    /// A configuration for `user` on `server` that trusts the server's self-signed certificate.
    public static func configuration(_ server: DovecotServer, user: String, security: IMAPClientConfiguration.Security = .implicitTLS,
                                     oauth: Bool = false) throws -> IMAPClientConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(server.certificatePath))
        let credentials: IMAPClientConfiguration.Credentials = oauth
            ? .oauth2(user: user, token: { "token-\(user)" })
            : .password(user: user, password: "pass-\(user)")
        return IMAPClientConfiguration(host: "localhost", port: security == .implicitTLS ? server.imapsPort : server.imapPort,
                                       security: security, credentials: credentials, tls: tls, commandTimeout: .seconds(10),
                                       idleRenewal: .seconds(60))
    }

    /// Runs `body` on a logged-in session.
    public static func withSession<R: Sendable>(_ configuration: IMAPClientConfiguration,
                                                _ body: (IMAPSession<ContinuousClock>) async throws -> R) async throws -> R {
        let tls = try IMAPChannel.makeTLSContext(configuration)
        let connection = try await connect(configuration, tls: tls)
        return try await IMAPSession.withSession(connection, configuration: configuration, tls: tls, clock: ContinuousClock(), body)
    }
}
