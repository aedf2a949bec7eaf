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
    /// The fields of the message being read. Also the decoder's ownership token: held by this decoder alone, never
    /// by messages. The decoder is a value, and a copy (a prototype copied into each connection's handler, say) would
    /// share this buffer and the store, neither of which is locked: a decoder that finds the buffer shared takes a
    /// copy and a store of its own before it writes. (Strict concurrency already keeps copies of this non-Sendable
    /// type on one thread; this keeps them apart under unchecked code too.)
    private var fields = FieldScratch()
    /// Where finished messages' fields are kept (see ``AMIFieldStore``).
    private var store = AMIFieldStore(capacity: AMIFieldStore.defaultCapacity)
    private var inCommandOutput = false
    private var commandOutputStarted = false
    private var skipping = false
    private var skippedBytes = 0
    private var skipReason: (Int) -> AMIDecodingError = AMIDecodingError.messageTooLarge
    private var inFollows = false

    public init(limits: AMIDecoderLimits = AMIDecoderLimits()) {
        self.limits = limits
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> AMIFrame? {
        if !isKnownUniquelyReferenced(&fields) {
            fields = fields.copy()
            store = AMIFieldStore(capacity: AMIFieldStore.defaultCapacity)
        }
        while true {
            // One pass over the raw bytes per call: every complete line is classified here, and the loop
            // below only applies what the pass found (emit, skip, consume).
            let step = buffer.withUnsafeReadableBytes { raw in scan(raw) }
            switch step {
            case .needMoreData:
                if buffer.readableBytes > limits.maxMessageBytes {
                    // A partial line beyond the limit is dropped now: a hostile peer cannot make us buffer
                    // without bound.
                    let dropped = buffer.readableBytes
                    buffer.moveReaderIndex(forwardBy: dropped)
                    beginSkipping(dropped: dropped, reason: AMIDecodingError.lineTooLong)
                    scanned = 0
                }
                return nil
            case .message:
                let bytes = buffer.readSlice(length: scanned)!
                let finished = fields.fields
                var start = store.append(finished)
                if start == nil {
                    store = AMIFieldStore(capacity: max(AMIFieldStore.defaultCapacity, finished.count))
                    start = store.append(finished)
                }
                let message = AMIMessage(bytes: bytes, store: store, fieldsStart: start!, fieldCount: finished.count)
                resetMessage()
                return .message(message)
            case .banner(let start, let end):
                let version = buffer.getString(at: buffer.readerIndex + start, length: end - start) ?? ""
                buffer.moveReaderIndex(forwardBy: scanned)
                scanned = 0
                return .banner(version: version)
            case .consume:
                buffer.moveReaderIndex(forwardBy: scanned)
                if skipping { skippedBytes += scanned }
                scanned = 0
            case .skipEnded:
                buffer.moveReaderIndex(forwardBy: scanned)
                skippedBytes += scanned
                let error = skipReason(skippedBytes)
                resetMessage()
                return .skipped(error)
            case .overLimit(let reason):
                beginSkipping(dropped: 0, reason: reason)
                buffer.moveReaderIndex(forwardBy: scanned)
                skippedBytes += scanned
                scanned = 0
            }
        }
    }

    private enum Step {
        case needMoreData
        case message
        /// The version text's position (after "Asterisk Call Manager/").
        case banner(start: Int, end: Int)
        /// Drop `scanned` bytes (a stray empty line, or lines of a message being skipped).
        case consume
        case skipEnded
        case overLimit((Int) -> AMIDecodingError)
    }

    private mutating func scan(_ raw: UnsafeRawBufferPointer) -> Step {
        guard let base = raw.baseAddress else { return .needMoreData }
        let count = raw.count
        while scanned < count {
            if !skipping, !inCommandOutput, !commandOutputStarted, let colon = Self.nameEnd(raw, from: scanned), raw[colon] == UInt8(ascii: ":") {
                // The common line, `Name: value`: the name is read once, here, and only the value is searched for
                // the line's end (the general path below finds the end first and then reads the name again).
                guard let newline = Self.newline(base, from: colon + 1, count: count) else { return .needMoreData }
                let lineStart = scanned
                var lineEnd = newline
                if raw[lineEnd - 1] == 0x0D, lineEnd - 1 > colon { lineEnd -= 1 }
                scanned = newline + 1
                appendHeader(raw, lineStart, colon, lineEnd)
                if scanned > limits.maxMessageBytes { return .overLimit(AMIDecodingError.messageTooLarge) }
                if fields.count > limits.maxFields { return .overLimit(AMIDecodingError.tooManyHeaders) }
                continue
            }
            guard let hit = memchr(base + scanned, 0x0A, count - scanned) else { return .needMoreData }
            let lineStart = scanned
            let newline = UnsafeRawPointer(hit) - base
            var lineEnd = newline
            if lineEnd > lineStart, raw[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            scanned = newline + 1

            if skipping { return lineEnd == lineStart ? .skipEnded : .consume }
            if inCommandOutput {
                appendCommandOutput(raw, lineStart, lineEnd)
            } else if lineEnd == lineStart {
                return fields.isEmpty ? .consume : .message
            } else if fields.isEmpty, raw[lineStart] == UInt8(ascii: "A"), let version = Self.bannerVersion(raw, lineStart, lineEnd) {
                return .banner(start: version, end: lineEnd)
            } else if !commandOutputStarted, let colon = Self.headerColon(raw, lineStart, lineEnd) {
                appendHeader(raw, lineStart, colon, lineEnd)
            } else if inFollows {
                // A body line after `Response: Follows`: the old Command output, empty lines included.
                commandOutputStarted = true
                inCommandOutput = true
                appendCommandOutput(raw, lineStart, lineEnd)
            } else {
                // Rows some modules print without a header.
                appendBodyLine(lineStart, lineEnd)
            }
            if scanned > limits.maxMessageBytes { return .overLimit(AMIDecodingError.messageTooLarge) }
            if fields.count > limits.maxFields { return .overLimit(AMIDecodingError.tooManyHeaders) }
        }
        return .needMoreData
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
    private static func isFollows(_ raw: UnsafeRawBufferPointer, _ field: AMIMessage.Field) -> Bool {
        field.nameLength == 8 && field.valueLength == 7
            && matches(raw, Int(field.nameStart), "response") && matches(raw, Int(field.valueStart), "follows")
    }

    /// Case-insensitive comparison of the bytes at `start` with a lower-case ASCII word.
    private static func matches(_ raw: UnsafeRawBufferPointer, _ start: Int, _ word: StaticString) -> Bool {
        var index = start
        for byte in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < raw.count, raw[index] | 0x20 == byte else { return false }
            index += 1
        }
        return true
    }

    private mutating func appendHeader(_ raw: UnsafeRawBufferPointer, _ lineStart: Int, _ colon: Int, _ lineEnd: Int) {
        var valueStart = colon + 1
        if valueStart < lineEnd, raw[valueStart] == 0x20 { valueStart += 1 }
        fields.append(AMIMessage.Field(nameStart: UInt32(lineStart), nameLength: UInt16(colon - lineStart),
                                       valueStart: UInt32(valueStart), valueLength: UInt32(lineEnd - valueStart)))
        if fields.count == 1 { inFollows = Self.isFollows(raw, fields.fields[0]) }
    }

    /// The first LF at or after `start`. Values are short (a dozen bytes is typical), where a call to `memchr` costs
    /// more than the search: the first 32 bytes are looked at 8 at a time here, the rest by `memchr`.
    @inline(__always)
    private static func newline(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int? {
        var index = start
        let wordsEnd = min(count, start + 32)
        while index + 8 <= wordsEnd {
            // A byte of `x` is zero where the word has an LF; the lowest flagged byte is the first LF.
            let x = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            let flags = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if flags != 0 { return index + (flags.littleEndian.trailingZeroBitCount >> 3) }
            index += 8
        }
        guard index < count, let hit = memchr(base + index, 0x0A, count - index) else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    /// Where the header name that may start at `start` ends: the first byte that is not a name byte, when it is
    /// within the buffer and the name is not empty and fits a field (nil otherwise: the general path decides).
    @inline(__always)
    private static func nameEnd(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        let count = raw.count
        // Eight bytes at a time: a byte-by-byte loop mispredicted its exit once per line, 40 % of the scan.
        if let base = raw.baseAddress {
            while index + 8 <= count {
                let outside = nonNameBytes(base.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian)
                if outside != 0 {
                    index += outside.trailingZeroBitCount >> 3
                    return index > start && index - start <= Int(UInt16.max) ? index : nil
                }
                index += 8
            }
        }
        while index < count, isNameByte(raw[index]) { index += 1 }
        return index < count && index > start && index - start <= Int(UInt16.max) ? index : nil
    }

    /// The high bit of each byte of `word` (first byte lowest) that is not a name byte (``isNameByte(_:)``), by
    /// range tests on all eight bytes at once. For a byte below 0x80, `byte + (0x80 - low)` has its high bit set
    /// exactly when `byte >= low`, and `byte + (0x7F - high)` exactly when `byte > high`; no sum carries into the
    /// next byte. Bytes from 0x80 up are never name bytes.
    @inline(__always)
    static func nonNameBytes(_ word: UInt64) -> UInt64 {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let ones: UInt64 = 0x0101_0101_0101_0101
        let x = word & ~highBits
        @inline(__always) func within(_ value: UInt64, _ low: UInt8, _ high: UInt64) -> UInt64 {
            (value &+ ones &* UInt64(0x80 - low)) & ~(value &+ ones &* (0x7F - high)) & highBits
        }
        let letter = within(x | ones &* 0x20, 0x61, 0x7A)
        let digit = within(x, 0x30, 0x39)
        let parenthesis = within(x, 0x28, 0x29)   // ( )
        let dashOrDot = within(x, 0x2D, 0x2E)      // - .
        let underscore = within(x, 0x5F, 0x5F)
        let name = (letter | digit | parenthesis | dashOrDot | underscore) & ~word
        return ~name & highBits
    }

    private mutating func appendCommandOutput(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) {
        // `--END COMMAND--` ends the output, possibly right after the last output on the same line (Asterisk 1.x).
        let marker: StaticString = "--END COMMAND--"
        let length = marker.utf8CodeUnitCount
        let ends = end - start >= length && memcmp(raw.baseAddress! + end - length, marker.utf8Start, length) == 0
        let outputEnd = ends ? end - length : end
        if !ends || outputEnd > start { appendBodyLine(start, outputEnd) }
        if ends { inCommandOutput = false }
    }

    private mutating func appendBodyLine(_ start: Int, _ end: Int) {
        fields.append(AMIMessage.Field(nameStart: UInt32(start), nameLength: 0, valueStart: UInt32(start), valueLength: UInt32(end - start)))
    }

    /// Where the version starts in `Asterisk Call Manager/5.0.2` (or the line's end when there is no "/").
    private static func bannerVersion(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        let prefix: StaticString = "Asterisk Call Manager"
        let length = prefix.utf8CodeUnitCount
        guard end - start >= length, memcmp(raw.baseAddress! + start, prefix.utf8Start, length) == 0 else { return nil }
        var index = start + length
        while index < end, raw[index] != UInt8(ascii: "/") { index += 1 }
        return index < end ? index + 1 : end
    }

    /// The position of the colon of a `Key: Value` line, when the key is a header name (letters, digits, `-_.()`).
    private static func headerColon(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var index = start
        while index < end {
            let byte = raw[index]
            if byte == UInt8(ascii: ":") { return index > start && index - start <= Int(UInt16.max) ? index : nil }
            guard isNameByte(byte) else { return nil }
            index += 1
        }
        return nil
    }

    /// Whether a byte may be part of a header name: letters, digits and `-_.()`. (Plain comparisons measured
    /// faster here than bit masks, 686 vs 787 ms per million events.)
    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
    }

    private mutating func beginSkipping(dropped: Int, reason: @escaping (Int) -> AMIDecodingError) {
        fields.removeAll()
        inCommandOutput = false
        commandOutputStarted = false
        inFollows = false
        skipping = true
        skippedBytes += dropped
        skipReason = reason
    }

    private mutating func resetMessage() {
        fields.removeAll()
        scanned = 0
        inCommandOutput = false
        commandOutputStarted = false
        inFollows = false
        skipping = false
        skippedBytes = 0
    }
}
