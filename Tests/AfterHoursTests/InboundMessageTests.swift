import AfterHours
import Foundation
import MailSync
import NIOCore
import Testing

/// The webhook's two body formats, and what each refuses with a specific message.
@Suite struct InboundMessageTests {
    @Test func theDocumentedJSON() throws {
        let body = """
            {"from": "Carla Kunde <carla@acme.example>", "to": ["support@our-team.example"], "subject": "Срочно: заказ",
             "messageId": "<abc@acme.example>", "date": "2026-03-29T23:30:00+02:00", "returnPath": "<carla@acme.example>",
             "headers": {"References": "<x@acme.example> <y@acme.example>", "Auto-Submitted": "no"}, "text": "Bitte rufen Sie zurück"}
            """
        let message = try InboundMessage.parse(json: Array(body.utf8))
        #expect(message.from == "carla@acme.example")
        #expect(message.returnPath == "carla@acme.example")
        #expect(message.to == ["support@our-team.example"])
        #expect(message.subject == "Срочно: заказ")
        #expect(message.messageId == "abc@acme.example")
        #expect(message.references == ["x@acme.example", "y@acme.example"])
        #expect(message.date == ISO8601DateFormatter().date(from: "2026-03-29T21:30:00Z"))
        #expect(message.header("auto-submitted") == "no")
        // The headers in the body's order.
        #expect(message.headers.map(\.name) == ["References", "Auto-Submitted"])
        let pairs = try InboundMessage.parse(json: Array(#"{"from":"a@b.example","headers":[["List-Id","<l.example>"]]}"#.utf8))
        #expect(pairs.hasHeader(prefix: "list-"))
    }

    @Test(arguments: [
        ("[1, 2]", "the body is not a JSON object"),
        (#"{"from": "#, "the body is not JSON: the JSON ends where a value should be at byte 9"),
        (#"{"from": "a@b.example",}"#, "the body is not JSON: an object's member must start with a quoted name at byte 23"),
        (#"{"to": "x@y.example"}"#, "'from' is missing or holds no address"),
        (#"{"from": "nobody"}"#, "'from' is missing or holds no address"),
        (#"{"from": 7}"#, "'from' must be a string"),
        (#"{"from": "a@b.example", "to": 3}"#, "'to' must be a string or a list of strings"),
        (#"{"from": "a@b.example", "date": "yesterday"}"#, "'date' is neither RFC 3339 nor an RFC 5322 date"),
        (#"{"from": "a@b.example", "headers": {"X": 1}}"#, "header 'X' must have a string value"),
        (#"{"from": "a@b.example", "headers": [["X"]]}"#, "'headers' as a list holds [name, value] pairs of strings"),
    ])
    func malformedJSONIsRefusedWithAReason(body: String, reason: String) {
        #expect(throws: AfterHoursError.invalid(reason)) { try InboundMessage.parse(json: Array(body.utf8)) }
    }

    @Test func aRawMessageWithEncodedWordsAndABrokenLine() throws {
        let raw = """
            Return-Path: <>\r
            From: =?KOI8-R?B?68HSzME=?= <carla@acme.example>\r
            To: support@our-team.example, "Bob" <bob@our-team.example>\r
            Subject: =?UTF-8?Q?Dringend=3A_R=C3=BCckruf?=\r
            \u{00ff}\u{00fe} not a header line\r
            Message-ID: <m1@acme.example>\r
            Date: Sun, 29 Mar 2026 01:30:00 +0100\r
            Auto-Submitted: auto-replied\r
            \r
            Hallo,\r
            bitte zurückrufen.\r

            """
        let message = try InboundMessage.parse(rfc5322: Array(raw.utf8))
        #expect(message.from == "carla@acme.example")
        #expect(message.returnPath == "")
        #expect(message.to == ["support@our-team.example", "bob@our-team.example"])
        #expect(message.subject == "Dringend: Rückruf")
        #expect(message.messageId == "m1@acme.example")
        #expect(message.date == ISO8601DateFormatter().date(from: "2026-03-29T00:30:00Z"))
        #expect(message.text.hasPrefix("Hallo,"))
        #expect(AutoReplyPolicy().refusal(for: message) == .nullSender)
        #expect(throws: AfterHoursError.invalid("the message has no From address")) {
            try InboundMessage.parse(rfc5322: Array("Subject: hi\r\n\r\nbody".utf8))
        }
    }

    @Test func randomBytesNeverCrashEitherParser() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\ a@b.example-From:To:Subject:=?UTF-8?B?Q?=\#r\#n<>"#.utf8) + [0, 0xff, 0xc3, 0xa4]
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<200, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? InboundMessage.parse(json: bytes)
            _ = try? InboundMessage.parse(rfc5322: bytes)
        }
    }
}

/// The mailbox switch's messages: what the IMAP sync fetched, for the responder.
@Suite struct SyncedInboundMessageTests {
    func synced(_ header: String, body: String) throws -> SyncedMessage {
        try #require(SyncedMessage(folder: "INBOX", attributes: [
            .uid(7),
            .body(section: "HEADER.FIELDS (FROM TO SUBJECT MESSAGE-ID)", origin: nil, IMAPLiteral(bytes: ByteBuffer(string: header))),
            .body(section: "TEXT", origin: 0, IMAPLiteral(bytes: ByteBuffer(string: body))),
        ]))
    }

    @Test func theSnippetIsTheTextSoAnUrgentWordInTheBodyCounts() throws {
        let message = try synced("From: Ivan <ivan@acme.example>\r\nTo: info@ours.example\r\nSubject: Server\r\nMessage-ID: <s.1@acme.example>\r\n\r\n",
                                 body: "Добрый вечер,\r\nэто срочно: сервер не отвечает.\r\n")
        let inbound = try #require(InboundMessage(synced: message))
        #expect(inbound.text == "Добрый вечер, это срочно: сервер не отвечает.")
        #expect(UrgencyRules().keywordReason(for: inbound) == "keyword 'срочно'")
    }

    @Test func bulkMailHasNoSnippet() throws {
        let message = try synced("From: news@letters.example\r\nList-Id: <offers.letters.example>\r\nSubject: Offers\r\n\r\n", body: "Urgent offer!")
        #expect(message.isBulk && message.snippet == nil)
    }
}
