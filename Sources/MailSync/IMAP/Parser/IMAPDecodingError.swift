/// Why a response was skipped. Public errors are a struct over a private enum, so cases can be added.
///
/// The description never quotes the response (it may hold mail addresses or tokens): it names the rule that failed
/// and the byte offset.
public struct IMAPDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Hashable { case lineTooLong, responseTooLarge, malformed(String, offset: Int), tooDeep }
    private let base: Base
    /// Bytes of the response dropped.
    public let droppedBytes: Int

    public static func lineTooLong(droppedBytes: Int) -> Self { Self(base: .lineTooLong, droppedBytes: droppedBytes) }
    public static func responseTooLarge(droppedBytes: Int) -> Self { Self(base: .responseTooLarge, droppedBytes: droppedBytes) }
    static func malformed(_ expected: String, offset: Int, droppedBytes: Int) -> Self {
        Self(base: .malformed(expected, offset: offset), droppedBytes: droppedBytes)
    }
    static func tooDeep(droppedBytes: Int) -> Self { Self(base: .tooDeep, droppedBytes: droppedBytes) }

    /// Whether the response broke the grammar (rather than a limit).
    public var isMalformed: Bool { if case .malformed = base { true } else { false } }

    public var description: String {
        switch base {
        case .lineTooLong: "IMAP response line longer than the limit; \(droppedBytes) bytes skipped"
        case .responseTooLarge: "IMAP response larger than the limit; \(droppedBytes) bytes skipped"
        case .malformed(let expected, let offset): "malformed IMAP response: expected \(expected) at byte \(offset); \(droppedBytes) bytes skipped"
        case .tooDeep: "IMAP response nested deeper than 100 levels; \(droppedBytes) bytes skipped"
        }
    }
}

/// Limits of the IMAP response decoder.
public struct IMAPDecoderLimits: Sendable, Hashable {
    /// The longest line (the text between literals), in bytes. Default: 65,536 (64 KiB); RFC 7162 asks clients to
    /// take at least 8,192.
    public var maxLineBytes: Int
    /// The most bytes of one literal that are kept; the rest is read and dropped as it arrives, and the value says
    /// how big it was. Default: 1,048,576 (1 MiB): header fields and snippets fit, a 20 MB attachment never sits
    /// in memory.
    public var maxLiteralBytes: Int
    /// The largest response kept (lines and kept literals); a larger one is skipped up to its end. Default:
    /// 16,777,216 (16 MiB).
    public var maxResponseBytes: Int

    public init(maxLineBytes: Int = 1 << 16, maxLiteralBytes: Int = 1 << 20, maxResponseBytes: Int = 1 << 24) {
        self.maxLineBytes = maxLineBytes
        self.maxLiteralBytes = maxLiteralBytes
        self.maxResponseBytes = maxResponseBytes
    }
}
