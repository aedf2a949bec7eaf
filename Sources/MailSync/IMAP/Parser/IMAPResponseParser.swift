import NIOCore

/// Parses one framed response (see ``IMAPResponseDecoder``) by the formal syntax of RFC 3501 §9 and its extensions.
///
/// Recursive descent over the frame's bytes; the rules are named after the ABNF ones. Where servers are known to
/// stray from the grammar (8-bit bytes in quoted strings, missing spaces between envelope addresses, trailing
/// spaces) it is lenient; everything else is a ``Failure`` naming what was expected where. Nesting (BODYSTRUCTURE,
/// extension data) is limited to 100 levels.
struct IMAPResponseParser {
    struct Failure: Error {
        var expected: String
        var offset: Int
        var isTooDeep = false
    }

    private let bytes: [UInt8]
    private var index = 0
    private let literalSizes: [Int]
    private var literalIndex = 0
    private var depth = 0

    init(_ bytes: [UInt8], literalSizes: [Int] = []) {
        self.bytes = bytes
        self.literalSizes = literalSizes
    }

    // MARK: response

    mutating func parseResponse() throws -> IMAPResponse {
        let response: IMAPResponse
        if peek() == UInt8(ascii: "+") {
            index += 1
            if peek() == UInt8(ascii: " ") { index += 1 }
            response = .continuation(parseText())
        } else if peek() == UInt8(ascii: "*") {
            index += 1
            try expect(" ")
            response = .untagged(try parseUntagged())
        } else {
            let tag = try parseTag()
            try expect(" ")
            response = .tagged(tag: tag, try parseCondition(status: try parseStatus(allowed: [.ok, .no, .bad])))
        }
        skipSpaces()
        try parseNewline()
        guard index == bytes.count else { throw failure("the end of the response") }
        return response
    }

    private mutating func parseTag() throws -> String {
        let start = index
        while let byte = peek(), Self.isAStringChar(byte), byte != UInt8(ascii: "+") { index += 1 }
        guard index > start else { throw failure("a tag") }
        return string(start..<index)
    }

    private mutating func parseStatus(allowed: Set<IMAPCondition.Status>) throws -> IMAPCondition.Status {
        let start = index
        let word = parseAtom().uppercased()
        guard let status = IMAPCondition.Status(rawValue: word), allowed.contains(status) else {
            index = start
            throw failure("OK, NO or BAD")
        }
        return status
    }

    /// `resp-text`: an optional `[code]`, then human text (the space before it is optional in practice).
    private mutating func parseCondition(status: IMAPCondition.Status) throws -> IMAPCondition {
        if peek() == UInt8(ascii: " ") { index += 1 }
        var code: IMAPResponseCode?
        if peek() == UInt8(ascii: "[") {
            index += 1
            code = try parseResponseCode()
            try expect("]")
            if peek() == UInt8(ascii: " ") { index += 1 }
        }
        return IMAPCondition(status, code: code, text: parseText())
    }

    private mutating func parseResponseCode() throws -> IMAPResponseCode {
        let name = parseAtom().uppercased()
        guard !name.isEmpty else { throw failure("a response code") }
        switch name {
        case "ALERT": return .alert
        case "PARSE": return .parse
        case "READ-ONLY": return .readOnly
        case "READ-WRITE": return .readWrite
        case "TRYCREATE": return .tryCreate
        case "NOMODSEQ": return .noModSeq
        case "CLOSED": return .closed
        case "THROTTLED": return .throttled
        case "UIDNEXT": try expect(" "); return .uidNext(try parseNumber32())
        case "UIDVALIDITY": try expect(" "); return .uidValidity(try parseNumber32())
        case "UNSEEN": try expect(" "); return .unseen(try parseNumber32())
        case "HIGHESTMODSEQ": try expect(" "); return .highestModSeq(try parseNumber())
        case "MODIFIED": try expect(" "); return .modified(try parseSequenceSet())
        case "CAPABILITY": return .capability(parseAtomsToCodeEnd())
        case "PERMANENTFLAGS":
            try expect(" ")
            return .permanentFlags(try parseFlagList())
        case "APPENDUID":
            try expect(" ")
            let validity = try parseNumber32()
            try expect(" ")
            return .appendUID(validity: validity, uids: try parseSequenceSet())
        case "COPYUID":
            try expect(" ")
            let validity = try parseNumber32()
            try expect(" ")
            let from = try parseSequenceSet()
            try expect(" ")
            return .copyUID(validity: validity, from: from, to: try parseSequenceSet())
        default:
            // `resp-text-code =/ atom [SP 1*<any TEXT-CHAR except "]">]`
            guard peek() == UInt8(ascii: " ") else { return .other(name, nil) }
            index += 1
            let start = index
            while let byte = peek(), byte != UInt8(ascii: "]"), !Self.isNewline(byte) { index += 1 }
            return .other(name, string(start..<index))
        }
    }

