/// A JSON value as the webhook's body needs it (RFC 8259): object members in their order, numbers kept as their text
/// (the body has none we read; a number is only ever "not a string").
enum JSONValue: Equatable, Sendable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The member named `key`; the last one when a key repeats (as most readers do).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        default: false
        }
    }
}

/// Reads one JSON document (RFC 8259) from UTF-8 bytes, strictly: no trailing commas, comments, single quotes, leading
/// zeros or control characters in strings; a UTF-8 byte order mark is skipped (RFC 8259 §8.1 allows ignoring it).
/// Invalid UTF-8 is refused; an escaped lone surrogate becomes U+FFFD. Errors name what was wrong and the byte offset.
///
/// Ours rather than Foundation's `JSONSerialization`: that one builds `NSDictionary`/`Any` boxes and each field
/// read is a dynamic cast, ~15 µs of a webhook request's CPU under load; this reads the same body in a few, and says
/// where a body is broken instead of only that it is.
struct JSONReader {
    struct Failure: Error, Equatable, CustomStringConvertible {
        var reason: String
        var offset: Int
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting deeper than this is refused (a body of 100,000 `[` must not exhaust the stack). Default: 512, as
    /// Foundation's reader.
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func read(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("text after the JSON value") }
        return value
    }

    private func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func value() throws(Failure) -> JSONValue {
        guard let byte = current else { throw failure("the JSON ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"): return try nested { (reader: inout JSONReader) throws(Failure) in try reader.object() }
        case UInt8(ascii: "["): return try nested { (reader: inout JSONReader) throws(Failure) in try reader.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected '\(Self.printable(byte))' where a value should be")
        }
    }

    private mutating func nested(_ read: (inout JSONReader) throws(Failure) -> JSONValue) throws(Failure) -> JSONValue {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        defer { depth -= 1 }
        return try read(&self)
    }

    private mutating func object() throws(Failure) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        try elements(closedBy: "}", in: "an object") { (reader: inout JSONReader) throws(Failure) in
            guard reader.current == UInt8(ascii: "\"") else { throw reader.failure("an object's member must start with a quoted name") }
            let key = try reader.string()
            reader.skipWhitespace()
            guard reader.current == UInt8(ascii: ":") else { throw reader.failure("':' expected after the member name") }
            reader.index += 1
            reader.skipWhitespace()
            members.append((key, try reader.value()))
        }
        return .object(members)
    }

    private mutating func array() throws(Failure) -> JSONValue {
        var elements: [JSONValue] = []
        try self.elements(closedBy: "]", in: "an array") { (reader: inout JSONReader) throws(Failure) in elements.append(try reader.value()) }
        return .array(elements)
    }

    /// The comma-separated elements of an object or an array, `index` at its opening bracket: `element` reads one,
    /// starting at its first non-blank byte.
    private mutating func elements(closedBy close: Unicode.Scalar, in container: String,
                                   _ element: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: close) {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: close):
                index += 1
                return
            case nil: throw failure("the JSON ends inside \(container)")
            default: throw failure("',' or '\(close)' expected in \(container)")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else {
            throw failure("unexpected '\(Self.printable(bytes[index]))' where a value should be")
        }
        index += expected.count
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as its text.
    private mutating func number() throws(Failure) -> String {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, Self.isDigit(first) else { throw failure("a digit expected in a number") }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, Self.isDigit(next) { throw failure("a number cannot start with 0") }
        skipDigits()
        if current == UInt8(ascii: ".") {
            index += 1
            guard let next = current, Self.isDigit(next) else { throw failure("a digit expected after the decimal point") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let next = current, Self.isDigit(next) else { throw failure("a digit expected in the exponent") }
            skipDigits()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipDigits() { while let byte = current, Self.isDigit(byte) { index += 1 } }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A quoted string; `index` is at its opening quote. Runs without escapes are checked for control characters and
    /// handed to String whole (the usual string is one run).
    private mutating func string() throws(Failure) -> String {
        index += 1
        var text = ""
        while true {
            let run = index
            while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { throw failure("a control character must be escaped in a string") }
                index += 1
            }
            if index > run { text += try utf8(run..<index) }
            guard let stop = current else { throw failure("the JSON ends inside a string") }
            index += 1
            if stop == UInt8(ascii: "\"") { return text }
            text.unicodeScalars.append(try escape())
        }
    }

    private func utf8(_ range: Range<Int>) throws(Failure) -> String {
        guard let text = bytes.withUnsafeBufferPointer({ String(validating: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }) else {
            throw Failure(reason: "a string is not valid UTF-8", offset: range.lowerBound)
        }
        return text
    }

    /// After a backslash.
    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        guard let byte = current else { throw failure("the JSON ends inside a string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            switch unit {
            case 0xD800..<0xDC00:
                // A high surrogate: a low one must follow as another \u escape to make one character.
                if bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let mark = index
                    index += 2
                    let low = try hexUnit()
                    if (0xDC00..<0xE000).contains(low) {
                        return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))!
                    }
                    index = mark
                }
                return "\u{FFFD}"
            case 0xDC00..<0xE000: return "\u{FFFD}"
            default: return Unicode.Scalar(unit)!
            }
        default:
            index -= 1
            throw failure("'\\\(Self.printable(byte))' is not a JSON escape")
        }
    }

    private mutating func hexUnit() throws(Failure) -> UInt16 {
        guard bytes.count - index >= 4 else { throw failure("\\u needs four hex digits") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("\\u needs four hex digits")
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// A byte for an error message: itself when printable ASCII, else its hex.
    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16, uppercase: true)
    }
}
