/// The first words of a message's text, from the first bytes of its body (`BODY.PEEK[TEXT]<0.N>`): what an agent
/// reads in the activity list to know what the mail is about without opening it.
///
/// The body comes cut at N bytes, anywhere: inside a MIME part's headers, a base64 group, a quoted-printable escape or
/// a multi-byte character. What the cut leaves incomplete is dropped, never shown as garbage: a snippet is shorter,
/// or nil, rather than wrong. The plain-text part is preferred (multipart/alternative puts it first by RFC 2046's
/// order of preference); an HTML-only message gives its text without tags.
public enum MessageSnippet {
    /// Characters kept. Default: 200.
    public static let maximumLength = 200

    /// The snippet of a body whose top-level header is `header` (its Content-Type and Content-Transfer-Encoding
    /// decide), from the body's first bytes `body`; nil when no text could be read from them.
    public static func extract<Bytes: Collection<UInt8>>(header: MessageHeader, body: Bytes) -> String? {
        let part = Part(contentType: header.value("Content-Type"), transferEncoding: header.value("Content-Transfer-Encoding"))
        return text(of: part, body: Array(body), depth: 0).flatMap(tidy)
    }

    /// A MIME entity's type, its parameters and how its body is encoded.
    struct Part {
        var type: String
        var parameters: [String: String]
        var transferEncoding: String

        init(contentType: [UInt8]?, transferEncoding: [UInt8]?) {
            // RFC 2045 §5.2: no Content-Type means text/plain in US-ASCII.
            let (type, parameters) = contentType.map(Self.parseContentType) ?? ("text/plain", [:])
            self.type = type
            self.parameters = parameters
            self.transferEncoding = transferEncoding.map { Self.token($0[...]) } ?? "7bit"
        }

        /// `text/plain; charset="koi8-r"` → ("text/plain", ["charset": "koi8-r"]): the type and parameter names
        /// lower-cased, quoted values unquoted. On the bytes: this runs for every message and every part.
        static func parseContentType(_ value: [UInt8]) -> (String, [String: String]) {
            var pieces: [ArraySlice<UInt8>] = []
            var start = 0
            var quoted = false
            for (index, byte) in value.enumerated() {
                if byte == UInt8(ascii: "\"") { quoted.toggle() }
                if byte == UInt8(ascii: ";"), !quoted {
                    pieces.append(value[start..<index])
                    start = index + 1
                }
            }
            pieces.append(value[start...])
            let type = token(pieces[0])
            var parameters: [String: String] = [:]
            for piece in pieces.dropFirst() {
                guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { continue }
                var raw = trimmed(piece[(equals + 1)...])
                if raw.first == UInt8(ascii: "\""), raw.count >= 2, raw.last == UInt8(ascii: "\"") { raw = raw.dropFirst().dropLast() }
                parameters[token(piece[..<equals])] = String(decoding: raw, as: UTF8.self)
            }
            return (type.isEmpty ? "text/plain" : type, parameters)
        }