    private mutating func parseAtomsToCodeEnd() -> [String] {
        var atoms: [String] = []
        while peek() == UInt8(ascii: " ") {
            index += 1
            let atom = parseAtom()
            if atom.isEmpty { break }
            atoms.append(atom)
        }
        return atoms
    }

    // MARK: untagged

    private mutating func parseUntagged() throws -> IMAPUntagged {
        if let byte = peek(), Self.isDigit(byte) {
            let number = try parseNumber32()
            try expect(" ")
            let keyword = parseAtom().uppercased()
            switch keyword {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try expect(" ")
                return .fetch(sequence: number, try parseFetchAttributes())
            default: throw failure("EXISTS, RECENT, EXPUNGE or FETCH")
            }
        }
        let start = index
        let keyword = parseAtom().uppercased()
        switch keyword {
        case "OK", "NO", "BAD", "PREAUTH", "BYE":
            return .condition(try parseCondition(status: IMAPCondition.Status(rawValue: keyword)!))
        case "CAPABILITY": return .capability(parseAtomsToLineEnd())
        case "ENABLED": return .enabled(parseAtomsToLineEnd())
        case "FLAGS":
            try expect(" ")
            return .flags(try parseFlagList())
        case "LIST", "LSUB":
            try expect(" ")
            return .list(try parseMailboxList())
        case "STATUS":
            try expect(" ")
            let mailbox = try parseAString()
            try expect(" ")
            try expect("(")
            var values: [String: UInt64] = [:]
            while peek() != UInt8(ascii: ")") {
                let name = parseAtom().uppercased()
                guard !name.isEmpty else { throw failure("a status item") }
                try expect(" ")
                values[name] = try parseNumber()
                if peek() == UInt8(ascii: " ") { index += 1 }
            }
            try expect(")")
            return .status(mailbox: mailbox, values)
        case "SEARCH":
            var numbers: [UInt32] = []
            var modSeq: UInt64?
            while peek() == UInt8(ascii: " ") {
                index += 1
                if peek() == UInt8(ascii: "(") {
                    index += 1
                    guard parseAtom().uppercased() == "MODSEQ" else { throw failure("MODSEQ") }
                    try expect(" ")
                    modSeq = try parseNumber()
                    try expect(")")
                } else if let byte = peek(), Self.isDigit(byte) {
                    numbers.append(try parseNumber32())
                }
            }
            return .search(numbers, modSeq: modSeq)
        case "VANISHED":
            try expect(" ")
            var earlier = false
            if peek() == UInt8(ascii: "(") {
                index += 1
                guard parseAtom().uppercased() == "EARLIER" else { throw failure("EARLIER") }
                try expect(")")
                try expect(" ")
                earlier = true
            }
            return .vanished(earlier: earlier, try parseSequenceSet())
        case "":
            index = start
            throw failure("a response keyword")
        default:
            if peek() == UInt8(ascii: " ") { index += 1 }
            return .other(keyword: keyword, parseRawToLineEnd())
        }
    }

