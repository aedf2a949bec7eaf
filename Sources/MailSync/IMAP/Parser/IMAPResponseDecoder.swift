import NIOCore

/// What the IMAP decoder produces.
public enum IMAPFrame: Sendable, Hashable {
    case response(IMAPResponse)
    /// A response the decoder could not take (malformed, too big) and skipped; the stream goes on.
    case skipped(IMAPDecodingError)
}

/// A streaming decoder of IMAP server responses, without I/O.
///
/// Two stages, as in swift-nio-imap: framing cuts the stream into whole responses — lines, and the `{n}` literals
/// inside them, whatever the split of the stream across reads — then ``IMAPResponseParser`` parses one frame.
/// Bytes are moved out of the input as they arrive, so a line is scanned once however it is split. A literal
/// longer than ``IMAPDecoderLimits/maxLiteralBytes`` is cut while it streams past (the frame's `{n}` is rewritten
/// to the kept size and the announced size travels beside it); an over-long line or response is skipped to its
/// end and reported as ``IMAPFrame/skipped(_:)``.
public struct IMAPResponseDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = IMAPFrame

    private enum State {
        /// Reading a line that starts at `lineStart` in the frame.
        case line
        /// Inside a literal: bytes still to come, and how many of them are still to be kept.
        case literal(remaining: Int, keep: Int)
    }

    private let limits: IMAPDecoderLimits
    private var state = State.line
    private var frame: ByteBuffer
    private var lineStart = 0
    /// The announced size of each literal of the frame, in order.
    private var literalSizes: [Int] = []
    /// Set when the response broke a limit: the rest of it is dropped, its framing still followed.
    private var overflow: Overflow?
    private enum Overflow { case line, response }
    private var dropped = 0
    /// The last bytes of the current line, kept even while dropping, to find a `{n}` at its end.
    private var lineTail: [UInt8] = []

    public init(limits: IMAPDecoderLimits = IMAPDecoderLimits()) {
        self.limits = limits
        frame = ByteBufferAllocator().buffer(capacity: 1024)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> IMAPFrame? {
        while buffer.readableBytes > 0 {
            switch state {
            case .literal(let remaining, let keep):
                let count = min(remaining, buffer.readableBytes)
                let kept = min(count, keep)
                if kept > 0, overflow == nil {
                    var slice = buffer.readSlice(length: kept)!
                    frame.writeBuffer(&slice)
                } else {
                    buffer.moveReaderIndex(forwardBy: kept)
                }
                buffer.moveReaderIndex(forwardBy: count - kept)
                dropped += overflow == nil ? count - kept : count
                if overflow == nil && frame.readableBytes > limits.maxResponseBytes { startOverflow(.response) }
                state = remaining == count ? .line : .literal(remaining: remaining - count, keep: keep - kept)
                if remaining == count { lineStart = frame.writerIndex; lineTail.removeAll(keepingCapacity: true) }
            case .line:
                let view = buffer.readableBytesView
                let newline = view.firstIndex(of: UInt8(ascii: "\n"))
                let end = newline.map { $0 + 1 } ?? view.endIndex
                let chunk = view[view.startIndex..<end]
                lineTail.append(contentsOf: chunk.suffix(24))
                if lineTail.count > 24 { lineTail.removeFirst(lineTail.count - 24) }
                if overflow == nil {
                    frame.writeBytes(chunk)
                    if frame.writerIndex - lineStart > limits.maxLineBytes {
                        startOverflow(.line)
                    } else if frame.readableBytes > limits.maxResponseBytes {
                        startOverflow(.response)
                    }
                } else {
                    dropped += chunk.count
                }
                buffer.moveReaderIndex(forwardBy: chunk.count)
                guard newline != nil else { return nil }
                if let size = literalSize(endingLine: lineTail) {
                    literalSizes.append(size)
                    let keep = min(size, limits.maxLiteralBytes)
                    if keep < size, overflow == nil { rewriteLiteralHeader(keep: keep) }
                    state = .literal(remaining: size, keep: keep)
                    if size == 0 { state = .line; lineStart = frame.writerIndex; lineTail.removeAll(keepingCapacity: true) }
                    continue
                }
                return finishFrame()
            }
        }
        return nil
    }

    /// At the end of the stream a response cut short (the connection dropped inside it) is reported once as
    /// skipped, not silently forgotten: the sync engine then knows its last FETCH did not complete.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> IMAPFrame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        guard seenEOF else { return nil }
        var pendingLiteral = false
        if case .literal = state { pendingLiteral = true }
        guard frame.readableBytes > 0 || dropped > 0 || pendingLiteral else { return nil }
        let cut = IMAPDecodingError.malformed("the rest of the response (the stream ended)", offset: frame.readableBytes,
                                              droppedBytes: frame.readableBytes + dropped)
        resetFrame()
        state = .line
        return .skipped(cut)
    }

    /// Forgets the frame just delivered or given up, ready for the next response.
    private mutating func resetFrame() {
        frame.clear()
        lineStart = 0
        literalSizes.removeAll(keepingCapacity: true)
        lineTail.removeAll(keepingCapacity: true)
        overflow = nil
        dropped = 0
    }

    private mutating func startOverflow(_ kind: Overflow) {
        overflow = kind
        dropped += frame.readableBytes
        frame.clear()
    }

    private mutating func finishFrame() -> IMAPFrame {
        defer { resetFrame() }
        if let overflow {
            return .skipped(overflow == .line ? .lineTooLong(droppedBytes: dropped) : .responseTooLarge(droppedBytes: dropped))
        }
        let bytes = Array(frame.readableBytesView)
        do {
            var parser = IMAPResponseParser(bytes, literalSizes: literalSizes)
            return .response(try parser.parseResponse())
        } catch let error as IMAPResponseParser.Failure {
            return .skipped(error.isTooDeep ? .tooDeep(droppedBytes: bytes.count)
                                            : .malformed(error.expected, offset: error.offset, droppedBytes: bytes.count))
        } catch {
            return .skipped(.malformed("a response", offset: 0, droppedBytes: bytes.count))
        }
    }

    /// `{123}` or `{123+}` (or `~{123}`) right before the line's CRLF (or bare LF): the size of the literal that follows.
    private func literalSize(endingLine tail: [UInt8]) -> Int? {
        var end = tail.count - 1 // the LF
        if end > 0, tail[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end > 0, tail[end - 1] == UInt8(ascii: "}") else { return nil }
        var index = end - 2
        if index >= 0, tail[index] == UInt8(ascii: "+") || tail[index] == UInt8(ascii: "-") { index -= 1 }
        var size = 0, multiplier = 1, digits = 0
        while index >= 0, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(tail[index]) {
            guard digits < 12 else { return nil }
            size += Int(tail[index] - UInt8(ascii: "0")) * multiplier
            multiplier *= 10
            digits += 1
            index -= 1
        }
        guard digits > 0, index >= 0, tail[index] == UInt8(ascii: "{") else { return nil }
        return size
    }

    /// Replaces the `{n}` that ends the frame with `{keep}`, so the parser reads exactly the bytes that were kept.
    private mutating func rewriteLiteralHeader(keep: Int) {
        let view = frame.readableBytesView
        guard let open = view.lastIndex(of: UInt8(ascii: "{")) else { return }
        let offset = open - view.startIndex + frame.readerIndex
        frame.moveWriterIndex(to: offset)
        frame.writeString("{\(keep)}\r\n")
    }
}

@available(*, unavailable)
extension IMAPResponseDecoder: Sendable {}
