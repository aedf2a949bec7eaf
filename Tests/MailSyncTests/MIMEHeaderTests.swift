@testable import MailSync
import Testing

/// RFC 2047 §8's examples, the charsets Russian and European mail arrives in, and what mailers get wrong.
@Suite struct EncodedWordsTests {
    @Test(arguments: [
        // RFC 2047 §8
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
        ("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"),
        ("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"),
        // Cyrillic in every charset it is sent in
        ("=?UTF-8?B?0J/RgNC40LLQtdGC?=", "Привет"),
        ("=?KOI8-R?B?8NLJ18XU?=", "Привет"),
        ("=?windows-1251?B?z/Do4uXy?=", "Привет"),
        ("=?ISO-8859-5?Q?=BF=E0=D8=D2=D5=E2?=", "Привет"),
        ("=?utf-8?q?=D0=A1=D1=80=D0=BE=D1=87=D0=BD=D0=BE?= =?utf-8?q?!?=", "Срочно!"),
        // A UTF-8 character split across two words: joined before decoding.
        ("=?UTF-8?B?0J/R?= =?UTF-8?B?gNC4?=", "При"),
        ("=?UTF-8?Q?=D0?= =?UTF-8?Q?=9F?=", "П"),
        // Missing padding, lower-case encoding letter, a language tag (RFC 2231).
        ("=?utf-8?b?0J/RgNC40LLQtdGC?=", "Привет"),
        ("=?UTF-8?B?0J/RgNC40LLQtdGC=?=", "Привет"),
        ("=?UTF-8*ru?B?0J/RgNC40LLQtdGC?=", "Привет"),
        ("=?ISO-8859-15?Q?=A4uro?=", "€uro"),
    ])
    func decodes(_ input: String, _ expected: String) {
        #expect(EncodedWords.decode(input) == expected)
    }

    /// What cannot be decoded stays as written; bad bytes become U+FFFD; nothing traps.
    @Test(arguments: [
        ("=?UNKNOWN-CHARSET?Q?abc?=", "=?UNKNOWN-CHARSET?Q?abc?="),
        ("=?UTF-8?B?***?=", "=?UTF-8?B?***?="),
        ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
        ("=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated"),
        ("=?UTF-8?B?/w==?=", "\u{FFFD}"),
        ("=?", "=?"),
        ("=?UTF-8?Q?a=ZZb?=", "a=ZZb"),
        ("plain text", "plain text"),
    ])
    func undecodableTextIsKept(_ input: String, _ expected: String) {
        #expect(EncodedWords.decode(input) == expected)
    }

    @Test func rawEightBitHeadersAreRepairedNotDropped() {
        #expect(EncodedWords.decode([0x41, 0xFF, 0x42]) == "A\u{FFFD}B")
    }

    @Test func charsetAliases() {
        #expect(Charset.canonicalName("CP1251") == "windows-1251")
        #expect(Charset.canonicalName("x-win-1251") == "windows-1251")
        #expect(Charset.canonicalName("ISO8859-2") == "iso-8859-2")
        #expect(Charset.canonicalName("latin1") == "iso-8859-1")
        #expect(Charset.decode([0xC0], charset: "koi8-r") == "ю")
        #expect(Charset.decode([0x98], charset: "windows-1251") == "\u{FFFD}")
        #expect(Charset.decode([0x41], charset: "ebcdic-whatever") == nil)
    }
}

@Suite struct MailAddressTests {
    @Test func addressListsWithNamesGroupsAndComments() {
        #expect(MailAddress.parseList("\"Smith, John\" <john@example.com>, jane@example.org") == [
            MailAddress(name: "Smith, John", address: "john@example.com"), MailAddress(address: "jane@example.org"),
        ])
        #expect(MailAddress.parseList("=?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>") == [
            MailAddress(name: "Иван Петров", address: "ivan@example.ru"),
        ])
        // RFC 5322 Appendix A.1.3: a group, and an empty group.
        #expect(MailAddress.parseList("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;") == [
            MailAddress(name: "Ed Jones", address: "c@a.test"), MailAddress(address: "joe@where.test"), MailAddress(name: "John", address: "jdoe@one.test"),
        ])
        // RFC 5322 Appendix A.5: comments everywhere; the obsolete `addr (Name)` form.
        #expect(MailAddress.parseList("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>") == [
            MailAddress(name: "Pete", address: "pete@silly.test"),
        ])
        #expect(MailAddress.parseList("john@example.com (John Doe)") == [MailAddress(name: "John Doe", address: "john@example.com")])
        // Folded, routed, quoted local part, and a quoted display name holding encoded words.
        #expect(MailAddress.parseList("Mary\r\n Smith <@route.test:mary@x.test>") == [MailAddress(name: "Mary Smith", address: "mary@x.test")])
        #expect(MailAddress.parseList("\"=?UTF-8?Q?J=C3=BCrgen?=\" <\"j.m\"@example.de>") == [MailAddress(name: "Jürgen", address: "j.m@example.de")])
    }

    @Test func piecesWithoutAnAddressAreLeftOutTheRestKept() {
        #expect(MailAddress.parseList("undisclosed-recipients:;") == [])
        #expect(MailAddress.parseList("broken <no-at-sign>, ok@example.com") == [MailAddress(address: "ok@example.com")])
        // An unterminated quote swallows the rest of the list; the address in it is still kept.
        #expect(MailAddress.parseList("\"unterminated, <x@y.z>").map(\.address) == ["x@y.z"])
        #expect(MailAddress.parseList("") == [])
    }
}
