import AsteriskAMI
import NIOCore
import NIOPosix

/// The socket under the AMI client: TCP to the PBX, the AMI decoder on the pipeline.
enum AMIConnector {
    static func connect(host: String, port: Int) async throws -> NIOAsyncChannel<[AMIFrame], ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AMIFrameBatcher()))
                    return try NIOAsyncChannel<[AMIFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
