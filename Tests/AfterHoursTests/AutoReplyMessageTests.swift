import AfterHours
import Foundation
import MailSync
import Testing

/// The reply's RFC 5322 text: headers that stop loops and thread the reply, nothing a hostile subject can inject.
struct AutoReplyMessageTests {
    func reply(subject: String, body: String, references: [String] = ["a@x.example", "b@x.example"]) -> AutoReplyMessage {
        AutoReplyMessage(from: "info@ours.example", to: "ivan@acme.example", subject: subject, body: body, messageId: "r.1@ours.example",
                         inReplyTo: "b@x.example", references: references, date: Date(timeIntervalSince1970: 1_795_000_000), language: "ru")
    }

    func parts(_ message: AutoReplyMessage) -> (header: MessageHeader, lines: [String], body: String) {
        let text = String(decoding: message.rfc5322(), as: UTF8.self)
        let split = text.components(separatedBy: "\r\n\r\n")
        let bytes = Array(text.utf8)
        return (MessageHeader(bytes[...]), split[0].components(separatedBy: "\r\n"), split.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("a subject carrying CR/LF cannot add a header (Bcc injection through {{message.subject}})")
    func headerInjection() {
        let (header, lines, _) = parts(reply(subject: "Re: hi\r\nBcc: victim@evil.example\nX-Evil: 1", body: "ok"))
        #expect(!lines.contains { $0.lowercased().hasPrefix("bcc:") || $0.lowercased().hasPrefix("x-evil:") })
        #expect(header.text("Subject")?.contains("Bcc: victim@evil.example") == true)
        #expect(header.addresses("To").map(\.address) == ["ivan@acme.example"])
    }

    @Test("a long Cyrillic subject becomes encoded words that never split a character and decode back whole; lines stay short")
    func encodedSubject() {
        let subject = "Re: " + Array(repeating: "Срочный заказ оборудования", count: 6).joined(separator: " ")
        let (header, lines, _) = parts(reply(subject: subject, body: "ok"))
        #expect(header.text("Subject") == subject)
        // RFC 2047 §2: a line with encoded words is at most 76 characters.
        #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(lines.filter { $0.utf8.count > 76 })")
    }

    @Test("loop-stopping and threading headers; ASCII text as 7bit, anything else as base64 that decodes back")
    func headersAndBody() throws {
        let plain = parts(reply(subject: "Re: Offer", body: "Thanks.\nWe answer tomorrow."))
        #expect(plain.header.text("Auto-Submitted") == "auto-replied" && plain.header.text("X-Auto-Response-Suppress") == "All")
        #expect(plain.header.messageIDs("In-Reply-To") == ["b@x.example"] && plain.header.messageIDs("References") == ["a@x.example", "b@x.example"])
        #expect(plain.header.messageIDs("Message-ID") == ["r.1@ours.example"] && plain.header.text("Content-Transfer-Encoding") == "7bit")
        #expect(plain.body == "Thanks.\r\nWe answer tomorrow.\r\n")

        let russian = parts(reply(subject: "Re: Заказ", body: "Здравствуйте!\r\nМы ответим завтра."))
        #expect(russian.header.text("Content-Transfer-Encoding") == "base64")
        let decoded = try #require(Data(base64Encoded: russian.body.replacingOccurrences(of: "\r\n", with: "")))
        #expect(String(decoding: decoded, as: UTF8.self) == "Здравствуйте!\nМы ответим завтра.")
        // A 2,000-character ASCII line would break SMTP's 998 limit: base64 too.
        #expect(parts(reply(subject: "x", body: String(repeating: "a", count: 2000))).header.text("Content-Transfer-Encoding") == "base64")
    }

    @Test("References of a reply: the parent's, then the parent; at most 20, the oldest dropped")
    func referencesOfAReply() {
        let parent = InboundMessage(from: "ivan@acme.example", to: [], messageId: "p@x.example", references: (1...25).map { "r\($0)@x.example" })
        let references = AutoReplyMessage.references(answering: parent)
        #expect(references.count == 20 && references.last == "p@x.example" && references.first == "r7@x.example")
    }
}
