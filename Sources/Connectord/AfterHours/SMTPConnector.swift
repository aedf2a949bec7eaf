import MailSync
import NIOCore
import NIOPosix
import NIOSSL

/// The socket under the SMTP submission client: TCP to the server, with ``SMTPSubmission``'s pipeline on it.
enum SMTPConnector {
    static func connect(_ configuration: SMTPClientConfiguration, tls: NIOSSLContext?) async throws -> SMTPSubmission.Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(15))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try SMTPSubmission.configure(channel, configuration: configuration, tls: tls)
                }
            }
    }
}
