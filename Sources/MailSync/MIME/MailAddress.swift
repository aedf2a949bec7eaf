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
    public static func parseList(_ header: String) -> [MailAddress] { parseList(bytes: Array(header.utf8)) }

    /// The same, from the field's bytes. Every delimiter of the grammar is ASCII, so the bytes are scanned as they
    /// are (UTF-8 names pass through untouched); this runs for every address of every synced message.
    public static func parseList(bytes header: [UInt8]) -> [MailAddress] {
        var result: [MailAddress] = []
        let unfolded = header.filter { $0 != cr && $0 != lf }
        for piece in splitTopLevel(unfolded) {
            if let address = parseMailbox(piece) { result.append(address) }
        }
        return result
    }

    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), open = UInt8(ascii: "("), close = UInt8(ascii: ")")
    private static let lessThan = UInt8(ascii: "<"), greaterThan = UInt8(ascii: ">"), at = UInt8(ascii: "@"), colon = UInt8(ascii: ":")

    /// Splits at commas, and at group colons and semicolons, outside quotes, comments and angle brackets.
    private static func splitTopLevel(_ text: [UInt8]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        var inQuote = false, escaped = false, commentDepth = 0, inAngle = false
        for (index, byte) in text.enumerated() {
            if escaped { escaped = false; continue }
            switch byte {
            case backslash where inQuote || commentDepth > 0: escaped = true
            case quote where commentDepth == 0: inQuote.toggle()
            case open where !inQuote: commentDepth += 1
            case close where !inQuote && commentDepth > 0: commentDepth -= 1
            case lessThan where !inQuote && commentDepth == 0: inAngle = true
            case greaterThan where !inQuote && commentDepth == 0: inAngle = false
            case UInt8(ascii: ","), UInt8(ascii: ";"), colon:
                // (A `where` after a list of patterns guards only the last one: hence the `if`.)
                if inQuote || commentDepth > 0 || inAngle { break }
                if byte != colon { pieces.append(text[start..<index]) } // a group's display name ends at its colon
                start = index + 1
            default: break
            }
        }
        pieces.append(text[start...])
        return pieces
    }

    private static func parseMailbox(_ piece: ArraySlice<UInt8>) -> MailAddress? {
        var comments: [[UInt8]] = []
        let text = stripComments(piece, into: &comments)
        if let openIndex = text.lastIndex(of: lessThan), let closeIndex = text[openIndex...].firstIndex(of: greaterThan) {
            var address = trimmed(text[(openIndex + 1)..<closeIndex])
            if address.first == at, let routeEnd = address.lastIndex(of: colon) { address = address[(routeEnd + 1)...] } // obsolete route
            guard address.contains(at) else { return nil }
            let name = displayName(text[..<openIndex])
            return MailAddress(name: name ?? comments.first.map(EncodedWords.decode), address: unquoteLocalPart(address))
        }
        let address = trimmed(text[...])
        guard address.contains(at), !address.contains(space) || address.first == quote else { return nil }
        let name = comments.first.map { trimmedString(EncodedWords.decode($0)) }
        return MailAddress(name: name?.isEmpty == false ? name : nil, address: unquoteLocalPart(address))
    }

    private static func displayName(_ raw: ArraySlice<UInt8>) -> String? {
        var text = trimmed(raw)
        guard !text.isEmpty else { return nil }
        var bytes: [UInt8]
        if text.count >= 2, text.first == quote, text.last == quote {
            text = text.dropFirst().dropLast()
            bytes = []
            bytes.reserveCapacity(text.count)
            var escaped = false
            for byte in text {
                if escaped || byte != backslash { bytes.append(byte); escaped = false } else { escaped = true }
            }
        } else {
            bytes = Array(text)
        }
        // Mailers put encoded words inside quotes too, against RFC 2047 §5: decode them anyway.
        let decoded = trimmedString(EncodedWords.decode(bytes))
        return decoded.isEmpty ? nil : decoded
    }

    private static func stripComments(_ text: ArraySlice<UInt8>, into comments: inout [[UInt8]]) -> [UInt8] {
        guard text.contains(open) else { return Array(text) } // nearly every address: nothing to strip
        var output: [UInt8] = [], comment: [UInt8] = []
        var depth = 0, inQuote = false, escaped = false
        for byte in text {
            if escaped { if depth > 0 { comment.append(byte) } else { output.append(byte) }; escaped = false; continue }
            if byte == backslash && (inQuote || depth > 0) { escaped = true; if depth == 0 { output.append(byte) }; continue }
            if byte == quote && depth == 0 { inQuote.toggle(); output.append(byte); continue }
            if !inQuote && byte == open { if depth > 0 { comment.append(byte) }; depth += 1; continue }
            if !inQuote && byte == close && depth > 0 {
                depth -= 1
                if depth == 0 { comments.append(comment); comment = [] } else { comment.append(byte) }
                continue
            }
            if depth > 0 { comment.append(byte) } else { output.append(byte) }
        }
        return output
    }

    private static func unquoteLocalPart(_ address: ArraySlice<UInt8>) -> String {
        guard address.first == quote, let atIndex = address.lastIndex(of: at) else { return String(decoding: address, as: UTF8.self) }
        let local = address[..<atIndex]
        guard local.count >= 2, local.last == quote else { return String(decoding: address, as: UTF8.self) }
        return String(decoding: local.dropFirst().dropLast() + address[atIndex...], as: UTF8.self)
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == space || first == tab { slice.removeFirst() }
        while let last = slice.last, last == space || last == tab { slice.removeLast() }
        return slice
    }

    private static func trimmedString(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
