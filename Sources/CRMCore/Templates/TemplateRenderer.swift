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
        var rest = text[...]
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw .invalidInput("template '\(template)' has an unclosed '{{'")
            }
            let name = trimmed(rest[open.upperBound..<close.lowerBound])
            guard knownPlaceholders.contains(name) else { throw .unknownPlaceholder(name, template: template) }
            if !names.contains(name) { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// Without surrounding spaces, natively (Foundation's trimming bridges to NSString on Linux: slow per render).
    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Replaces every placeholder with its value from `values` (missing values render empty).
    public static func render(_ text: String, template: String, values: [String: String]) throws(CRMError) -> String {
        var output = ""
        var rest = text[...]
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw .invalidInput("template '\(template)' has an unclosed '{{'")
            }
            output += rest[..<open.lowerBound]
            let name = trimmed(rest[open.upperBound..<close.lowerBound])
            guard knownPlaceholders.contains(name) else { throw .unknownPlaceholder(name, template: template) }
            output += values[name] ?? ""
            rest = rest[close.upperBound...]
        }
        output += rest
        return output
    }
}

/// A rendered email, ready to send.
public struct RenderedEmail: Sendable, Hashable, Codable {
    public var subject: String
    public var body: String
    public var language: String
}