        /// Trimmed of ASCII blanks and lower-cased (ASCII only: tokens are ASCII).
        static func token(_ bytes: ArraySlice<UInt8>) -> String {
            String(decoding: trimmed(bytes).map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
        }

        static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            let blank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
            guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return [] }
            return bytes[first...last]
        }
    }

    /// The text of one entity: decoded if it is text, looked for in its parts if it is multipart.
    static func text(of part: Part, body: [UInt8], depth: Int) -> String? {
        if part.type.hasPrefix("multipart/") {
            // Nesting is bounded: a hostile message cannot recurse without end.
            guard depth < 8, let boundary = part.parameters["boundary"], !boundary.isEmpty else { return nil }
            var html: String?
            for (header, content) in parts(of: body, boundary: Array(boundary.utf8)) {
                let inner = Part(contentType: header.value("Content-Type"), transferEncoding: header.value("Content-Transfer-Encoding"))
                // Attachments are not what the mail says.
                if let disposition = header.value("Content-Disposition"), Part.token(disposition[...]).hasPrefix("attachment") { continue }
                if inner.type == "text/html" {
                    if html == nil { html = text(of: inner, body: content, depth: depth + 1) }
                    continue
                }
                if let found = text(of: inner, body: content, depth: depth + 1) { return found }
            }
            return html
        }
        guard part.type == "text/plain" || part.type == "text/html" else { return nil }
        let bytes = decodeTransfer(body, encoding: part.transferEncoding)
        guard let decoded = Charset.decode(dropCutCharacter(bytes, charset: part.parameters["charset"] ?? "us-ascii"),
                                           charset: part.parameters["charset"] ?? "us-ascii")
                ?? Charset.decode(bytes, charset: "utf-8") else { return nil }
        return part.type == "text/html" ? textOfHTML(decoded) : decoded
    }

    /// The parts of a multipart body (RFC 2046 §5.1.1), each with its header; the last one may be cut short. A part
    /// whose header the cut interrupted is left out.
    static func parts(of body: [UInt8], boundary: [UInt8]) -> [(MessageHeader, [UInt8])] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        // Delimiter lines: "--boundary" at the start of a line; "--boundary--" closes the multipart, and nothing after
        // it is a part.
        var delimiters: [(lineStart: Int, after: Int)] = []
        var closed = false
        var index = 0
        while index + delimiter.count <= body.count {
            guard index == 0 || body[index - 1] == UInt8(ascii: "\n"), body[index..<index + delimiter.count].elementsEqual(delimiter) else {
                index += 1
                continue
            }
            var end = index + delimiter.count
            closed = body[end...].starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
            while end < body.count, body[end] != UInt8(ascii: "\n") { end += 1 }
            delimiters.append((index, min(end + 1, body.count)))
            if closed { break }
            index = end
        }
        var result: [(MessageHeader, [UInt8])] = []
        // Each delimiter but a closing one opens a part.
        for (number, start) in delimiters.enumerated() where !(closed && number == delimiters.count - 1) {
            // The part runs to the CRLF before the next delimiter, or to the end of what was fetched.
            var end = number + 1 < delimiters.count ? delimiters[number + 1].lineStart : body.count
            if number + 1 < delimiters.count {
                if end > start.after, body[end - 1] == UInt8(ascii: "\n") { end -= 1 }
                if end > start.after, body[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            }
            let content = Array(body[start.after..<max(start.after, end)])
            guard let split = MessageHeader.split(content) else { continue }
            result.append((MessageHeader(content[..<split.headerEnd]), Array(content[split.bodyStart...])))
        }
        return result
    }

    /// The body's bytes without their Content-Transfer-Encoding; a group or escape cut off at the end is dropped.
    static func decodeTransfer(_ body: [UInt8], encoding: String) -> [UInt8] {
        switch encoding {
        case "base64":
            let alphabet = body.filter { !($0 == 13 || $0 == 10 || $0 == 32 || $0 == 9) }
            // Whole groups of four only: the cut may end in the middle of one.
            return EncodedWords.base64(alphabet[..<(alphabet.count / 4 * 4)]) ?? []
        case "quoted-printable": return quotedPrintable(body)
        default: return body
        }
    }

    /// RFC 2045 §6.7: `=XX` a byte, `=` at the end of a line a soft break; an escape cut off at the end is dropped,
    /// a malformed one kept as written.
    static func quotedPrintable(_ body: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(body.count)
        var index = 0
        while index < body.count {
            let byte = body[index]
            guard byte == UInt8(ascii: "=") else {
                output.append(byte)
                index += 1
                continue
            }
            if index + 1 >= body.count || (index + 2 >= body.count && body[index + 1] != 10) { break }
            if body[index + 1] == 10 { index += 2; continue }
            if body[index + 1] == 13, body[index + 2] == 10 { index += 3; continue }
            if let high = EncodedWords.hex(body[index + 1]), let low = EncodedWords.hex(body[index + 2]) {
                output.append(high << 4 | low)
            } else {
                output += body[index...index + 2]
            }
            index += 3
        }
        return output
    }

    /// UTF-8 cut in the middle of a character: the incomplete sequence at the end is dropped (single-byte charsets
    /// have nothing to drop).
    static func dropCutCharacter(_ bytes: [UInt8], charset: String) -> ArraySlice<UInt8> {
        guard Charset.canonicalName(charset) == "utf-8", !bytes.isEmpty else { return bytes[...] }
        var start = bytes.count - 1
        // Back over continuation bytes (at most three) to the lead byte of the last character.
        while start > 0, bytes.count - start < 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        let lead = bytes[start]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return bytes.count - start < length ? bytes[..<start] : bytes[...]
    }

    /// The text of HTML: tags and the contents of `<style>`/`<script>`/`<head>` dropped, the common entities decoded.
    static func textOfHTML(_ html: String) -> String {
        let scalars = Array(html.unicodeScalars)
        func lowered(_ index: Int) -> Unicode.Scalar {
            let scalar = scalars[index]
            return ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }
        func starts(with word: String, at index: Int) -> Bool {
            let word = Array(word.unicodeScalars)
            guard index + word.count <= scalars.count else { return false }
            return word.indices.allSatisfy { lowered(index + $0) == word[$0] }
        }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" {
                if let element = ["style", "script", "head"].first(where: { starts(with: "<" + $0, at: index) }) {
                    // Past the closing tag; a cut before it leaves nothing more to read.
                    var end = index + 1
                    while end < scalars.count, !starts(with: "</" + element, at: end) { end += 1 }
                    index = end + 1
                    while index < scalars.count, scalars[index] != ">" { index += 1 }
                    index += 1
                    continue
                }
                while index < scalars.count, scalars[index] != ">" { index += 1 }
                output.append(" ")
                index += 1
                continue
            }
            if scalar == "&", let semicolon = (index + 1..<min(scalars.count, index + 10)).first(where: { scalars[$0] == ";" }),
               let decoded = entity(String(String.UnicodeScalarView(scalars[index + 1..<semicolon]))) {
                output.append(decoded)
                index = semicolon + 1
                continue
            }
            output.append(scalar)
            index += 1
        }
        return String(output)
    }

    private static func entity(_ name: String) -> Unicode.Scalar? {
        switch name {
        case "amp": "&"
        case "lt": "<"
        case "gt": ">"
        case "quot": "\""
        case "apos", "#39": "'"
        case "nbsp": " "
        default:
            if name.hasPrefix("#x") || name.hasPrefix("#X") { UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
            else if name.hasPrefix("#") { UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init) }
            else { nil }
        }
    }

    /// Whitespace runs collapsed to one space, quoted lines of an earlier message (`>`) left out, cut at
    /// ``maximumLength`` characters (Unicode scalars) on a word boundary when one is near; nil when nothing readable is
    /// left. One pass over the UTF-8 bytes: splitting into lines and words of `Character`s, or asking each scalar's
    /// Unicode properties, cost more than fetching the bytes from the server.
    static func tidy(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count, maximumLength * 4))
        var length = 0
        var lastSpace: (byte: Int, length: Int)?
        var pendingSpace = false
        var atLineStart = true
        var quotedLine = false
        var truncated = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 10 || byte == 13 {
                atLineStart = true
                quotedLine = false
                pendingSpace = length > 0
                index += 1
                continue
            }
            let width = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if quotedLine {
                index += width
                continue
            }
            if let blank = blankWidth(bytes, at: index) {
                pendingSpace = length > 0
                index += blank
                continue
            }
            if atLineStart {
                atLineStart = false
                if byte == UInt8(ascii: ">") {
                    quotedLine = true
                    index += 1
                    continue
                }
            }
            if length + (pendingSpace ? 2 : 1) > maximumLength {
                truncated = true
                break
            }
            if pendingSpace {
                lastSpace = (output.count, length)
                output.append(0x20)
                length += 1
                pendingSpace = false
            }
            output += bytes[index..<min(bytes.count, index + width)]
            length += 1
            index += width
        }
        guard length > 0 else { return nil }
        guard truncated else { return String(decoding: output, as: UTF8.self) }
        // On the last word boundary when it is not too far back.
        if let lastSpace, lastSpace.length > maximumLength * 3 / 4 { output.removeSubrange(lastSpace.byte...) }
        return String(decoding: output, as: UTF8.self) + "…"
    }

    /// The width in bytes of the whitespace character at `index` (ASCII blanks, no-break and typographic spaces,
    /// U+FFFD left by undecodable bytes); nil when it is not one.
    private static func blankWidth(_ bytes: [UInt8], at index: Int) -> Int? {
        let byte = bytes[index]
        if byte < 0x80 { return byte == 0x20 || byte == 0x09 || byte == 0x0B || byte == 0x0C ? 1 : nil }
        func next(_ offset: Int) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        switch (byte, next(1)) {
        case (0xC2, 0xA0): return 2                                                        // U+00A0
        case (0xE2, 0x80) where (0x80...0x8A).contains(next(2)) || next(2) == 0xAF: return 3  // U+2000–200A, U+202F
        case (0xE3, 0x80) where next(2) == 0x80: return 3                                   // U+3000
        case (0xEF, 0xBF) where next(2) == 0xBD: return 3                                   // U+FFFD
        default: return nil
        }
    }
}
