import NIOCore

/// The decoder a connection's pipeline runs: every frame one read completes, handed on as one batch.
///
/// A busy PBX delivers about a hundred events per 64 KiB read. Passing them one by one through the async
/// channel cost more than decoding them; a batch per read pays that once. Framing is ``AMIDecoder``'s.
public struct AMIFrameBatcher: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = [AMIFrame]

    private var decoder: AMIDecoder

    public init(limits: AMIDecoderLimits = AMIDecoderLimits()) {
        decoder = AMIDecoder(limits: limits)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> [AMIFrame]? {
        var frames: [AMIFrame] = []
        while let frame = try decoder.decode(buffer: &buffer) {
            frames.append(frame)
        }
        return frames.isEmpty ? nil : frames
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> [AMIFrame]? {
        var frames: [AMIFrame] = []
        while let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF) {
            frames.append(frame)
        }
        return frames.isEmpty ? nil : frames
    }
}
