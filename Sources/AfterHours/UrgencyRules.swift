import Foundation

/// What makes a message urgent enough to wake the on-call agent: a keyword (in any of the team's languages), a
/// sender whose company is a client, or a sender writing again within a few minutes.
public struct UrgencyRules: Sendable, Hashable {
    /// Lower-cased words or phrases, matched in the subject and the text as whole words ("urgent" is not found in
    /// "non-urgentes", but is in "URGENT:"), case- and accent-insensitively.
    public private(set) var keywords: [String]
    private var keywordBytes: [[UInt8]]
    /// A message from a client company's contact is urgent.
    public var clientsAreUrgent: Bool
    /// This many earlier messages from the sender within ``repeatWindow`` make a message urgent (1: the second message).
    public var repeatCount: Int
    /// Nil: the repeat rule is off.
    public var repeatWindow: TimeInterval?

    /// The default keywords: English, German, French, Spanish, Italian, Portuguese, Russian, Ukrainian, Polish.
    public static let defaultKeywords = [
        "urgent", "urgently", "emergency", "asap", "dringend", "notfall", "eilt", "urgence", "urgente", "urgencia", "emergencia",
        "срочно", "срочный", "срочная", "авария", "терміново", "pilne", "pilny",
    ]

    public init(keywords: [String] = UrgencyRules.defaultKeywords, clientsAreUrgent: Bool = true, repeatCount: Int = 1, repeatWindow: TimeInterval? = 30 * 60) {
        // Each keyword as written and without its accents ("urgência" finds "urgência" and "urgencia"); the text itself is
        // only lower-cased, natively: Foundation's folding and searching cost more than the rest of a request.
        var folded: [String] = []
        for keyword in keywords {
            for form in [keyword.lowercased(), Self.fold(keyword)] where !form.isEmpty && !folded.contains(form) { folded.append(form) }
        }
        self.keywords = folded
        keywordBytes = folded.map { Array($0.utf8) }
        self.clientsAreUrgent = clientsAreUrgent
        self.repeatCount = max(1, repeatCount)
        self.repeatWindow = repeatWindow
    }

    /// Why `message` is urgent; empty when it is not.
    /// - Parameters:
    ///   - isClient: the sender's company is at the client stage.
    ///   - earlierMessages: messages from the same sender within ``repeatWindow`` before this one.
    public func reasons(for message: InboundMessage, isClient: Bool, earlierMessages: Int) -> [String] {
        reasons(keywordReason: keywordReason(for: message), isClient: isClient, earlierMessages: earlierMessages)
    }

    /// The keyword rule alone (it needs nothing from the store): "keyword 'срочно'", or nil.
    public func keywordReason(for message: InboundMessage) -> String? {
        let text = Array((message.subject + "\n" + message.text.prefix(16 << 10)).lowercased().utf8)
        return keywordBytes.firstIndex(where: { Self.containsWord($0, in: text) }).map { "keyword '\(keywords[$0])'" }
    }

    /// ``reasons(for:isClient:earlierMessages:)`` given the keyword rule's answer, worked out beforehand.
    public func reasons(keywordReason: String?, isClient: Bool, earlierMessages: Int) -> [String] {
        var reasons: [String] = []
        if let keywordReason { reasons.append(keywordReason) }
        if clientsAreUrgent, isClient { reasons.append("the sender's company is a client") }
        if repeatWindow != nil, earlierMessages >= repeatCount {
            reasons.append("\(earlierMessages + 1) messages within \(Int((repeatWindow ?? 0) / 60)) minutes")
        }
        return reasons
    }

    static func fold(_ text: some StringProtocol) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// `word` in `text` with no letter or digit right before or after it. Searched in UTF-8 bytes: the native
    /// `String` search compares Characters and cost a tenth of a webhook request for the keyword list.
    static func containsWord(_ word: String, in text: String) -> Bool {
        containsWord(Array(word.utf8), in: Array(text.utf8))
    }

    static func containsWord(_ word: [UInt8], in text: [UInt8]) -> Bool {
        guard let first = word.first, word.count <= text.count else { return false }
        var index = 0
        let last = text.count - word.count
        while index <= last {
            if text[index] == first, text[index..<index + word.count].elementsEqual(word),
               !isWordCharacter(endingAt: index, in: text), !isWordCharacter(startingAt: index + word.count, in: text) {
                return true
            }
            index += 1
        }
        return false
    }

    /// Whether the character that ends right before `end` is a letter or digit.
    private static func isWordCharacter(endingAt end: Int, in text: [UInt8]) -> Bool {
        guard end > 0 else { return false }
        var start = end - 1
        while start > 0, text[start] & 0xC0 == 0x80 { start -= 1 }
        return isWordCharacter(text[start..<end])
    }

    /// Whether the character that starts at `start` is a letter or digit.
    private static func isWordCharacter(startingAt start: Int, in text: [UInt8]) -> Bool {
        guard start < text.count else { return false }
        var end = start + 1
        while end < text.count, text[end] & 0xC0 == 0x80 { end += 1 }
        return isWordCharacter(text[start..<end])
    }

    private static func isWordCharacter(_ bytes: ArraySlice<UInt8>) -> Bool {
        if bytes.count == 1, let byte = bytes.first {
            return (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
        }
        guard let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first else { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