    private mutating func parseAtomsToLineEnd() -> [String] {
        var atoms: [String] = []
        while peek() == UInt8(ascii: " ") {
            index += 1
            let atom = parseAtom()
            if !atom.isEmpty { atoms.append(atom) }
        }
        return atoms
    }

    /// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox [SP mbox-list-extended]`
    private mutating func parseMailboxList() throws -> IMAPMailboxInfo {
        let attributes = try parseFlagList()
        try expect(" ")
        var delimiter: Character?
        if let quoted = try parseNString() { delimiter = quoted.text.first }
        try expect(" ")
        let name = try parseAString()
        if peek() == UInt8(ascii: " ") {
            index += 1
            _ = try skipValue() // LIST-EXTENDED data (CHILDINFO, OLDNAME)
        }
        return IMAPMailboxInfo(attributes: attributes, delimiter: delimiter, name: name)
    }

    // MARK: FETCH

    private mutating func parseFetchAttributes() throws -> [IMAPFetchAttribute] {
        try expect("(")
        var attributes: [IMAPFetchAttribute] = []
        while true {
            skipSpaces()
            if peek() == UInt8(ascii: ")") { index += 1; return attributes }
            attributes.append(try parseFetchAttribute())
        }
    }

    private mutating func parseFetchAttribute() throws -> IMAPFetchAttribute {
        let nameStart = index
        while let byte = peek(), byte != UInt8(ascii: " "), byte != UInt8(ascii: "["), byte != UInt8(ascii: ")"), !Self.isNewline(byte) { index += 1 }
        let name = string(nameStart..<index).uppercased()
        guard !name.isEmpty else { throw failure("a FETCH attribute") }
        var section: String?
        var origin: UInt32?
        if peek() == UInt8(ascii: "[") {
            let sectionStart = index + 1
            index += 1
            while let byte = peek(), byte != UInt8(ascii: "]") {
                if byte == UInt8(ascii: "\"") { _ = try parseQuoted() } else if Self.isNewline(byte) { throw failure("]") } else { index += 1 }
            }
            section = string(sectionStart..<index)
            try expect("]")
            if peek() == UInt8(ascii: "<") {
                index += 1
                origin = try parseNumber32()
                try expect(">")
            }
        }
        try expect(" ")
        switch (name, section) {
        case ("UID", nil): return .uid(try parseNumber32())
        case ("FLAGS", nil): return .flags(try parseFlagList())
        case ("RFC822.SIZE", nil): return .rfc822Size(try parseNumber())
        case ("INTERNALDATE", nil): return .internalDate(try parseQuoted().text)
        case ("ENVELOPE", nil): return .envelope(try parseEnvelope())
        case ("BODYSTRUCTURE", nil), ("BODY", nil): return .bodyStructure(try parseBody())
        case ("MODSEQ", nil):
            try expect("(")
            let value = try parseNumber()
            try expect(")")
            return .modSeq(value)
        case ("X-GM-MSGID", nil): return .gmailMessageID(try parseNumber())
        case ("X-GM-THRID", nil): return .gmailThreadID(try parseNumber())
        case ("X-GM-LABELS", nil):
            try expect("(")
            var labels: [String] = []
            while peek() != UInt8(ascii: ")") {
                if peek() == UInt8(ascii: "\\") { labels.append(try parseFlag()) } else { labels.append(try parseAString()) }
                skipSpaces()
            }
            try expect(")")
            return .gmailLabels(labels)
        case ("BODY", let section?), ("BINARY", let section?):
            return .body(section: section, origin: origin, try parseNString())
        case ("RFC822", nil), ("RFC822.HEADER", nil), ("RFC822.TEXT", nil):
            return .body(section: name == "RFC822" ? "" : name == "RFC822.HEADER" ? "HEADER" : "TEXT", origin: nil, try parseNString())
        default:
            let start = index
            try skipValue()
            return .other(name: section.map { "\(name)[\($0)]" } ?? name, string(start..<index))
        }
    }

    // MARK: ENVELOPE and BODYSTRUCTURE

