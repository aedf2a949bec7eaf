import MailSync
import NIOCore
import NIOPosix
import NIOSSL

/// The socket under the IMAP client: TCP to the server, with ``IMAPChannel``'s pipeline on it.
enum IMAPConnector {
    static func connect(_ configuration: IMAPClientConfiguration, tls: NIOSSLContext?) async throws -> IMAPChannel.Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(15))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try IMAPChannel.configure(channel, configuration: configuration, tls: tls)
                }
            }
    }
}
