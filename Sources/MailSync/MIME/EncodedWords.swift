/// RFC 2047 encoded words in header text: `=?UTF-8?B?0J/RgNC40LLQtdGC?=`, `=?ISO-8859-1?Q?Caf=E9?=`.
///
/// Whitespace between adjacent encoded words is dropped (RFC 2047 §6.2), and the bytes of adjacent words in the
/// same charset are joined before they are decoded, so a multi-byte character split across two words comes out
/// whole. A word that cannot be decoded (unknown charset, bad base64) is left as it was written; bytes invalid in
/// their charset become U+FFFD. Nothing here throws: a header is never the reason a message is lost.
public enum EncodedWords {
    /// The decoded text of a header value; raw 8-bit bytes outside encoded words are read as UTF-8.
    public static func decode(_ text: String) -> String { decode(Array(text.utf8)) }

    public static func decode(_ bytes: [UInt8]) -> String {
        var output = ""
        var pendingCharset: String?
        var pendingBytes: [UInt8] = []
        var index = 0
        var literalStart = 0

        func flushWord() {
            guard let charset = pendingCharset else { return }
            output += Charset.decode(pendingBytes, charset: charset) ?? String(decoding: pendingBytes, as: UTF8.self)
            pendingCharset = nil
            pendingBytes.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "?"),
               let word = parseWord(bytes, at: index) {
                // Text before this word (not just whitespace after a word) ends the pending run.
                let literal = bytes[literalStart..<index]
                let onlySpace = literal.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
                if !(onlySpace && pendingCharset != nil) {
                    flushWord()
                    output += String(decoding: literal, as: UTF8.self)
                }
                if let charset = pendingCharset, Charset.canonicalName(charset) != Charset.canonicalName(word.charset) { flushWord() }
                if pendingCharset == nil { pendingCharset = word.charset }
                pendingBytes += word.bytes
                index = word.end
                literalStart = index
                continue
            }
            index += 1
        }
        flushWord()
        output += String(decoding: bytes[literalStart...], as: UTF8.self)
        return output
    }

    /// One `=?charset[*language]?encoding?text?=` starting at `start`; nil when it is not a well-formed word.
    private static func parseWord(_ bytes: [UInt8], at start: Int) -> (charset: String, bytes: [UInt8], end: Int)? {
        var index = start + 2
        let charsetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "?"), bytes[index] > 0x20, bytes[index] < 0x7F { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "?"), index > charsetStart else { return nil }
        var charset = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) } // RFC 2231 language
        index += 1
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "?") else { return nil }
        let encoding = bytes[index] | 0x20
        index += 2
        let textStart = index
        while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "?") && bytes[index + 1] == UInt8(ascii: "=")) {
            guard bytes[index] > 0x20, bytes[index] < 0x7F else { return nil }
            index += 1
        }
        guard index + 1 < bytes.count else { return nil }
        let text = bytes[textStart..<index]
        let decoded: [UInt8]?
        switch encoding {
        case UInt8(ascii: "b"): decoded = base64(text)
        case UInt8(ascii: "q"): decoded = quotedPrintable(text)
        default: decoded = nil
        }
        guard let decoded, Charset.decode([], charset: charset) != nil else { return nil }
        return (charset, decoded, index + 2)
    }

    /// Base64 without requiring padding (mailers drop it); nil on a character outside the alphabet.
    static func base64(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0, bits = 0
        for byte in text {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    /// RFC 2047's Q encoding: `_` is a space, `=XX` a byte; a broken escape is kept as written.
    static func quotedPrintable(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                output.append(0x20)
            } else if byte == UInt8(ascii: "="), index + 2 < text.endIndex, let high = hex(text[index + 1]), let low = hex(text[index + 2]) {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// The value of a hexadecimal digit (either case); nil for any other byte.
    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
