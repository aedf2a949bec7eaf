import NIOCore

/// One attribute of a `FETCH` response (RFC 3501 §7.4.2, RFC 7162, Gmail's X-GM-EXT-1).
public enum IMAPFetchAttribute: Sendable, Hashable {
    case uid(UInt32)
    case flags([String])
    /// `RFC822.SIZE`: checked before anything large is read.
    case rfc822Size(UInt64)
    /// `INTERNALDATE "17-Jul-1996 02:44:25 -0700"`, as sent.
    case internalDate(String)
    case envelope(IMAPEnvelope)
    case bodyStructure(IMAPBodyStructure)
    /// `BODY[section]<origin>` (and `BINARY[...]`, `RFC822.HEADER`, `RFC822.TEXT`, `RFC822`): the section as sent,
    /// and the bytes; nil for NIL.
    case body(section: String, origin: UInt32?, IMAPLiteral?)
    /// `MODSEQ (n)` (RFC 7162).
    case modSeq(UInt64)
    /// `X-GM-MSGID`: Gmail's id of a message, the same in every folder.
    case gmailMessageID(UInt64)
    /// `X-GM-THRID`: Gmail's thread id.
    case gmailThreadID(UInt64)
    /// `X-GM-LABELS`: labels (astrings) and system labels (`\Inbox`, `\Sent`, …).
    case gmailLabels([String])
    /// An attribute this parser does not model, with its value kept as raw text.
    case other(name: String, String)
}

/// The bytes of a string or literal value. A literal larger than the decoder's limit is kept only up to that
/// limit (the rest is read and dropped as it arrives): `byteCount` says how big it was.
public struct IMAPLiteral: Sendable, Hashable {
    public var bytes: ByteBuffer
    /// The size the server announced; larger than `bytes.readableBytes` when the value was cut.
    public var byteCount: Int
    public var isTruncated: Bool { byteCount > bytes.readableBytes }

    public init(bytes: ByteBuffer, byteCount: Int? = nil) {
        self.bytes = bytes
        self.byteCount = byteCount ?? bytes.readableBytes
    }

    /// The bytes as text, invalid UTF-8 repaired (header fields are decoded properly by ``MIMEHeader``).
    public var text: String { String(buffer: bytes) }
}

/// `ENVELOPE` (RFC 3501 §7.4.2). Encoded words are left as sent; ``EncodedWords`` decodes them.
public struct IMAPEnvelope: Sendable, Hashable {
    public var date: String?
    public var subject: String?
    public var from: [IMAPAddress]
    public var sender: [IMAPAddress]
    public var replyTo: [IMAPAddress]
    public var to: [IMAPAddress]
    public var cc: [IMAPAddress]
    public var bcc: [IMAPAddress]
    public var inReplyTo: String?
    public var messageID: String?

    public init(date: String? = nil, subject: String? = nil, from: [IMAPAddress] = [], sender: [IMAPAddress] = [], replyTo: [IMAPAddress] = [],
                to: [IMAPAddress] = [], cc: [IMAPAddress] = [], bcc: [IMAPAddress] = [], inReplyTo: String? = nil, messageID: String? = nil) {
        self.date = date; self.subject = subject; self.from = from; self.sender = sender; self.replyTo = replyTo
        self.to = to; self.cc = cc; self.bcc = bcc; self.inReplyTo = inReplyTo; self.messageID = messageID
    }
}

/// An address of an envelope: `(name adl mailbox host)`. A group is sent as a start marker (host NIL, mailbox the
/// group's name) and an end marker (mailbox and host NIL); both are kept so nothing is lost.
public struct IMAPAddress: Sendable, Hashable {
    public var name: String?
    public var route: String?
    public var mailbox: String?
    public var host: String?

    public init(name: String? = nil, route: String? = nil, mailbox: String?, host: String?) {
        self.name = name; self.route = route; self.mailbox = mailbox; self.host = host
    }

    /// `mailbox@host`, or nil for a group marker.
    public var address: String? {
        guard let mailbox, let host else { return nil }
        return "\(mailbox)@\(host)"
    }
}

/// `BODYSTRUCTURE` (RFC 3501 §7.4.2), extension data kept where it says something the sync engine may want.
public indirect enum IMAPBodyStructure: Sendable, Hashable {
    case single(IMAPBodyPart)
    case multipart(parts: [IMAPBodyStructure], subtype: String, parameters: [String: String])

    /// The parts in depth-first order, with their section numbers ("1", "2.1", …).
    public var leaves: [(section: String, part: IMAPBodyPart)] {
        func walk(_ body: IMAPBodyStructure, _ prefix: String, into result: inout [(section: String, part: IMAPBodyPart)]) {
            switch body {
            case .single(let part): result.append((prefix.isEmpty ? "1" : prefix, part))
            case .multipart(let parts, _, _):
                for (index, child) in parts.enumerated() {
                    walk(child, prefix.isEmpty ? "\(index + 1)" : "\(prefix).\(index + 1)", into: &result)
                }
            }
        }
        var result: [(section: String, part: IMAPBodyPart)] = []
        walk(self, "", into: &result)
        return result
    }
}

/// One non-multipart body part.
public struct IMAPBodyPart: Sendable, Hashable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]
    public var id: String?
    public var description: String?
    public var encoding: String
    public var size: UInt64
    /// Lines, for text parts and message/rfc822.
    public var lines: UInt64?
    /// `attachment` or `inline`, when the extension data says so.
    public var disposition: String?

    public init(type: String, subtype: String, parameters: [String: String] = [:], id: String? = nil, description: String? = nil,
                encoding: String, size: UInt64, lines: UInt64? = nil, disposition: String? = nil) {
        self.type = type; self.subtype = subtype; self.parameters = parameters; self.id = id; self.description = description
        self.encoding = encoding; self.size = size; self.lines = lines; self.disposition = disposition
    }
}
