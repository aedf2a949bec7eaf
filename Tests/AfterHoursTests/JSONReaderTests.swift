@testable import AfterHours
import Foundation
import Testing

/// The webhook's JSON reader against RFC 8259, with Foundation's `JSONSerialization` as the second opinion.
@Suite struct JSONReaderTests {
    /// Random documents, written out with random spacing and escaping, read back to the same value; Foundation reads
    /// each one too (the writer below makes only valid JSON) and finds the same strings.
    @Test func randomDocumentsReadBackAsWritten() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = JSONValue.object((0..<Int.random(in: 0...6, using: &random)).map { index in
                ("\(index)" + Self.randomString(&random), Self.randomValue(depth: 0, &random))
            })
            let text = Self.write(value, &random)
            #expect(try JSONReader.read(text) == value, "\(String(decoding: text, as: UTF8.self))")
            let foundation = try JSONSerialization.jsonObject(with: Data(text), options: [])
            #expect(Self.sameStrings(value, foundation), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Broken documents, each refused by Foundation too, with what is wrong and where.
    @Test(arguments: [
        ("", "the JSON ends where a value should be at byte 0"),
        ("  ", "the JSON ends where a value should be at byte 2"),
        (#"{"from": "#, "the JSON ends where a value should be at byte 9"),
        ("01", "a number cannot start with 0 at byte 1"),
        ("-01", "a number cannot start with 0 at byte 2"),
        ("1.", "a digit expected after the decimal point at byte 2"),
        (".5", "unexpected '.' where a value should be at byte 0"),
        ("-", "a digit expected in a number at byte 1"),
        ("[-]", "a digit expected in a number at byte 2"),
        ("1e", "a digit expected in the exponent at byte 2"),
        (#""\x""#, #"'\x' is not a JSON escape at byte 2"#),
        (#""\u12""#, #"\u needs four hex digits at byte 3"#),
        (#""abc"#, "the JSON ends inside a string at byte 4"),
        ("\"a\nb\"", "a control character must be escaped in a string at byte 2"),
        ("[\"\t\"]", "a control character must be escaped in a string at byte 2"),
        ("'a'", "unexpected ''' where a value should be at byte 0"),
        ("/*c*/1", "unexpected '/' where a value should be at byte 0"),
        ("tru", "unexpected 't' where a value should be at byte 0"),
        (#"{"a" 1}"#, "':' expected after the member name at byte 5"),
        ("{a:1}", "an object's member must start with a quoted name at byte 1"),
        ("{} x", "text after the JSON value at byte 3"),
        (#"{"a":1}{"#, "text after the JSON value at byte 7"),
        ("\u{a0}{}", "unexpected '0xC2' where a value should be at byte 0"),
        ("\u{0c}{}", "unexpected '0xC' where a value should be at byte 0"),
        (#"{"a":1"#, "the JSON ends inside an object at byte 6"),
        ("[1 2]", "',' or ']' expected in an array at byte 3"),
    ])
    func brokenDocumentsAreRefusedWithWhereAndWhy(text: String, reason: String) {
        let bytes = Array(text.utf8)
        let failure = #expect(throws: JSONReader.Failure.self) { try JSONReader.read(bytes) }
        #expect(failure?.description == reason)
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) == nil, "Foundation reads \(text.debugDescription)")
    }

    @Test func invalidUTF8AndNestingAreRefused() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONReader.Failure(reason: "a string is not valid UTF-8", offset: 1)) { try JSONReader.read(bytes) }
        }
        let deepest = String(repeating: "[", count: JSONReader.maximumDepth) + String(repeating: "]", count: JSONReader.maximumDepth)
        #expect(throws: Never.self) { try JSONReader.read(Array(deepest.utf8)) }
        let tooDeep = Array(String(repeating: "[", count: 100_000).utf8)
        #expect(throws: JSONReader.Failure(reason: "nested deeper than 512 levels", offset: 512)) { try JSONReader.read(tooDeep) }
    }

    /// Where this reader and Foundation's differ, on purpose.
    @Test func whereFoundationDiffers() throws {
        // Trailing commas: Foundation takes them; RFC 8259's grammar has none, and neither do we.
        for text in [#"{"a":1,}"#, "[1,]"] {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(text.utf8), options: []) }
            #expect((try? JSONReader.read(Array(text.utf8))) == nil)
        }
        // A lone surrogate escape: Foundation refuses the whole body; we keep the message, with U+FFFD in its place
        // (RFC 8259 §8.2 leaves it to the reader), and a pair is one character.
        #expect(try JSONReader.read(Array(#""a\ud800b\udc00c""#.utf8)) == .string("a\u{FFFD}b\u{FFFD}c"))
        #expect(try JSONReader.read(Array(#""\ud83d\ude00\ud83dx""#.utf8)) == .string("😀\u{FFFD}x"))
        // A number too large for a Double: Foundation refuses it; we never read numbers, so it is only "not a string".
        #expect(try JSONReader.read(Array("1e999".utf8)) == .number("1e999"))
        // A byte order mark: skipped by both.
        #expect(try JSONReader.read([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .object([]))
        // A key given twice: the last value, as Foundation.
        #expect(try JSONReader.read(Array(#"{"a":1,"a":"two"}"#.utf8))["a"] == .string("two"))
    }

    // MARK: the generator

    static func randomValue(depth: Int, _ random: inout SystemRandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &random) {
        case 0: return .string(randomString(&random))
        case 1: return .number(randomNumber(&random))
        case 2: return .bool(Bool.random(using: &random))
        case 3: return .null
        case 4: return .string(randomString(&random))
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            return .object((0..<Int.random(in: 0...4, using: &random)).map { index in
                // Distinct keys: Foundation keeps one of a repeated key, and the comparison would not be fair.
                ("\(index)" + randomString(&random), randomValue(depth: depth + 1, &random))
            })
        }
    }

    static func randomString(_ random: inout SystemRandomNumberGenerator) -> String {
        let pieces: [String] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1f}", "\u{7f}", "ä", "я", "€", "😀", "\u{10FFFF}", "\u{FFFD}",
                                "\u{2028}", "from", "@", "<", ">"]
        return (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func randomNumber(_ random: inout SystemRandomNumberGenerator) -> String {
        var text = Bool.random(using: &random) ? "-" : ""
        text += Bool.random(using: &random) ? "0" : "\(Int.random(in: 1...99999, using: &random))"
        if Bool.random(using: &random) { text += ".\(Int.random(in: 0...999, using: &random))" }
        if Bool.random(using: &random) { text += ["e", "E"].randomElement(using: &random)! + ["", "+", "-"].randomElement(using: &random)! + "\(Int.random(in: 0...30, using: &random))" }
        return text
    }

    /// JSON text for `value`: random whitespace between tokens, each character of a string raw or escaped at random
    /// (the characters JSON requires escaped always are; beyond the BMP as a surrogate pair).
    static func write(_ value: JSONValue, _ random: inout SystemRandomNumberGenerator) -> [UInt8] {
        var out: [UInt8] = []
        func space() { for _ in 0..<Int.random(in: 0...2, using: &random) { out.append([0x20, 0x09, 0x0A, 0x0D].randomElement(using: &random)!) } }
        func string(_ text: String) {
            out.append(UInt8(ascii: "\""))
            for scalar in text.unicodeScalars {
                let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
                if mustEscape || Int.random(in: 0..<4, using: &random) == 0 {
                    switch scalar {
                    case "\"": out += Array(#"\""#.utf8)
                    case "\\": out += Array(#"\\"#.utf8)
                    case "\n" where Bool.random(using: &random): out += Array(#"\n"#.utf8)
                    case "/" where Bool.random(using: &random): out += Array(#"\/"#.utf8)
                    default:
                        for unit in String(scalar).utf16 {
                            let hex = String(unit, radix: 16, uppercase: Bool.random(using: &random))
                            out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                        }
                    }
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        func emit(_ value: JSONValue) {
            space()
            switch value {
            case .object(let members):
                out.append(UInt8(ascii: "{"))
                for (index, member) in members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    space()
                    string(member.key)
                    space()
                    out.append(UInt8(ascii: ":"))
                    emit(member.value)
                }
                space()
                out.append(UInt8(ascii: "}"))
            case .array(let elements):
                out.append(UInt8(ascii: "["))
                for (index, element) in elements.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    emit(element)
                }
                space()
                out.append(UInt8(ascii: "]"))
            case .string(let text): string(text)
            case .number(let text): out += Array(text.utf8)
            case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
            case .null: out += Array("null".utf8)
            }
            space()
        }
        emit(value)
        return out
    }

    /// Whether Foundation's reading of a document has the same shape and the same strings (numbers only as numbers:
    /// Foundation makes them doubles or integers).
    static func sameStrings(_ value: JSONValue, _ foundation: Any) -> Bool {
        switch value {
        case .object(let members):
            guard let dictionary = foundation as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { member in dictionary[member.key].map { sameStrings(member.value, $0) } ?? false }
        case .array(let elements):
            guard let array = foundation as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { sameStrings($0, $1) }
        case .string(let text): return (foundation as? String) == text
        case .number, .bool: return foundation is NSNumber || foundation is Int || foundation is Double || foundation is Bool
        case .null: return foundation is NSNull
        }
    }
}