    private mutating func parseEnvelope() throws -> IMAPEnvelope {
        try expect("(")
        var envelope = IMAPEnvelope()
        envelope.date = try parseNString()?.text
        try expect(" ")
        envelope.subject = try parseNString()?.text
        try expect(" ")
        envelope.from = try parseAddressList()
        try expect(" ")
        envelope.sender = try parseAddressList()
        try expect(" ")
        envelope.replyTo = try parseAddressList()
        try expect(" ")
        envelope.to = try parseAddressList()
        try expect(" ")
        envelope.cc = try parseAddressList()
        try expect(" ")
        envelope.bcc = try parseAddressList()
        try expect(" ")
        envelope.inReplyTo = try parseNString()?.text
        try expect(" ")
        envelope.messageID = try parseNString()?.text
        try expect(")")
        return envelope
    }

    private mutating func parseAddressList() throws -> [IMAPAddress] {
        if try parseNil() { return [] }
        try expect("(")
        var addresses: [IMAPAddress] = []
        while peek() != UInt8(ascii: ")") {
            try expect("(")
            let name = try parseNString()?.text
            try expect(" ")
            let route = try parseNString()?.text
            try expect(" ")
            let mailbox = try parseNString()?.text
            try expect(" ")
            let host = try parseNString()?.text
            try expect(")")
            addresses.append(IMAPAddress(name: name, route: route, mailbox: mailbox, host: host))
            skipSpaces() // Some servers put spaces between addresses; the grammar has none.
        }
        try expect(")")
        return addresses
    }

    private mutating func parseBody() throws -> IMAPBodyStructure {
        try enter()
        defer { depth -= 1 }
        try expect("(")
        if peek() == UInt8(ascii: "(") {
            var parts: [IMAPBodyStructure] = []
            while peek() == UInt8(ascii: "(") {
                parts.append(try parseBody())
                skipSpaces()
            }
            let subtype = try parseString().text.lowercased()
            var parameters: [String: String] = [:]
            if peek() == UInt8(ascii: " ") {
                index += 1
                parameters = try parseBodyParameters()
                try skipExtensions()
            }
            try expect(")")
            return .multipart(parts: parts, subtype: subtype, parameters: parameters)
        }
        let type = try parseString().text.lowercased()
        try expect(" ")
        let subtype = try parseString().text.lowercased()
        try expect(" ")
        var part = IMAPBodyPart(type: type, subtype: subtype, encoding: "", size: 0)
        part.parameters = try parseBodyParameters()
        try expect(" ")
        part.id = try parseNString()?.text
        try expect(" ")
        part.description = try parseNString()?.text
        try expect(" ")
        part.encoding = try parseNString()?.text.lowercased() ?? "7bit"
        try expect(" ")
        part.size = try parseNumber()
        if type == "message", subtype == "rfc822" || subtype == "global", peek() == UInt8(ascii: " ") {
            index += 1
            _ = try parseEnvelope()
            try expect(" ")
            _ = try parseBody()
            try expect(" ")
            part.lines = try parseNumber()
        } else if type == "text", peek() == UInt8(ascii: " ") {
            index += 1
            part.lines = try parseNumber()
        }
        // body-ext-1part: md5, then disposition, language, location, extensions.
        if peek() == UInt8(ascii: " ") {
            index += 1
            _ = try parseNString()
            if peek() == UInt8(ascii: " ") {
                index += 1
                if try !parseNil() {
                    try expect("(")
                    part.disposition = try parseString().text.lowercased()
                    try expect(" ")
                    _ = try parseBodyParameters()
                    try expect(")")
                }
                try skipExtensions()
            }
        }
        try expect(")")
        return .single(part)
    }

    private mutating func parseBodyParameters() throws -> [String: String] {
        if try parseNil() { return [:] }
        try expect("(")
        var parameters: [String: String] = [:]
        while peek() != UInt8(ascii: ")") {
            let key = try parseString().text.lowercased()
            try expect(" ")
            parameters[key] = try parseString().text
            skipSpaces()
        }
        try expect(")")
        return parameters
    }

