/// A mailbox of an address header: display name (encoded words decoded) and address.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    /// `local@domain` as written (use the CRM's normalisation to compare).
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }

    /// The mailboxes of an RFC 5322 address list (`From`, `To`, `Cc`, …): display names quoted or not, comments,
    /// groups (`Team: a@x.example, b@y.example;` gives their members), routes, encoded words. Lenient: a piece
    /// that holds no address is left out, the others are kept; nothing throws.
    public static func parseList(_ header: String) -> [MailAddress] {
        var result: [MailAddress] = []
        for piece in splitTopLevel(unfold(header)) {
            if let address = parseMailbox(piece) { result.append(address) }
        }
        return result
    }

    /// Header folding (CRLF followed by white space) removed.
    static func unfold(_ text: String) -> String {
        text.filter { $0 != "\r\n" && $0 != "\n" && $0 != "\r" }
    }

    /// Splits at commas, and at group colons and semicolons, outside quotes, comments and angle brackets.
    private static func splitTopLevel(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var inQuote = false, escaped = false, commentDepth = 0, inAngle = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where inQuote || commentDepth > 0: escaped = true; current.append(character)
            case "\"" where commentDepth == 0: inQuote.toggle(); current.append(character)
            case "(" where !inQuote: commentDepth += 1; current.append(character)
            case ")" where !inQuote && commentDepth > 0: commentDepth -= 1; current.append(character)
            case "<" where !inQuote && commentDepth == 0: inAngle = true; current.append(character)
            case ">" where !inQuote && commentDepth == 0: inAngle = false; current.append(character)
            case ",", ";", ":":
                // (A `where` after a list of patterns guards only the last one: hence the `if`.)
                if inQuote || commentDepth > 0 || inAngle {
                    current.append(character)
                } else if character == ":" {
                    current = "" // a group's display name ends here; its members follow
                } else {
                    pieces.append(current); current = ""
                }
            default: current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }

    private static func parseMailbox(_ piece: String) -> MailAddress? {
        var comments: [String] = []
        let text = stripComments(piece, into: &comments)
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            var address = String(text[text.index(after: open)..<close]).trimmingSpaces()
            if let colon = address.lastIndex(of: ":"), address.hasPrefix("@") { address = String(address[address.index(after: colon)...]) } // obsolete route
            guard address.contains("@") else { return nil }
            let name = displayName(String(text[..<open]))
            return MailAddress(name: name ?? comments.first.map(EncodedWords.decode), address: unquoteLocalPart(address))
        }
        let address = text.trimmingSpaces()
        guard address.contains("@"), !address.contains(" ") || address.hasPrefix("\"") else { return nil }
        let name = comments.first.map(EncodedWords.decode)?.trimmingSpaces()
        return MailAddress(name: name?.isEmpty == false ? name : nil, address: unquoteLocalPart(address))
    }

    private static func displayName(_ raw: String) -> String? {
        var text = raw.trimmingSpaces()
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 {
            text = String(text.dropFirst().dropLast())
            var unescaped = ""
            var escaped = false
            for character in text {
                if escaped || character != "\\" { unescaped.append(character); escaped = false } else { escaped = true }
            }
            text = unescaped
        }
        // Mailers put encoded words inside quotes too, against RFC 2047 §5: decode them anyway.
        let decoded = EncodedWords.decode(text).trimmingSpaces()
        return decoded.isEmpty ? nil : decoded
    }

    private static func stripComments(_ text: String, into comments: inout [String]) -> String {
        var output = "", comment = ""
        var depth = 0, inQuote = false, escaped = false
        for character in text {
            if escaped { (depth > 0 ? { comment.append(character) } : { output.append(character) })(); escaped = false; continue }
            if character == "\\" && (inQuote || depth > 0) { escaped = true; if depth == 0 { output.append(character) }; continue }
            if character == "\"" && depth == 0 { inQuote.toggle(); output.append(character); continue }
            if !inQuote && character == "(" { if depth > 0 { comment.append(character) }; depth += 1; continue }
            if !inQuote && character == ")" && depth > 0 {
                depth -= 1
                if depth == 0 { comments.append(comment); comment = "" } else { comment.append(character) }
                continue
            }
            if depth > 0 { comment.append(character) } else { output.append(character) }
        }
        return output
    }

    private static func unquoteLocalPart(_ address: String) -> String {
        guard address.hasPrefix("\""), let at = address.lastIndex(of: "@") else { return address }
        let local = address[..<at]
        guard local.count >= 2, local.hasSuffix("\"") else { return address }
        return String(local.dropFirst().dropLast()) + address[at...]
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
