import NIOCore
import NIOSSL

/// The pipeline of an IMAP connection. The socket itself is opened elsewhere (a thin function over a NIO bootstrap,
/// in the daemon or a test): this module only says what goes on it.
public enum IMAPChannel {
    public typealias Connection = NIOAsyncChannel<IMAPFrame, ByteBuffer>

    /// The TLS context for a configuration; made once per mailbox (loading the trust roots is not free).
    public static func makeTLSContext(_ configuration: IMAPClientConfiguration) throws -> NIOSSLContext? {
        configuration.security == .none ? nil : try NIOSSLContext(configuration: configuration.tls)
    }

    /// Sets up a freshly connected channel, on its event loop (from the bootstrap's channel initializer): TLS when it
    /// is implicit, then the response decoder, wrapped for async use.
    public static func configure(_ channel: any Channel, configuration: IMAPClientConfiguration, tls: NIOSSLContext?) throws -> Connection {
        if configuration.security == .implicitTLS, let tls {
            try channel.pipeline.syncOperations.addHandler(try makeTLSHandler(tls, host: configuration.host))
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(IMAPResponseDecoder(limits: configuration.limits)))
        // A FETCH streams thousands of small responses: with NIO's default watermarks (2/10) reading would pause every
        // few responses and wait for the consumer, a thread hand-off each time. Up to 4,096 decoded responses may wait.
        return try Connection(wrappingChannelSynchronously: channel, configuration: .init(
            backPressureStrategy: .init(lowWatermark: 256, highWatermark: 4096)))
    }

    /// A TLS handler that checks the certificate against `host` (SNI is a name, never an address: an IP host is
    /// verified against the peer's address instead).
    static func makeTLSHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = host.contains(":") || host.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }

    /// STARTTLS (IMAP and SMTP): puts TLS under everything else on the pipeline, before another byte is read or written.
    static func startTLS(on channel: any Channel, context: NIOSSLContext, host: String) async throws {
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(try makeTLSHandler(context, host: host), position: .first)
        }.get()
    }
}