    /// Whatever extension data follows, skipped value by value.
    private mutating func skipExtensions() throws {
        while peek() == UInt8(ascii: " ") {
            index += 1
            try skipValue()
        }
    }

    /// Any value: NIL, a number, an atom, a string, or a parenthesised list of values.
    private mutating func skipValue() throws {
        switch peek() {
        case UInt8(ascii: "("):
            try enter()
            defer { depth -= 1 }
            index += 1
            while peek() != UInt8(ascii: ")") {
                try skipValue()
                skipSpaces()
                guard peek() != nil else { throw failure(")") }
            }
            index += 1
        case UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "~"):
            _ = try parseString()
        case UInt8(ascii: "\\"):
            _ = try parseFlag()
        default:
            let start = index
            while let byte = peek(), Self.isAStringChar(byte), byte != UInt8(ascii: "]") { index += 1 }
            if index > start, peek() == UInt8(ascii: "[") {
                // an atom with a section, such as BODY[HEADER]: up to the closing bracket
                while let byte = peek(), byte != UInt8(ascii: "]"), !Self.isNewline(byte) { index += 1 }
                try expect("]")
            }
            guard index > start else { throw failure("a value") }
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= 100 else { throw Failure(expected: "less nesting", offset: index, isTooDeep: true) }
    }

    // MARK: flags, sets, numbers

    private mutating func parseFlagList() throws -> [String] {
        try expect("(")
        var flags: [String] = []
        while peek() != UInt8(ascii: ")") {
            flags.append(try parseFlag())
            skipSpaces()
        }
        try expect(")")
        return flags
    }

    /// `flag`: `\Seen`, `\*`, a keyword atom, or a LIST attribute such as `\HasNoChildren`.
    private mutating func parseFlag() throws -> String {
        let start = index
        if peek() == UInt8(ascii: "\\") {
            index += 1
            if peek() == UInt8(ascii: "*") { index += 1; return "\\*" }
        }
        while let byte = peek(), Self.isAtomChar(byte) { index += 1 }
        guard index > start, !(index == start + 1 && bytes[start] == UInt8(ascii: "\\")) else { throw failure("a flag") }
        return string(start..<index)
    }

    private mutating func parseSequenceSet() throws -> IMAPSequenceSet {
        var ranges: [ClosedRange<UInt32>] = []
        repeat {
            if !ranges.isEmpty { index += 1 }
            let first = try parseSequenceNumber()
            var last = first
            if peek() == UInt8(ascii: ":") {
                index += 1
                last = try parseSequenceNumber()
            }
            ranges.append(min(first, last)...max(first, last))
        } while peek() == UInt8(ascii: ",")
        return IMAPSequenceSet(ranges)
    }

    private mutating func parseSequenceNumber() throws -> UInt32 {
        if peek() == UInt8(ascii: "*") { index += 1; return .max }
        return try parseNumber32()
    }

    private mutating func parseNumber32() throws -> UInt32 {
        let start = index
        let value = try parseNumber()
        guard value <= UInt32.max else { index = start; throw failure("a 32-bit number") }
        return UInt32(value)
    }

    /// `number` / `number64`: digits, at most 19 of them.
    private mutating func parseNumber() throws -> UInt64 {
        let start = index
        var value: UInt64 = 0
        while let byte = peek(), Self.isDigit(byte) {
            guard index - start < 19 else { throw failure("a shorter number") }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            index += 1
        }
        guard index > start else { throw failure("a number") }
        return value
    }

    // MARK: strings

    private mutating func parseNil() throws -> Bool {
        guard index + 3 <= bytes.count,
              bytes[index] | 0x20 == UInt8(ascii: "n"), bytes[index + 1] | 0x20 == UInt8(ascii: "i"), bytes[index + 2] | 0x20 == UInt8(ascii: "l"),
              index + 3 == bytes.count || !Self.isAtomChar(bytes[index + 3]) else { return false }
        index += 3
        return true
    }

