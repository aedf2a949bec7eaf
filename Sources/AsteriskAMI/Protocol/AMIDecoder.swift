#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// What the AMI decoder produces.
public enum AMIFrame: Sendable, Hashable {
    /// `Asterisk Call Manager/5.0.2`: the first line of a session; carries the version.
    case banner(version: String)
    case message(AMIMessage)
    /// A message the decoder could not take (too big, too many headers) and skipped; the stream goes on.
    case skipped(AMIDecodingError)
}

/// Why a message was skipped. Public errors are a struct over a private enum, so cases can be added.
public struct AMIDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Hashable { case messageTooLarge, tooManyHeaders, lineTooLong }
    private let base: Base
    /// Bytes dropped.
    public let droppedBytes: Int

    public static func messageTooLarge(droppedBytes: Int) -> Self { Self(base: .messageTooLarge, droppedBytes: droppedBytes) }
    public static func tooManyHeaders(droppedBytes: Int) -> Self { Self(base: .tooManyHeaders, droppedBytes: droppedBytes) }
    public static func lineTooLong(droppedBytes: Int) -> Self { Self(base: .lineTooLong, droppedBytes: droppedBytes) }

    public var description: String {
        switch base {
        case .messageTooLarge: "AMI message larger than the limit; \(droppedBytes) bytes skipped"
        case .tooManyHeaders: "AMI message with more headers than the limit; \(droppedBytes) bytes skipped"
        case .lineTooLong: "AMI line longer than the message limit; \(droppedBytes) bytes skipped"
        }
    }
}

/// Limits of the AMI decoder.
public struct AMIDecoderLimits: Sendable, Hashable {
    /// The largest message kept, in bytes; a larger one is skipped up to its end. Default: 1,048,576 (1 MiB),
    /// room for `core show channels` output on a busy PBX.
    public var maxMessageBytes: Int
    /// The most fields (headers and output lines) in one message. Default: 65,536.
    public var maxFields: Int

    public init(maxMessageBytes: Int = 1 << 20, maxFields: Int = 1 << 16) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFields = maxFields
    }
}

