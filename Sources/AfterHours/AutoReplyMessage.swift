import Foundation

/// The automatic reply as it goes out: RFC 5322 text with the headers that keep it from starting a loop
/// (`Auto-Submitted: auto-replied`, RFC 3834 §5; `X-Auto-Response-Suppress: All` for Exchange) and that thread it
/// under the message it answers (`In-Reply-To`, `References`, RFC 5322 §3.6.4).
///
/// Built from stored fields only, so every attempt to send the same queued reply sends the same bytes.
public struct AutoReplyMessage: Sendable, Hashable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String
    /// Without angle brackets.
    public var messageId: String
    public var inReplyTo: String?
    /// Without angle brackets, oldest first.
    public var references: [String]
    public var date: Date
    /// BCP 47 (`Content-Language`).
    public var language: String

    public init(from: String, to: String, subject: String, body: String, messageId: String, inReplyTo: String?, references: [String],
                date: Date, language: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.language = language
    }

    /// A new message-id on `from`'s domain.
    public static func makeMessageId(from: String) -> String {
        let domain = from.split(separator: "@").last.map(String.init) ?? "connectord.invalid"
        // The time first (microseconds), then 64 random bits: ids made one after the other sort together, so the
        // outbox's unique index takes them at its end instead of on a random page each (a random id was a third of
        // the store's writes per webhook request). The bits come from getrandom(2): Foundation's UUID() opens
        // /dev/urandom on every call on Linux.
        var random = SystemRandomNumberGenerator()
        let micros = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
        return "autoreply.\(hex(micros)).\(hex(random.next() as UInt64))@\(domain)"
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The References of a reply to a message: the parent's References, then the parent itself (RFC 5322 §3.6.4),
    /// the oldest dropped past 20 so a long thread cannot grow the header without bound.
    public static func references(answering message: InboundMessage) -> [String] {
        var list = message.references
        if let id = message.messageId, !list.contains(id) { list.append(id) }
        return Array(list.suffix(20))
    }

    /// The message text, lines ended by CRLF.
    public func rfc5322() -> [UInt8] {
        var lines: [String] = []
        lines.append("From: <\(Self.clean(from))>")
        lines.append("To: <\(Self.clean(to))>")
        lines.append("Subject: " + Self.encodeWord(Self.clean(subject)))
        lines.append("Date: " + Self.rfc5322Date(date))
        lines.append("Message-ID: <\(Self.clean(messageId))>")
        if let inReplyTo { lines.append("In-Reply-To: <\(Self.clean(inReplyTo))>") }
        if !references.isEmpty {
            // Folded one id per line: a long thread stays within the 78-character recommendation.
            lines.append("References: " + references.map { "<\(Self.clean($0))>" }.joined(separator: "\r\n "))
        }
        lines.append("Auto-Submitted: auto-replied")
        lines.append("X-Auto-Response-Suppress: All")
        lines.append("Content-Language: \(Self.clean(language))")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let plain = normalized.utf8.allSatisfy { $0 < 0x80 } && normalized.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 998 }
        var text: String
        if plain {
            lines.append("Content-Transfer-Encoding: 7bit")
            text = normalized.replacingOccurrences(of: "\n", with: "\r\n")
        } else {
            lines.append("Content-Transfer-Encoding: base64")
            text = Data(normalized.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        }
        if !text.hasSuffix("\r\n") { text += "\r\n" }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + text).utf8)
    }

    /// A header value never carries a line break (header injection): breaks become spaces.
    static func clean(_ text: String) -> String {
        String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// RFC 2047 B-encoded words for a non-ASCII value, short enough for the Subject line (76 characters), each holding
    /// whole characters (a multi-byte character is never split between two words).
    static func encodeWord(_ text: String) -> String {
        guard !text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        // RFC 2047 §2: a line holding encoded words stays within 76 characters. "Subject: " is 9, "=?UTF-8?B?" + "?=" 12,
        // and 39 bytes encode to 52: 73 on the first line.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(c.day ?? 1) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