    private mutating func parseNString() throws -> IMAPLiteral? {
        if try parseNil() { return nil }
        return try parseString()
    }

    /// `string = quoted / literal` (and the `~{n}` literal8 of RFC 3516).
    private mutating func parseString() throws -> IMAPLiteral {
        switch peek() {
        case UInt8(ascii: "\""): return try parseQuoted()
        case UInt8(ascii: "{"), UInt8(ascii: "~"): return try parseLiteral()
        default: throw failure("a string")
        }
    }

    private mutating func parseAString() throws -> String {
        if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "{") { return try parseString().text }
        let start = index
        while let byte = peek(), Self.isAStringChar(byte) { index += 1 }
        guard index > start else { throw failure("an astring") }
        return string(start..<index)
    }

    private mutating func parseQuoted() throws -> IMAPLiteral {
        try expect("\"")
        var buffer = ByteBuffer()
        var runStart = index
        while true {
            guard let byte = peek(), !Self.isNewline(byte) else { throw failure("a closing quote") }
            if byte == UInt8(ascii: "\"") {
                buffer.writeBytes(bytes[runStart..<index])
                index += 1
                return IMAPLiteral(bytes: buffer)
            }
            if byte == UInt8(ascii: "\\") {
                buffer.writeBytes(bytes[runStart..<index])
                index += 1
                guard let escaped = peek(), !Self.isNewline(escaped) else { throw failure("an escaped character") }
                buffer.writeInteger(escaped)
                index += 1
                runStart = index
                continue
            }
            index += 1
        }
    }

    private mutating func parseLiteral() throws -> IMAPLiteral {
        if peek() == UInt8(ascii: "~") { index += 1 }
        try expect("{")
        let count = Int(try parseNumber())
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
        try expect("}")
        try parseNewline()
        guard index + count <= bytes.count else { throw failure("\(count) literal bytes") }
        let announced = literalIndex < literalSizes.count ? literalSizes[literalIndex] : count
        literalIndex += 1
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes[index..<index + count])
        index += count
        return IMAPLiteral(bytes: buffer, byteCount: max(announced, count))
    }

    // MARK: lexical

    /// The rest of the line, as text (invalid UTF-8 repaired).
    private mutating func parseText() -> String {
        let start = index
        while let byte = peek(), !Self.isNewline(byte) { index += 1 }
        var end = index
        while end > start, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return string(start..<end)
    }

    private mutating func parseRawToLineEnd() -> String {
        // Literals may sit inside (an ID response with a literal value): skip them whole.
        let start = index
        while let byte = peek(), !Self.isNewline(byte) {
            if byte == UInt8(ascii: "{"), (try? parseLiteralKeepingIndexOnFailure()) != nil { continue }
            index += 1
        }
        return string(start..<index)
    }

    private mutating func parseLiteralKeepingIndexOnFailure() throws {
        let start = index
        do { _ = try parseLiteral() } catch { index = start; throw error }
    }

    private mutating func parseAtom() -> String {
        let start = index
        while let byte = peek(), Self.isAtomChar(byte) { index += 1 }
        return string(start..<index)
    }

    private mutating func parseNewline() throws {
        if peek() == UInt8(ascii: "\r") { index += 1 }
        guard peek() == UInt8(ascii: "\n") else { throw failure("CRLF") }
        index += 1
    }

    private mutating func skipSpaces() {
        while peek() == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func expect(_ character: Unicode.Scalar) throws {
        guard peek() == UInt8(ascii: character) else { throw failure("\"\(character)\"") }
        index += 1
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    private func failure(_ expected: String) -> Failure { Failure(expected: expected, offset: index) }

    /// `ATOM-CHAR`: any CHAR except `( ) { SP CTL % * " \ ]`.
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7F...: false
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"): false
        default: true
        }
    }

    /// `ASTRING-CHAR = ATOM-CHAR / resp-specials`; `%` and `*` too, as servers send them in mailbox names.
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*") || byte >= 0x80
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    static func isNewline(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") }
}
