/// Text in the charsets mail is still written in: UTF-8, US-ASCII, ISO-8859-*, KOI8-R/U, Windows-125x.
///
/// Bytes a charset leaves undefined, and invalid UTF-8, become U+FFFD: a message is never dropped for its bytes.
public enum Charset {
    /// The text of `bytes` in the named charset (any case, common aliases); nil when the charset is unknown.
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, charset name: String) -> String? {
        switch canonicalName(name) {
        case "utf-8", "us-ascii": return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1":
            var scalars = String.UnicodeScalarView()
            for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        case let canonical:
            guard let upper = upperHalves[canonical] else { return nil }
            var scalars = String.UnicodeScalarView()
            for byte in bytes {
                scalars.append(byte < 0x80 ? Unicode.Scalar(byte) : Unicode.Scalar(upper[Int(byte - 0x80)]) ?? "\u{FFFD}")
            }
            return String(scalars)
        }
    }

    /// The table name for a charset label: `UTF8` → `utf-8`, `cp1251` → `windows-1251`, `latin1` → `iso-8859-1`.
    static func canonicalName(_ name: String) -> String {
        // The names nearly every message uses, as mailers spell them, without lower-casing a copy.
        switch name {
        case "UTF-8", "utf-8": return "utf-8"
        case "ISO-8859-1", "iso-8859-1": return "iso-8859-1"
        case "us-ascii", "US-ASCII": return "us-ascii"
        default: break
        }
        var label = name.lowercased().filter { !$0.isWhitespace }
        if label.hasPrefix("x-") { label.removeFirst(2) }
        switch label {
        case "utf8", "utf-8", "unicode-1-1-utf-8": return "utf-8"
        case "ascii", "us-ascii", "ansi_x3.4-1968", "646", "us": return "us-ascii"
        case "latin1", "l1", "iso8859-1", "iso_8859-1", "iso-8859-1", "cp819": return "iso-8859-1"
        case "koi8r", "koi8-r", "cskoi8r": return "koi8-r"
        case "koi8u", "koi8-u": return "koi8-u"
        case "latin2", "l2": return "iso-8859-2"
        case "cyrillic": return "iso-8859-5"
        case "latin9", "l9": return "iso-8859-15"
        default: break
        }
        for prefix in ["cp", "win", "windows", "windows-", "win-", "cp-"] where label.hasPrefix(prefix) {
            let rest = label.dropFirst(prefix.count)
            if rest.count == 4, rest.hasPrefix("125"), rest.allSatisfy(\.isNumber) { return "windows-\(rest)" }
        }
        for prefix in ["iso8859-", "iso_8859-", "iso-8859-", "iso8859_", "iso-8859_", "iso8859"] where label.hasPrefix(prefix) {
            let rest = label.dropFirst(prefix.count).prefix { $0.isNumber }
            if !rest.isEmpty { return "iso-8859-\(rest)" }
        }
        return label
    }
}