/// A streaming decoder for the Asterisk Manager Interface, without I/O.
///
/// Messages are `Key: Value` lines ended by an empty line (CRLF, a bare LF tolerated). It handles the
/// banner, repeated headers, stray empty lines, body lines that are not headers, the old `Command` format
/// (`Response: Follows` … raw lines, empty ones included … `--END COMMAND--`), and any split of the stream
/// across reads (bytes are only turned into text once a whole line is there, so a UTF-8 character split
/// across reads is whole when decoded). Oversized input is skipped and reported as ``AMIFrame/skipped(_:)``.
public struct AMIDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = AMIFrame

    public let limits: AMIDecoderLimits

    // Progress in the message at the buffer's reader index; offsets are relative to the reader index,
    // which does not move until the message is complete.
    private var scanned = 0
    private var fields: [AMIMessage.Field] = []
    private var inCommandOutput = false
    private var commandOutputStarted = false
    private var skipping = false
    private var skippedBytes = 0
    private var skipReason: (Int) -> AMIDecodingError = AMIDecodingError.messageTooLarge
    private var inFollows = false

    public init(limits: AMIDecoderLimits = AMIDecoderLimits()) {
        self.limits = limits
        fields.reserveCapacity(32)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> AMIFrame? {
        while true {
            let readable = buffer.readableBytes
            guard let newline = buffer.withUnsafeReadableBytes({ raw -> Int? in
                guard scanned < raw.count else { return nil }
                let base = raw.baseAddress! + scanned
                guard let hit = memchr(base, 0x0A, raw.count - scanned) else { return nil }
                return scanned + (UnsafeRawPointer(hit) - UnsafeRawPointer(base))
            }) else {
                // No complete line. A partial line that already exceeds the limit is dropped now, so a
                // hostile peer cannot make us buffer without bound.
                if readable > limits.maxMessageBytes {
                    let dropped = readable
                    buffer.moveReaderIndex(forwardBy: readable)
                    beginSkipping(dropped: dropped, reason: AMIDecodingError.lineTooLong)
                }
                return nil
            }
            let lineStart = scanned
            var lineEnd = newline
            if lineEnd > lineStart, buffer.getInteger(at: buffer.readerIndex + lineEnd - 1, as: UInt8.self) == 0x0D { lineEnd -= 1 }
            scanned = newline + 1

            if skipping {
                // Drop what was read; the skipped message ends at its empty line.
                buffer.moveReaderIndex(forwardBy: scanned)
                skippedBytes += scanned
                scanned = 0
                if lineEnd == lineStart {
                    let error = skipReason(skippedBytes)
                    resetMessage()
                    return .skipped(error)
                }
                continue
            }

            let isEmpty = lineEnd == lineStart
            if inCommandOutput {
                appendCommandOutput(buffer, lineStart, lineEnd)
                if let skipped = checkLimits(&buffer) { return skipped }
                continue
            }
            if isEmpty {
                if fields.isEmpty {
                    // A stray empty line between messages.
                    buffer.moveReaderIndex(forwardBy: scanned)
                    scanned = 0
                    continue
                }
                let bytes = buffer.readSlice(length: scanned)!
                let message = AMIMessage(bytes: bytes, fields: fields)
                resetMessage()
                return .message(message)
            }
            // The banner is one line at a message boundary (it has no colon, so it cannot be a header).
            if fields.isEmpty, let version = banner(buffer, lineStart, lineEnd) {
                buffer.moveReaderIndex(forwardBy: scanned)
                scanned = 0
                return .banner(version: version)
            }
            if let colon = headerColon(buffer, lineStart, lineEnd), !commandOutputStarted {
                var valueStart = colon + 1
                if valueStart < lineEnd, buffer.getInteger(at: buffer.readerIndex + valueStart, as: UInt8.self) == 0x20 { valueStart += 1 }
                fields.append(AMIMessage.Field(nameStart: UInt32(lineStart), nameLength: UInt16(colon - lineStart),
                                               valueStart: UInt32(valueStart), valueLength: UInt32(lineEnd - valueStart)))
                if fields.count == 1 { inFollows = Self.isFollows(buffer, fields[0]) }
            } else {
                // A body line: old Command output, or rows some modules print without a header.
                if inFollows {
                    commandOutputStarted = true
                    inCommandOutput = true
                    appendCommandOutput(buffer, lineStart, lineEnd)
                } else {
                    appendBodyLine(lineStart, lineEnd)
                }
            }
            if let skipped = checkLimits(&buffer) { return skipped }
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMIFrame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        // The connection closed mid-message: what is left is not a message. Drop it (the client reconnects
        // and asks what is in progress; nothing half-read is ever acted on).
        if seenEOF, buffer.readableBytes > 0 {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            resetMessage()
        }
        return nil
    }

    // MARK: Helpers

    /// `Response: Follows`: the old `Command` format, whose raw output follows the headers.
    private static func isFollows(_ buffer: ByteBuffer, _ field: AMIMessage.Field) -> Bool {
        guard field.nameLength == 8, field.valueLength == 7,
              let name = buffer.getString(at: buffer.readerIndex + Int(field.nameStart), length: 8),
              let value = buffer.getString(at: buffer.readerIndex + Int(field.valueStart), length: 7)
        else { return false }
        return name.lowercased() == "response" && value.lowercased() == "follows"
    }

    private mutating func appendCommandOutput(_ buffer: ByteBuffer, _ start: Int, _ end: Int) {
        let (outputEnd, ends) = commandOutput(buffer, start, end)
        if !ends || outputEnd > start { appendBodyLine(start, outputEnd) }
        if ends { inCommandOutput = false }
    }

    private mutating func appendBodyLine(_ start: Int, _ end: Int) {
        fields.append(AMIMessage.Field(nameStart: UInt32(start), nameLength: 0, valueStart: UInt32(start), valueLength: UInt32(end - start)))
    }

    /// Splits a line in `Response: Follows` mode into its output part and whether it ends the output
    /// (`--END COMMAND--`, possibly right after the last output on the same line, as Asterisk 1.x wrote it).
    private func commandOutput(_ buffer: ByteBuffer, _ start: Int, _ end: Int) -> (outputEnd: Int, ends: Bool) {
        let marker = "--END COMMAND--".utf8
        if end - start >= marker.count,
           buffer.getBytes(at: buffer.readerIndex + end - marker.count, length: marker.count).map({ $0.elementsEqual(marker) }) == true {
            return (end - marker.count, true)
        }
        return (end, false)
    }

    private func banner(_ buffer: ByteBuffer, _ start: Int, _ end: Int) -> String? {
        let prefix = "Asterisk Call Manager"
        guard let line = buffer.getString(at: buffer.readerIndex + start, length: end - start), line.hasPrefix(prefix) else { return nil }
        if let slash = line.firstIndex(of: "/") { return String(line[line.index(after: slash)...]) }
        return ""
    }

    /// The position of the colon of a `Key: Value` line, when the key is a header name (letters, digits, `-`, `_`).
    private func headerColon(_ buffer: ByteBuffer, _ start: Int, _ end: Int) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            var index = start
            while index < end {
                let byte = raw[index]
                if byte == UInt8(ascii: ":") { return index > start && index - start <= Int(UInt16.max) ? index : nil }
                let isName = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
                if !isName { return nil }
                index += 1
            }
            return nil
        }
    }

    private mutating func checkLimits(_ buffer: inout ByteBuffer) -> AMIFrame? {
        if scanned > limits.maxMessageBytes {
            beginSkipping(dropped: 0, reason: AMIDecodingError.messageTooLarge)
        } else if fields.count > limits.maxFields {
            beginSkipping(dropped: 0, reason: AMIDecodingError.tooManyHeaders)
        } else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: scanned)
        skippedBytes += scanned
        scanned = 0
        return nil
    }

    private mutating func beginSkipping(dropped: Int, reason: @escaping (Int) -> AMIDecodingError) {
        fields.removeAll(keepingCapacity: true)
        inCommandOutput = false
        commandOutputStarted = false
        inFollows = false
        skipping = true
        skippedBytes += dropped
        skipReason = reason
    }

    private mutating func resetMessage() {
        fields.removeAll(keepingCapacity: true)
        scanned = 0
        inCommandOutput = false
        commandOutputStarted = false
        inFollows = false
        skipping = false
        skippedBytes = 0
    }
}
