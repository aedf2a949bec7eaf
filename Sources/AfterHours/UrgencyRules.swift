import Foundation

/// What makes a message urgent enough to wake the on-call agent: a keyword (in any of the team's languages), a
/// sender whose company is a client, or a sender writing again within a few minutes.
public struct UrgencyRules: Sendable, Hashable {
    /// Lower-cased words or phrases, matched in the subject and the text as whole words ("urgent" is not found in
    /// "non-urgentes", but is in "URGENT:"), case- and accent-insensitively.
    public var keywords: [String]
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
        self.keywords = keywords.map { Self.fold($0) }.filter { !$0.isEmpty }
        self.clientsAreUrgent = clientsAreUrgent
        self.repeatCount = max(1, repeatCount)
        self.repeatWindow = repeatWindow
    }

    /// Why `message` is urgent; empty when it is not.
    /// - Parameters:
    ///   - isClient: the sender's company is at the client stage.
    ///   - earlierMessages: messages from the same sender within ``repeatWindow`` before this one.
    public func reasons(for message: InboundMessage, isClient: Bool, earlierMessages: Int) -> [String] {
        var reasons: [String] = []
        let text = Self.fold(message.subject + "\n" + message.text.prefix(16 << 10))
        if let keyword = keywords.first(where: { Self.containsWord($0, in: text) }) { reasons.append("keyword '\(keyword)'") }
        if clientsAreUrgent, isClient { reasons.append("the sender's company is a client") }
        if repeatWindow != nil, earlierMessages >= repeatCount {
            reasons.append("\(earlierMessages + 1) messages within \(Int((repeatWindow ?? 0) / 60)) minutes")
        }
        return reasons
    }

    static func fold(_ text: some StringProtocol) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// `word` in `text` with no letter or digit right before or after it.
    static func containsWord(_ word: String, in text: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let found = text.range(of: word, range: searchRange) {
            let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
            let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
            if !(before.map(isWordCharacter) ?? false), !(after.map(isWordCharacter) ?? false) { return true }
            searchRange = found.upperBound..<text.endIndex
        }
        return false
    }

    private static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }
}
