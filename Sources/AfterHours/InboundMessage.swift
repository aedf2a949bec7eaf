import Foundation
import MailSync
import NetworkSupport

/// A message the responder is asked about: from the webhook (JSON or a raw RFC 5322 message) or from the IMAP sync.
public struct InboundMessage: Sendable, Hashable {
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The author's address (From).
    public var from: String
    /// The envelope sender (Return-Path) when known; `""` is the null sender `<>` of a bounce.
    public var returnPath: String?
    public var to: [String]
    public var subject: String
    /// Normalised (no angle brackets), when the message has one.
    public var messageId: String?
    /// The message-ids of In-Reply-To and References, without angle brackets (References oldest first).
    public var inReplyTo: [String]
    public var references: [String]
    public var date: Date?
    public var headers: [Header]
    public var text: String

    public init(from: String, returnPath: String? = nil, to: [String], subject: String = "", messageId: String? = nil, inReplyTo: [String] = [], references: [String] = [],
                date: Date? = nil, headers: [Header] = [], text: String = "") {
        self.from = from
        self.returnPath = returnPath
        self.to = to
        self.subject = subject
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.headers = headers
        self.text = text
    }

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? { headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value }

    /// Whether any header's name starts with `prefix` (case-insensitive), e.g. `List-`.
    public func hasHeader(prefix: String) -> Bool { headers.contains { $0.name.lowercased().hasPrefix(prefix.lowercased()) } }

    // MARK: the webhook's JSON

    /// The documented JSON body: `from` (required), `to` (string or list), `subject`, `messageId`, `date` (RFC 3339 or
    /// RFC 5322), `returnPath`, `headers` (an object of name → value, or a list of `[name, value]`), `text`.
    public static func parse(json bytes: [UInt8]) throws(AfterHoursError) -> InboundMessage {
        let document: JSONValue
        do {
            document = try JSONReader.read(bytes)
        } catch {
            throw .invalid("the body is not JSON: \(error)")
        }
        guard case .object = document else { throw .invalid("the body is not a JSON object") }
        func string(_ key: String) throws(AfterHoursError) -> String? {
            switch document[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw .invalid("'\(key)' must be a string")
            }
        }
        guard let fromField = try string("from"), let from = MailAddress.parseList(fromField).first?.address else {
            throw .invalid("'from' is missing or holds no address")
        }
        var to: [String] = []
        switch document["to"] {
        case .string(let text)?: to = MailAddress.parseList(text).map(\.address)
        case .array(let list)?:
            for item in list {
                guard case .string(let text) = item else { throw .invalid("'to' must be a string or a list of strings") }
                to += MailAddress.parseList(text).map(\.address)
            }
        case nil, .null?: break
        default: throw .invalid("'to' must be a string or a list of strings")
        }
        var headers: [Header] = []
        switch document["headers"] {
        case .object(let members)?:
            // In the body's order; a name given twice is one member with the last value (JSON's rule for objects).
            var position: [String: Int] = [:]
            for (name, value) in members {
                guard case .string(let text) = value else { throw .invalid("header '\(name)' must have a string value") }
                if let earlier = position[name] {
                    headers[earlier].value = text
                } else {
                    position[name] = headers.count
                    headers.append(Header(name, text))
                }
            }
        case .array(let list)?:
            for item in list {
                guard case .array(let pair) = item, pair.count == 2, case .string(let name) = pair[0], case .string(let value) = pair[1] else {
                    throw .invalid("'headers' as a list holds [name, value] pairs of strings")
                }
                headers.append(Header(name, value))
            }
        case nil, .null?: break
        default: throw .invalid("'headers' must be an object or a list of [name, value] pairs")
        }
        var date: Date?
        if let text = try string("date") {
            guard let parsed = parseDate(text) else { throw .invalid("'date' is neither RFC 3339 nor an RFC 5322 date") }
            date = parsed
        }
        // The id may come as a field or among the headers.
        let messageId = (try string("messageId") ?? headers.first { $0.name.lowercased() == "message-id" }?.value).map(normalizeMessageID)
        func ids(_ name: String) -> [String] { (headers.first { $0.name.lowercased() == name }?.value).map(messageIDs) ?? [] }
        return InboundMessage(
            from: from, returnPath: try string("returnPath").map(unbracket), to: to, subject: try string("subject") ?? "", messageId: messageId,
            inReplyTo: ids("in-reply-to"), references: ids("references"), date: date, headers: headers, text: try string("text") ?? "")
    }

    // MARK: a raw message

    /// A raw RFC 5322 message: header fields (RFC 2047 words decoded) and the body as text. Lenient like the mail
    /// capture: a broken header line is skipped; a message without a usable From is refused.
    public static func parse(rfc5322 bytes: [UInt8]) throws(AfterHoursError) -> InboundMessage {
        // No empty line: the message is all header.
        let split = MessageHeader.split(bytes) ?? (bytes.count, bytes.count)
        let header = MessageHeader(bytes[..<split.headerEnd])
        guard let from = header.addresses("From").first?.address else { throw .invalid("the message has no From address") }
        let headers = header.fields.map { Header($0.name, EncodedWords.decode($0.value)) }
        let returnPath = header.value("Return-Path").map { unbracket(String(decoding: $0, as: UTF8.self)) }
        let body = bytes[min(split.bodyStart, bytes.count)...]
        return InboundMessage(
            from: from, returnPath: returnPath, to: header.addresses("To").map(\.address) + header.addresses("Cc").map(\.address),
            subject: header.text("Subject") ?? "", messageId: header.messageIDs("Message-ID").first,
            inReplyTo: header.messageIDs("In-Reply-To"), references: header.messageIDs("References"),
            date: header.value("Date").flatMap { MessageDate(String(decoding: $0, as: UTF8.self)) }.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) },
            headers: headers, text: String(decoding: body.prefix(64 << 10), as: UTF8.self))
    }

    static func parseDate(_ text: String) -> Date? {
        // Hand-written RFC 3339 (an ISO8601DateFormatter costs ~100 µs to make on Linux: most of a request).
        if let date = RFC3339.parse(text.trimmedOfWhitespace) { return date }
        return MessageDate(text).map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }
    }

    static func unbracket(_ text: String) -> String {
        var value = text.trimmedOfWhitespace
        if value.hasPrefix("<"), value.hasSuffix(">") { value = String(value.dropFirst().dropLast()) }
        return value
    }

    static func normalizeMessageID(_ text: String) -> String { unbracket(text) }

    static func messageIDs(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map { unbracket(String($0)) }.filter { !$0.isEmpty }
    }
}

extension InboundMessage {
    /// A message the mailbox sync captured: its header fields, the fields a responder decides by, and its snippet as
    /// the text (so an urgent word in the first lines counts as in a webhook's message). Nil without a From address.
    public init?(synced message: SyncedMessage) {
        guard let from = message.from.first?.address else { return nil }
        let headers = message.responderFields.sorted { $0.key < $1.key }.map { Header($0.key, $0.value) }
        self.init(
            from: from, returnPath: message.responderFields["Return-Path"].map(Self.unbracket), to: (message.to + message.cc).map(\.address),
            subject: message.subject ?? "", messageId: message.messageID, inReplyTo: message.inReplyTo, references: message.references,
            date: message.date.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }, headers: headers, text: message.snippet ?? "")
    }
}
