import Foundation

/// Renders `{{placeholder}}` templates. Unknown placeholders are an error (a typo must not reach a customer
/// as "Dear {{contact.frist_name}}"); a known placeholder with no value renders empty.
public struct TemplateRenderer: Sendable {
    public static let knownPlaceholders: [String] = [
        "contact.first_name", "contact.last_name", "contact.full_name", "contact.title", "contact.email", "contact.phone",
        "company.name", "company.website",
        "agent.name", "agent.first_name", "agent.email", "agent.phone", "agent.extension",
        // The message an automatic reply answers (empty elsewhere).
        "message.subject",
    ]

    /// The placeholders a template uses, in order of first appearance; throws on an unknown one or an unclosed `{{`.
    public static func placeholders(in text: String, template: String) throws(CRMError) -> [String] {
        var names: [String] = []
        try scan(text, template: template) { _ in } placeholder: { name in
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Replaces every placeholder with its value from `values` (missing values render empty).
    public static func render(_ text: String, template: String, values: [String: String]) throws(CRMError) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + 64)
        try scan(text, template: template) { output += $0 } placeholder: { output += values[$0] ?? "" }
        return output
    }

    /// Walks `text` as literal runs and checked placeholder names, in order. Works on the UTF-8 bytes: `{` and `}` are
    /// ASCII, so every cut falls between characters, and it spares the per-Character search that made rendering the
    /// responder's slowest step.
    private static func scan(_ text: String, template: String, literal: (Substring) -> Void,
                             placeholder: (String) throws(CRMError) -> Void) throws(CRMError) {
        let bytes = text.utf8
        var literalStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let next = bytes.index(after: index)
            guard bytes[index] == UInt8(ascii: "{"), next < bytes.endIndex, bytes[next] == UInt8(ascii: "{") else {
                index = next
                continue
            }
            let nameStart = bytes.index(after: next)
            var close = nameStart
            while close < bytes.endIndex, !(bytes[close] == UInt8(ascii: "}") && bytes.index(after: close) < bytes.endIndex
                                             && bytes[bytes.index(after: close)] == UInt8(ascii: "}")) {
                close = bytes.index(after: close)
            }
            guard close < bytes.endIndex else { throw .invalidInput("template '\(template)' has an unclosed '{{'") }
            literal(text[literalStart..<index])
            let name = trimmed(text[nameStart..<close])
            guard knownPlaceholders.contains(name) else { throw .unknownPlaceholder(name, template: template) }
            try placeholder(name)
            index = bytes.index(close, offsetBy: 2)
            literalStart = index
        }
        literal(text[literalStart...])
    }

    /// Without surrounding spaces and tabs, natively (Foundation's trimming bridges to NSString on Linux).
    private static func trimmed(_ text: Substring) -> String {
        let bytes = text.utf8
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(text[first..<bytes.index(after: last)])
    }
}

/// A rendered email, ready to send.
public struct RenderedEmail: Sendable, Hashable, Codable {
    public var subject: String
    public var body: String
    public var language: String
}
