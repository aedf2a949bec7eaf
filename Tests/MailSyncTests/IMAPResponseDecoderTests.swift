@testable import MailSync
import NIOCore
import NIOTestUtils
import Testing

/// The response decoder, fed by swift-nio's verifier: every input byte by byte, whole, and one response per buffer.
/// Examples are the RFCs' own (RFC 3501 §6–7, RFC 7162 §3, RFC 6154) and Gmail's documented responses.
@Suite struct IMAPResponseDecoderTests {
    private func verify(_ pairs: [(String, [IMAPFrame])], limits: IMAPDecoderLimits = IMAPDecoderLimits()) throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: pairs.map { (ByteBuffer(string: $0.0), $0.1) },
            decoderFactory: { IMAPResponseDecoder(limits: limits) }
        )
    }

    private func decode(_ text: String, limits: IMAPDecoderLimits = IMAPDecoderLimits()) throws -> [IMAPFrame] {
        var decoder = IMAPResponseDecoder(limits: limits)
        var buffer = ByteBuffer(string: text)
        var frames: [IMAPFrame] = []
        while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
        return frames
    }

    private func response(_ text: String) throws -> IMAPResponse {
        let frames = try decode(text)
        guard frames.count == 1, case .response(let response) = frames[0] else {
            Issue.record("expected one response, got \(frames)")
            return .continuation("")
        }
        return response
    }

    @Test func greetingCapabilityAndTaggedCompletion() throws {
        try verify([
            ("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n",
             [.response(.untagged(.condition(IMAPCondition(.ok, code: .capability(["IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "LITERAL+", "STARTTLS", "AUTH=PLAIN"]), text: "Dovecot ready."))))]),
            ("* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n",
             [.response(.untagged(.capability(["IMAP4rev1", "STARTTLS", "AUTH=GSSAPI", "LOGINDISABLED"])))]),
            ("abcd OK CAPABILITY completed\r\n", [.response(.tagged(tag: "abcd", IMAPCondition(.ok, text: "CAPABILITY completed")))]),
            ("a002 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
             [.response(.tagged(tag: "a002", IMAPCondition(.no, code: .other("AUTHENTICATIONFAILED", nil), text: "Authentication failed.")))]),
            ("* BYE Autologout; idle for too long\r\n", [.response(.untagged(.condition(IMAPCondition(.bye, text: "Autologout; idle for too long"))))]),
            ("+ Ready for additional command text\r\n", [.response(.continuation("Ready for additional command text"))]),
            ("+\r\n", [.response(.continuation(""))]),
        ])
    }

    /// RFC 3501 §6.3.1 SELECT, with RFC 7162's HIGHESTMODSEQ.
    @Test func selectResponses() throws {
        try verify([
            ("* 172 EXISTS\r\n", [.response(.untagged(.exists(172)))]),
            ("* 1 RECENT\r\n", [.response(.untagged(.recent(1)))]),
            ("* OK [UNSEEN 12] Message 12 is first unseen\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .unseen(12), text: "Message 12 is first unseen"))))]),
            ("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .uidValidity(3_857_529_045), text: "UIDs valid"))))]),
            ("* OK [UIDNEXT 4392] Predicted next UID\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .uidNext(4392), text: "Predicted next UID"))))]),
            ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n", [.response(.untagged(.flags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"])))]),
            ("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .permanentFlags(["\\Deleted", "\\Seen", "\\*"]), text: "Limited"))))]),
            ("* OK [HIGHESTMODSEQ 715194045007] Highest\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .highestModSeq(715_194_045_007), text: "Highest"))))]),
            ("A142 OK [READ-WRITE] SELECT completed\r\n", [.response(.tagged(tag: "A142", IMAPCondition(.ok, code: .readWrite, text: "SELECT completed")))]),
            ("* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n",
             [.response(.untagged(.condition(IMAPCondition(.ok, code: .noModSeq, text: "Sorry, this mailbox format doesn't support modsequences"))))]),
            ("* OK [CLOSED] Previous mailbox closed.\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .closed, text: "Previous mailbox closed."))))]),
        ])
    }

    /// RFC 6154 §5.1 and Gmail: the special-use attributes find All Mail and Sent.
    @Test func listWithSpecialUseAttributes() throws {
        try verify([
            ("* LIST (\\HasNoChildren \\All) \"/\" \"[Gmail]/All Mail\"\r\n",
             [.response(.untagged(.list(IMAPMailboxInfo(attributes: ["\\HasNoChildren", "\\All"], delimiter: "/", name: "[Gmail]/All Mail"))))]),
            ("* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
             [.response(.untagged(.list(IMAPMailboxInfo(attributes: ["\\HasNoChildren"], delimiter: "/", name: "INBOX"))))]),
            ("* LIST (\\Noselect) NIL \"\"\r\n", [.response(.untagged(.list(IMAPMailboxInfo(attributes: ["\\Noselect"], delimiter: nil, name: ""))))]),
            ("* LIST () \".\" {11}\r\nSent [Mail]\r\n", [.response(.untagged(.list(IMAPMailboxInfo(attributes: [], delimiter: ".", name: "Sent [Mail]"))))]),
        ])
    }

    @Test func statusEnabledSearchAndVanished() throws {
        try verify([
            ("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 7011231777)\r\n",
             [.response(.untagged(.status(mailbox: "blurdybloop", ["MESSAGES": 231, "UIDNEXT": 44292, "HIGHESTMODSEQ": 7_011_231_777])))]),
            ("* ENABLED CONDSTORE QRESYNC\r\n", [.response(.untagged(.enabled(["CONDSTORE", "QRESYNC"])))]),
            ("* SEARCH 2 84 882\r\n", [.response(.untagged(.search([2, 84, 882], modSeq: nil)))]),
            ("* SEARCH\r\n", [.response(.untagged(.search([], modSeq: nil)))]),
            ("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n", [.response(.untagged(.search([2, 5, 6, 7, 11, 12, 18, 19, 20, 23], modSeq: 917_162_500)))]),
            ("* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
             [.response(.untagged(.vanished(earlier: true, IMAPSequenceSet([41...41, 43...116, 118...118, 120...211, 214...540]))))]),
            ("* VANISHED 405,407,410,425\r\n", [.response(.untagged(.vanished(earlier: false, IMAPSequenceSet([405...405, 407...407, 410...410, 425...425]))))]),
            ("* 44 EXPUNGE\r\n", [.response(.untagged(.expunge(44)))]),
            ("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n", [.response(.untagged(.other(keyword: "NAMESPACE", "((\"\" \"/\")) NIL NIL")))]),
        ])
    }

    /// RFC 3501 §7.4.2's FETCH example, with its ENVELOPE and BODYSTRUCTURE, then RFC 7162's MODSEQ.
    @Test func fetchWithEnvelopeAndBodyStructure() throws {
        let envelope = IMAPEnvelope(
            date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", subject: "IMAP4rev1 WG mtg summary and minutes",
            from: [IMAPAddress(name: "Terry Gray", mailbox: "gray", host: "cac.washington.edu")],
            sender: [IMAPAddress(name: "Terry Gray", mailbox: "gray", host: "cac.washington.edu")],
            replyTo: [IMAPAddress(name: "Terry Gray", mailbox: "gray", host: "cac.washington.edu")],
            to: [IMAPAddress(mailbox: "imap", host: "cac.washington.edu")],
            cc: [IMAPAddress(mailbox: "minutes", host: "CNRI.Reston.VA.US"), IMAPAddress(name: "John Klensin", mailbox: "KLENSIN", host: "MIT.EDU")],
            messageID: "<B27397-0100000@cac.washington.edu>")
        let body = IMAPBodyPart(type: "text", subtype: "plain", parameters: ["charset": "US-ASCII"], encoding: "7bit", size: 3028, lines: 92)
        try verify([
            ("""
            * 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" \
            "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) \
            (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")\
            ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n
            """,
             [.response(.untagged(.fetch(sequence: 12, [.flags(["\\Seen"]), .internalDate("17-Jul-1996 02:44:25 -0700"), .rfc822Size(4286), .envelope(envelope), .bodyStructure(.single(body))])))]),
            ("* 7 FETCH (MODSEQ (12121231000) UID 5)\r\n", [.response(.untagged(.fetch(sequence: 7, [.modSeq(12_121_231_000), .uid(5)])))]),
        ])
    }

    /// Gmail's X-GM-EXT-1 attributes as its developer guide shows them.
    @Test func gmailAttributes() throws {
        try verify([
            ("* 1 FETCH (X-GM-MSGID 1278455344230334865 UID 1)\r\n", [.response(.untagged(.fetch(sequence: 1, [.gmailMessageID(1_278_455_344_230_334_865), .uid(1)])))]),
            ("* 1 FETCH (X-GM-THRID 1266894439832287888 UID 1)\r\n", [.response(.untagged(.fetch(sequence: 1, [.gmailThreadID(1_266_894_439_832_287_888), .uid(1)])))]),
            ("* 1 FETCH (X-GM-LABELS (\\Inbox \\Sent Important \"Muy Importante\") UID 1)\r\n",
             [.response(.untagged(.fetch(sequence: 1, [.gmailLabels(["\\Inbox", "\\Sent", "Important", "Muy Importante"]), .uid(1)])))]),
            ("* 2 FETCH (X-GM-LABELS () UID 2)\r\n", [.response(.untagged(.fetch(sequence: 2, [.gmailLabels([]), .uid(2)])))]),
            ("a1 NO [THROTTLED] Account exceeded command or bandwidth limits. (Failure)\r\n",
             [.response(.tagged(tag: "a1", IMAPCondition(.no, code: .throttled, text: "Account exceeded command or bandwidth limits. (Failure)")))]),
            ("* OK [ALERT] Please log in via your web browser\r\n", [.response(.untagged(.condition(IMAPCondition(.ok, code: .alert, text: "Please log in via your web browser"))))]),
            // XOAUTH2 failure: a base64 JSON challenge, then the tagged NO once the client sends an empty line.
            ("+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n",
             [.response(.continuation("eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ=="))]),
            ("A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n",
             [.response(.tagged(tag: "A1", IMAPCondition(.no, code: .other("AUTHENTICATIONFAILED", nil), text: "Invalid credentials (Failure)")))]),
        ])
    }

    /// Headers come back as a literal with CRLFs inside; the section names the fields asked for.
    @Test func headerFieldsLiteralAndSnippet() throws {
        let header = "From: =?UTF-8?B?0JjQstCw0L0=?= <ivan@example.ru>\r\nSubject: Hi\r\n\r\n"
        let text = "* 3 FETCH (UID 44 RFC822.SIZE 2048 BODY[HEADER.FIELDS (FROM SUBJECT \"MESSAGE-ID\")] {\(header.utf8.count)}\r\n\(header) BODY[TEXT]<0> {5}\r\nHello)\r\n"
        try verify([(text, [.response(.untagged(.fetch(sequence: 3, [
            .uid(44), .rfc822Size(2048),
            .body(section: "HEADER.FIELDS (FROM SUBJECT \"MESSAGE-ID\")", origin: nil, IMAPLiteral(bytes: ByteBuffer(string: header))),
            .body(section: "TEXT", origin: 0, IMAPLiteral(bytes: ByteBuffer(string: "Hello"))),
        ])))])])
    }

    /// A literal over the limit is cut while it streams past; the value says how big it was, and the next
    /// response is whole.
    @Test func aHugeLiteralIsCutNotHeld() throws {
        let big = String(repeating: "x", count: 10_000)
        let frames = try decode("* 1 FETCH (UID 9 BODY[] {10000}\r\n\(big))\r\n* 2 EXISTS\r\n", limits: IMAPDecoderLimits(maxLiteralBytes: 100))
        #expect(frames.count == 2)
        guard case .response(.untagged(.fetch(1, let attributes))) = frames[0], case .body(_, _, let value?) = attributes[1] else {
            Issue.record("\(frames)")
            return
        }
        #expect(value.bytes.readableBytes == 100 && value.byteCount == 10_000 && value.isTruncated)
        #expect(frames[1] == .response(.untagged(.exists(2))))
    }

    @Test func malformedAndOversizedResponsesAreSkippedAndTheStreamGoesOn() throws {
        try verify([
            ("* 12 FETCH (UID)\r\n", [.skipped(.malformed("\" \"", offset: 15, droppedBytes: 18))]),
            ("* 1 EXISTS\r\n", [.response(.untagged(.exists(1)))]),
            ("garbage\r\n", [.skipped(.malformed("\" \"", offset: 7, droppedBytes: 9))]),
            ("* 1 FETCH (BODY[] {3}\r\nabc)\r\n", [.response(.untagged(.fetch(sequence: 1, [.body(section: "", origin: nil, IMAPLiteral(bytes: ByteBuffer(string: "abc")))])))]),
        ])
        let long = "* OK " + String(repeating: "a", count: 200) + "\r\n"
        let frames = try decode(long + "* 3 EXISTS\r\n", limits: IMAPDecoderLimits(maxLineBytes: 64))
        #expect(frames == [.skipped(.lineTooLong(droppedBytes: long.utf8.count)), .response(.untagged(.exists(3)))])
    }

    /// The connection drops inside a FETCH literal: the partial response is reported once, then nothing.
    @Test func aResponseCutByTheEndOfTheStreamIsReported() throws {
        var decoder = IMAPResponseDecoder()
        var buffer = ByteBuffer(string: "* 1 EXISTS\r\n* 2 FETCH (UID 7 BODY[] {100}\r\nonly part")
        #expect(try decoder.decode(buffer: &buffer) == .response(.untagged(.exists(1))))
        #expect(try decoder.decode(buffer: &buffer) == nil)
        guard case .skipped(let error)? = try decoder.decodeLast(buffer: &buffer, seenEOF: true) else {
            Issue.record("the cut response was not reported")
            return
        }
        #expect(error.isMalformed && error.droppedBytes > 0)
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
    }

    @Test func deepNestingIsRefused() throws {
        let deep = "* 1 FETCH (BODYSTRUCTURE " + String(repeating: "(", count: 500) + String(repeating: ")", count: 500) + ")\r\n* 2 EXISTS\r\n"
        let frames = try decode(deep)
        #expect(frames.count == 2)
        #expect(frames.last == .response(.untagged(.exists(2))))
        if case .skipped(let error) = frames.first { #expect(error.description.contains("deeper")) } else { Issue.record("\(frames)") }
    }

    /// A multipart BODYSTRUCTURE with extension data, as Dovecot sends it for a message with an attachment.
    @Test func multipartBodyStructureWithAttachment() throws {
        let text = """
        * 5 FETCH (UID 5 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 120 4 NIL NIL NIL NIL)\
        ("application" "pdf" ("name" "offer.pdf") NIL NIL "base64" 20971520 NIL ("attachment" ("filename" "offer.pdf")) NIL NIL) \
        "mixed" ("boundary" "b1") NIL NIL NIL))\r\n
        """
        let structure = IMAPBodyStructure.multipart(parts: [
            .single(IMAPBodyPart(type: "text", subtype: "plain", parameters: ["charset": "utf-8"], encoding: "quoted-printable", size: 120, lines: 4)),
            .single(IMAPBodyPart(type: "application", subtype: "pdf", parameters: ["name": "offer.pdf"], encoding: "base64", size: 20_971_520, disposition: "attachment")),
        ], subtype: "mixed", parameters: ["boundary": "b1"])
        #expect(try response(text) == .untagged(.fetch(sequence: 5, [.uid(5), .bodyStructure(structure)])))
        #expect(structure.leaves.map(\.section) == ["1", "2"])
    }
}
