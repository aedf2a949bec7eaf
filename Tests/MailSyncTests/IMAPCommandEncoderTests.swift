@testable import MailSync
import NIOCore
import Testing

@Suite struct IMAPCommandEncoderTests {
    private func wire(_ command: IMAPCommand, tag: String = "A1", literalPlus: Bool = false) -> [String] {
        var encoder = IMAPCommandEncoder(literalPlus: literalPlus)
        return encoder.encode(command, tag: tag).map { part in
            switch part {
            case .bytes(let buffer): String(buffer: buffer)
            case .waitForContinuation: "<wait>"
            }
        }
    }

    @Test func commandsTheSyncEngineSends() {
        #expect(wire(.capability) == ["A1 CAPABILITY\r\n"])
        #expect(wire(.enable(["CONDSTORE", "QRESYNC"])) == ["A1 ENABLE CONDSTORE QRESYNC\r\n"])
        #expect(wire(.list(reference: "", pattern: "*", returnSpecialUse: true)) == ["A1 LIST \"\" * RETURN (SPECIAL-USE)\r\n"])
        #expect(wire(.select(mailbox: "[Gmail]/All Mail", readOnly: true, condstore: true)) == ["A1 EXAMINE \"[Gmail]/All Mail\" (CONDSTORE)\r\n"])
        #expect(wire(.select(mailbox: "INBOX", readOnly: false, condstore: false)) == ["A1 SELECT INBOX\r\n"])
        #expect(wire(.uidFetch(IMAPSequenceSet([1...100, 200...UInt32.max]), items: ["UID", "FLAGS", "BODY.PEEK[HEADER.FIELDS (FROM TO)]"], changedSince: 7))
                == ["A1 UID FETCH 1:100,200:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]) (CHANGEDSINCE 7)\r\n"])
        #expect(wire(.authenticate(mechanism: "XOAUTH2", initialResponse: "dXNlcj1h")) == ["A1 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n"])
        #expect(wire(.idle) == ["A1 IDLE\r\n"])
        #expect(wire(.done) == ["DONE\r\n"])
    }

    /// A password with a quote is quoted with escapes; one with 8-bit text or a newline goes as a literal, waiting
    /// for the server's `+` unless it has LITERAL+.
    @Test func stringsChooseAtomQuotedOrLiteral() {
        #expect(wire(.login(user: "alice", password: "pa ss\"w\\d")) == ["A1 LOGIN alice \"pa ss\\\"w\\\\d\"\r\n"])
        #expect(wire(.login(user: "alice", password: "пароль")) == ["A1 LOGIN alice {12}\r\n", "<wait>", "пароль\r\n"])
        #expect(wire(.login(user: "alice", password: "пароль"), literalPlus: true) == ["A1 LOGIN alice {12+}\r\nпароль\r\n"])
        #expect(wire(.login(user: "NIL", password: "")) == ["A1 LOGIN \"NIL\" \"\"\r\n"])
    }

    @Test func descriptionsHideSecrets() {
        #expect(IMAPCommand.login(user: "alice", password: "hunter2").description == "LOGIN alice <password>")
        #expect(!IMAPCommand.authenticate(mechanism: "XOAUTH2", initialResponse: "c2VjcmV0").description.contains("c2VjcmV0"))
        #expect(IMAPCommand.noop.description == "NOOP")
    }
}
