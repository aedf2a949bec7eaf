import NIOCore

/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines (`250-…` continues, `250 …` ends).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4yz: try again later. 5yz: permanent; the same request will fail again.
    public var isTransient: Bool { (400..<500).contains(code) }

    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// What the SMTP decoder produces.
public enum SMTPFrame: Sendable, Hashable {
    case reply(SMTPReply)
    /// A reply that broke the grammar or a limit; the connection cannot be trusted after it.
    case malformed(String)
}

/// A streaming decoder of SMTP replies, without I/O. Lines are limited (RFC 5321 allows 512 bytes; servers send
/// longer EHLO lines, so the default is 4 KiB) and so is the number of lines of one reply.
public struct SMTPReplyDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = SMTPFrame

    private let maxLineBytes: Int
    private let maxLines: Int
    private var lines: [String] = []
    private var code: Int?

    public init(maxLineBytes: Int = 4096, maxLines: Int = 128) {
        self.maxLineBytes = maxLineBytes
        self.maxLines = maxLines
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> SMTPFrame? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > maxLineBytes {
                    buffer.moveReaderIndex(forwardBy: view.count)
                    return reset("reply line longer than \(maxLineBytes) bytes")
                }
                return nil
            }
            let length = newline - view.startIndex
            var line = buffer.readSlice(length: length + 1)!.readableBytesView.dropLast()
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard length <= maxLineBytes else { return reset("reply line longer than \(maxLineBytes) bytes") }
            // reply-code: three digits, the first 2–5; then SP, "-" or the end of the line.
            let bytes = Array(line)
            guard bytes.count >= 3, (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0]),
                  bytes[1...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-") else {
                return reset("not an SMTP reply line")
            }
            let lineCode = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
            if let code, code != lineCode { return reset("reply code changed from \(code) to \(lineCode) inside one reply") }
            code = lineCode
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            guard lines.count <= maxLines else { return reset("reply longer than \(maxLines) lines") }
            if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") {
                defer { lines = []; code = nil }
                return .reply(SMTPReply(code: lineCode, lines: lines))
            }
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> SMTPFrame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if seenEOF && (buffer.readableBytes > 0 || code != nil) {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return reset("connection closed inside a reply")
        }
        return nil
    }

    private mutating func reset(_ reason: String) -> SMTPFrame {
        lines = []
        code = nil
        return .malformed(reason)
    }
}
