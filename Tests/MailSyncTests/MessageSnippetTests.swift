@testable import MailSync
import Testing

/// The snippet from the first bytes of a body, as `BODY.PEEK[TEXT]<0.N>` returns them: cut anywhere.
@Suite struct MessageSnippetTests {
    func header(_ lines: String) -> MessageHeader { MessageHeader(Array((lines + "\r\n\r\n").utf8)) }
    func snippet(_ headerLines: String, _ body: [UInt8]) -> String? { MessageSnippet.extract(header: header(headerLines), body: body) }
    func snippet(_ headerLines: String, _ body: String) -> String? { snippet(headerLines, Array(body.utf8)) }

    @Test func plainTextWithoutContentTypeIsUSASCIIAndWhitespaceIsCollapsed() {
        #expect(snippet("Subject: x", "Hello Anna,\r\n\r\n  the offer   is attached.\r\n") == "Hello Anna, the offer is attached.")
        #expect(snippet("Subject: x", "\r\n \r\n") == nil)
    }

    @Test func quotedPrintableUTF8CutInsideAnEscapeAndInsideACharacter() {
        let body = "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, sch=C3=B6ne=\r\n Gr=C3=BC=C3=9Fe=C3"
        // "=C3" alone is half of "ü": dropped, never shown as U+FFFD.
        #expect(snippet("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable", body)
                == "Grüße aus München, schöne Grüße")
        #expect(snippet("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable", "Gr=C3=BC=C") == "Grü")
        #expect(snippet("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable", "a=ZZb") == "a=ZZb")
    }

    @Test func base64KOI8RCutInsideAGroup() {
        // "Привет, Иван! Заказ готов." in KOI8-R, base64 in 12-character lines, then cut after 2 characters of a group.
        let koi8: [UInt8] = [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4, 0x2C, 0x20, 0xE9, 0xD7, 0xC1, 0xCE, 0x21, 0x20,
                             0xFA, 0xC1, 0xCB, 0xC1, 0xDA, 0x20, 0xC7, 0xCF, 0xD4, 0xCF, 0xD7, 0x2E]
        let encoded = base64(koi8)
        var lines = ""
        var rest = Substring(encoded)
        while !rest.isEmpty { lines += rest.prefix(12) + "\r\n"; rest = rest.dropFirst(12) }
        let headers = "Content-Type: text/plain; charset=\"koi8-r\"\r\nContent-Transfer-Encoding: base64"
        #expect(snippet(headers, lines) == "Привет, Иван! Заказ готов.")
        #expect(snippet(headers, String(lines.prefix(14))) == "Привет, И")
    }

    @Test func multipartAlternativePrefersPlainTextAndIgnoresThePreamble() {
        let body = """
            This is a multi-part message in MIME format.\r
            --b1\r
            Content-Type: text/plain; charset=windows-1251\r
            Content-Transfer-Encoding: 8bit\r
            \r

            """
        let cp1251: [UInt8] = [0xC4, 0xEE, 0xE1, 0xF0, 0xFB, 0xE9, 0x20, 0xE4, 0xE5, 0xED, 0xFC]  // "Добрый день"
        let rest = Array("\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--b1--\r\n".utf8)
        #expect(snippet("Content-Type: multipart/alternative; boundary=\"b1\"", Array(body.utf8) + cp1251 + rest) == "Добрый день")
    }

    @Test func nestedMultipartWithAnAttachmentFirstAndHTMLOnly() {
        let body = """
            --outer\r
            Content-Type: application/pdf\r
            Content-Disposition: attachment; filename="offer.pdf"\r
            \r
            JVBERi0xLjQK\r
            --outer\r
            Content-Type: multipart/alternative; boundary=inner\r
            \r
            --inner\r
            Content-Type: text/html; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            <html><head><style>p {color: red}</style></head><body><p>Price:&nbsp;100&euro; &amp; 5&#37; off &lt;today&gt;</p>=\r
            <script>alert(1)</script><p>Caf=C3=A9</p></body></html>\r
            --inner--\r
            --outer--\r

            """
        #expect(snippet("Content-Type: multipart/mixed; boundary=outer", body) == "Price: 100&euro; & 5% off <today> Café")
    }

    @Test func cutsThatLeaveNothingReadable() {
        // The cut fell inside the first part's header, or the multipart has no boundary, or the part is an image.
        #expect(snippet("Content-Type: multipart/alternative; boundary=b", "--b\r\nContent-Type: text/pla") == nil)
        #expect(snippet("Content-Type: multipart/alternative", "--b\r\n\r\nhello") == nil)
        #expect(snippet("Content-Type: image/png\r\nContent-Transfer-Encoding: base64", "iVBORw0KGgo=") == nil)
        // A header-less first part (RFC 2046: defaults apply) is plain text.
        #expect(snippet("Content-Type: multipart/mixed; boundary=b", "--b\r\n\r\nhello there\r\n--b--") == "hello there")
    }

    @Test func quotedLinesAreLeftOutAndLongTextIsCutOnAWord() {
        let quoted = "Yes, agreed.\r\n\r\n> On Monday Anna wrote:\r\n> can we meet?\r\n"
        #expect(snippet("Subject: x", quoted) == "Yes, agreed.")
        let long = String(repeating: "word ", count: 100)
        let cut = try? #require(snippet("Subject: x", long))
        #expect(cut?.hasSuffix("word…") == true && (cut?.count ?? 0) <= MessageSnippet.maximumLength + 1)
    }

    @Test func hostileNestingIsBounded() {
        var body = ""
        for depth in 0..<50 { body += "--b\(depth)\r\nContent-Type: multipart/mixed; boundary=b\(depth + 1)\r\n\r\n" }
        body += "--b50\r\n\r\ndeep text\r\n"
        #expect(snippet("Content-Type: multipart/mixed; boundary=b0", body) == nil)
    }

    func base64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }
}
