@testable import MailSync
import Testing

@Suite struct MessageHeaderTests {
    /// What `BODY.PEEK[HEADER.FIELDS (...)]` returns for a reply written in KOI8-R, folded as mailers fold.
    @Test func fieldsOfARealReply() {
        let raw = """
        From: =?KOI8-R?B?8NLJ18XU?= <petrov@firm.example>\r
        To: "Smith, Anna" <anna@ours.example>,\r
         bob@ours.example\r
        Subject: =?UTF-8?B?0KHRgNC+0YfQvdC+?=\r
         =?UTF-8?B?OiDRgdGH0ZHRgg==?=\r
        Message-ID: <CAF1+xyz@mail.example>\r
        In-Reply-To: <offer-17@ours.example>\r
        References: <offer-16@ours.example>\r
        \t<offer-17@ours.example>\r
        X-Broken-Line-Without-Colon\r
        List-Id: Sales <sales.firm.example>\r
        \r

        """
        let header = MessageHeader(Array(raw.utf8))
        #expect(header.addresses("from") == [MailAddress(name: "Привет", address: "petrov@firm.example")])
        #expect(header.addresses("TO").map(\.address) == ["anna@ours.example", "bob@ours.example"])
        #expect(header.addresses("To").first?.name == "Smith, Anna")
        #expect(header.text("Subject") == "Срочно: счёт")
        #expect(header.messageIDs("Message-ID") == ["CAF1+xyz@mail.example"])
        #expect(header.messageIDs("References") == ["offer-16@ours.example", "offer-17@ours.example"])
        #expect(header.has("list-id") && !header.has("Auto-Submitted"))
        #expect(header.fields.count == 7)
    }

    @Test func garbageNeverDropsTheRest() {
        let header = MessageHeader([0xFF, 0xFE, 0x0A] + Array("Subject: ok\r\nFrom: a@b.example".utf8))
        #expect(header.text("subject") == "ok")
        #expect(header.addresses("from").map(\.address) == ["a@b.example"])
        #expect(MessageHeader([UInt8]()).fields.isEmpty)
        #expect(MessageHeader(Array("Message-ID: bare-id@host".utf8)).messageIDs("message-id") == ["bare-id@host"])
    }
}

/// Where a header block ends: the raw webhook message and every MIME part of the snippet are split by it.
@Suite struct MessageHeaderSplitTests {
    @Test func splitsAtTheEmptyLineWithEitherLineEnding() throws {
        let crlf = Array("From: a@b.example\r\nSubject: x\r\n\r\nbody".utf8)
        let split = try #require(MessageHeader.split(crlf))
        #expect(String(decoding: crlf[split.bodyStart...], as: UTF8.self) == "body")
        #expect(MessageHeader(crlf[..<split.headerEnd]).value("Subject") == Array("x".utf8))
        let lf = Array("From: a@b.example\n\nbody\n\nmore".utf8)
        #expect(MessageHeader.split(lf).map { String(decoding: lf[$0.bodyStart...], as: UTF8.self) } == "body\n\nmore")
    }

    @Test func noHeaderAtAllAndNoEndOfHeader() {
        #expect(MessageHeader.split(Array("\r\nhello".utf8)).map { [$0.headerEnd, $0.bodyStart] } == [0, 2])
        #expect(MessageHeader.split(Array("\nhello".utf8)).map { [$0.headerEnd, $0.bodyStart] } == [0, 1])
        // Cut before the empty line (a partial fetch), or a message that is all header.
        #expect(MessageHeader.split(Array("Content-Type: text/pla".utf8)) == nil)
        #expect(MessageHeader.split(Array("From: a@b.example\r\n\r".utf8)) == nil)
        #expect(MessageHeader.split([UInt8]()) == nil)
        // A slice keeps its own indices.
        let bytes = Array("xxFrom: a\r\n\r\nb".utf8)
        #expect(MessageHeader.split(bytes[2...])?.bodyStart == 13)
    }
}
