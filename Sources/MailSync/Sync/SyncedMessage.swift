import NIOCore

/// One message as capture needs it: who wrote to whom, when, about what, in which thread, and whether it is bulk.
/// Built from the FETCH of ``MailboxSynchronizer/fetchItems(gmail:)``; nothing of the body is kept.
public struct SyncedMessage: Sendable, Hashable {
    public var folder: String
    public var uid: UInt32
    /// The message's identity, the same in every folder and mailbox it is in: its normalised Message-ID, else
    /// Gmail's X-GM-MSGID (`gm:…`), else a digest of its header fields (`h:…`).
    public var identity: String
    public var messageID: String?
    public var gmailMessageID: UInt64?
    public var gmailThreadID: UInt64?
    /// The Date header, else INTERNALDATE (a message is never dropped for a broken Date).
    public var date: MessageDate?
    public var from: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Decoded (RFC 2047, any charset); undecodable bytes are kept as replacement characters, never dropped.
    public var subject: String?
    public var inReplyTo: [String]
    public var references: [String]
    /// Mailing-list or automatic mail: `List-Id`/`List-Unsubscribe`, `Precedence: bulk|list|junk`,
    /// `Auto-Submitted` other than `no` (RFC 3834).
    public var isBulk: Bool
    public var size: UInt64
    /// The fields an automatic responder decides by (RFC 3834): Return-Path, Precedence, Auto-Submitted, List-Id,
    /// List-Unsubscribe, X-Auto-Response-Suppress — those present, with their values.
    public var responderFields: [String: String]
    /// The first words of the message's text (``MessageSnippet``), from the first ``snippetBytes`` of its body; nil
    /// when they hold no readable text, and for bulk mail.
    public var snippet: String?

    /// Every address of the message (From, To, Cc), lower-cased.
    public var participants: [String] { (from + to + cc).map { $0.address.lowercased() } }

    /// The header fields fetched with `BODY.PEEK[HEADER.FIELDS (…)]`.
    public static let headerFields = [
        "FROM", "TO", "CC", "DATE", "SUBJECT", "MESSAGE-ID", "IN-REPLY-TO", "REFERENCES", "LIST-ID", "LIST-UNSUBSCRIBE",
        "PRECEDENCE", "AUTO-SUBMITTED", "RETURN-PATH", "X-AUTO-RESPONSE-SUPPRESS", "CONTENT-TYPE", "CONTENT-TRANSFER-ENCODING",
    ]

    /// How much of the body is fetched for the snippet (`BODY.PEEK[TEXT]<0.N>`), whatever the message's size: enough
    /// for a multipart's first part header and a few lines. Default: 1,024.
    public static let snippetBytes = 1024

    static let responderFieldNames = ["Return-Path", "Precedence", "Auto-Submitted", "List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress"]

    /// Reads a FETCH response; nil when it lacks a UID or the header section (an unsolicited FLAGS update).
    public init?(folder: String, attributes: [IMAPFetchAttribute]) {
        var uid: UInt32?
        var header: IMAPLiteral?
        var text: IMAPLiteral?
        var internalDate: String?
        var size: UInt64 = 0
        var gmailMessageID: UInt64?, gmailThreadID: UInt64?
        for attribute in attributes {
            switch attribute {
            case .uid(let value): uid = value
            case .body(let section, _, let literal) where section.uppercased().hasPrefix("HEADER"): header = literal
            case .body(let section, _, let literal) where section.uppercased() == "TEXT": text = literal
            case .internalDate(let value): internalDate = value
            case .rfc822Size(let value): size = value
            case .gmailMessageID(let value): gmailMessageID = value
            case .gmailThreadID(let value): gmailThreadID = value
            default: break
            }
        }
        guard let uid, let header else { return nil }
        let fields = MessageHeader(header.bytes.readableBytesView)
        self.folder = folder
        self.uid = uid
        self.size = size
        self.gmailMessageID = gmailMessageID
        self.gmailThreadID = gmailThreadID
        messageID = fields.messageIDs("Message-ID").first.map(Self.normalizeMessageID)
        if let messageID {
            identity = messageID
        } else if let gmailMessageID {
            identity = "gm:\(gmailMessageID)"
        } else {
            identity = "h:" + Self.digest(header.bytes.readableBytesView)
        }
        date = fields.value("Date").flatMap { MessageDate(String(decoding: $0, as: UTF8.self)) }
            ?? internalDate.flatMap(Self.parseInternalDate)
        from = fields.addresses("From")
        to = fields.addresses("To")
        cc = fields.addresses("Cc")
        subject = fields.text("Subject").map(Self.unfold)
        inReplyTo = fields.messageIDs("In-Reply-To").map(Self.normalizeMessageID)
        references = fields.messageIDs("References").map(Self.normalizeMessageID)
        let precedence = fields.value("Precedence").map { String(decoding: $0, as: UTF8.self).lowercased() } ?? ""
        let autoSubmitted = fields.value("Auto-Submitted").map { String(decoding: $0, as: UTF8.self).lowercased() } ?? "no"
        var responderFields: [String: String] = [:]
        for name in Self.responderFieldNames {
            if let value = fields.value(name) { responderFields[name] = String(decoding: value, as: UTF8.self) }
        }
        self.responderFields = responderFields
        isBulk = fields.has("List-Id") || fields.has("List-Unsubscribe")
            || (!precedence.isEmpty && ["bulk", "list", "junk"].contains(where: { precedence.contains($0) }))
            || !autoSubmitted.trimmedOfWhitespace.hasPrefix("no")
        // Bulk mail is neither captured nor answered: its snippet would be read by nobody.
        snippet = isBulk ? nil : text.flatMap { MessageSnippet.extract(header: fields, body: $0.bytes.readableBytesView) }
    }

    /// `<Abc.1@Example.COM>` → `Abc.1@example.com`: the local part is case-sensitive (RFC 5322 compares ids
    /// exactly), the domain is not; brackets and whitespace are not part of the id.
    public static func normalizeMessageID(_ raw: String) -> String {
        var id = raw.trimmedOfWhitespace
        if id.hasPrefix("<") { id.removeFirst() }
        if id.hasSuffix(">") { id.removeLast() }
        guard let at = id.lastIndex(of: "@") else { return id }
        return String(id[..<at]) + id[at...].lowercased()
    }

    /// `17-Jul-1996 02:44:25 -0700` (RFC 3501 `date-time`).
    static func parseInternalDate(_ text: String) -> MessageDate? {
        var spaced = ""
        var dashes = 0
        for character in text {
            if character == "-" && dashes < 2 { dashes += 1; spaced.append(" ") } else { spaced.append(character) }
        }
        return MessageDate(spaced)
    }

    /// Folded whitespace collapsed to single spaces (a folded Subject keeps no CRLF).
    static func unfold(_ text: String) -> String {
        guard text.contains(where: { $0 == "\r\n" || $0 == "\n" || $0 == "\t" || $0 == "\r" }) else { return text }
        return text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == " " }).joined(separator: " ")
    }

    /// FNV-1a, 64 bits, as hex: a stable id for a message without Message-ID (the same header bytes in every
    /// folder and after a UIDVALIDITY change).
    static func digest<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes where byte != 0x0D {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace; native, unlike Foundation's `trimmingCharacters(in:)` (a bridged
    /// NSString on Linux, slow on paths that run per message).
    public var trimmedOfWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
