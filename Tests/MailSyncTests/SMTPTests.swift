import Foundation
@testable import MailSync
import MailTestSupport
import NIOCore
import NIOTestUtils
import Testing

@Suite struct SMTPReplyDecoderTests {
    @Test func multiLineRepliesAtEverySplit() throws {
        let wire = "220 mx.example ESMTP ready\r\n250-mx.example greets you\r\n250-PIPELINING\r\n250-AUTH PLAIN XOAUTH2\r\n250 STARTTLS\r\n354 go ahead\r\n"
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: [(wire, [
            .reply(SMTPReply(code: 220, lines: ["mx.example ESMTP ready"])),
            .reply(SMTPReply(code: 250, lines: ["mx.example greets you", "PIPELINING", "AUTH PLAIN XOAUTH2", "STARTTLS"])),
            .reply(SMTPReply(code: 354, lines: ["go ahead"])),
        ])], decoderFactory: { SMTPReplyDecoder() })
    }

    @Test func dataIsCRLFAndDotStuffedWhateverTheLineEndings() {
        let message = OutgoingMessage(from: "a@x.example", recipients: ["b@y.example"], data: Array("A\n.b\r\nc\rd\r\r..e".utf8))
        #expect(String(buffer: message.wireData) == "A\r\n..b\r\nc\r\nd\r\n\r\n...e\r\n.\r\n")
        #expect(String(buffer: OutgoingMessage(from: "a@x", recipients: ["b@y"], data: Array("x\r\n".utf8)).wireData) == "x\r\n.\r\n")
    }

    @Test func brokenRepliesAreReportedNotTrusted() throws {
        var decoder = SMTPReplyDecoder(maxLineBytes: 64)
        for bad in ["hello\r\n", "250-a\r\n251 b\r\n", "600 nope\r\n", "25 short\r\n", String(repeating: "x", count: 100)] {
            var buffer = ByteBuffer(string: bad)
            var frames: [SMTPFrame] = []
            while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
            #expect(frames.contains { if case .malformed = $0 { true } else { false } }, "\(bad.prefix(20))")
        }
    }
}

/// The submission client against a real aiosmtpd on loopback.
@Suite(.serialized, .enabled(if: SMTPTestServer.isInstalled, "needs python3-aiosmtpd"), .timeLimit(.minutes(2)))
struct SMTPSubmissionTests {
    static let message = OutgoingMessage(
        from: "alice@our-team.example", recipients: ["anna@acme.de", "boss@acme.de"],
        data: Array("From: Alice <alice@our-team.example>\nTo: anna@acme.de\nSubject: =?UTF-8?B?w5xiZXJzaWNodA==?=\nAuto-Submitted: auto-replied\n\nHello\n.leading dot\n..two\nend".utf8))

    @Test("STARTTLS and AUTH PLAIN: the message arrives once, dot-stuffing undone by the server, line endings CRLF")
    func startTLSPlain() async throws {
        let server = try SMTPTestServer(tls: "starttls")
        defer { server.stop() }
        let reply = try await server.send(Self.message, try server.configuration(
            security: .startTLS, credentials: .password(user: "alice@our-team.example", password: "smtp-pass")))
        #expect(reply.code == 250)
        let received = server.received()
        #expect(received.count == 1)
        #expect(received.first?.envelope["to"] as? [String] == ["anna@acme.de", "boss@acme.de"])
        #expect(received.first?.envelope["login"] as? String == "alice@our-team.example")
        let text = String(decoding: received.first?.data ?? Data(), as: UTF8.self)
        #expect(text.contains("\r\n.leading dot\r\n..two\r\nend"), "\(text)")
    }

    @Test("implicit TLS with XOAUTH2; a refused token and a refused recipient are permanent failures, not retries")
    func implicitTLSOAuth() async throws {
        let server = try SMTPTestServer(tls: "implicit", failRecipient: "ghost@acme.de")
        defer { server.stop() }
        let good = try server.configuration(security: .implicitTLS, credentials: .oauth2(user: "alice@our-team.example", token: { "smtp-token" }))
        #expect(try await server.send(Self.message, good).code == 250)

        let badToken = try server.configuration(security: .implicitTLS, credentials: .oauth2(user: "alice@our-team.example", token: { "expired" }))
        await #expect { try await server.send(Self.message, badToken) } throws: { error in
            guard let error = error as? SMTPError else { return false }
            return error.isAuthenticationFailure && !error.description.contains("expired")
        }
        var ghost = Self.message
        ghost.recipients = ["ghost@acme.de"]
        await #expect { try await server.send(ghost, good) } throws: { error in
            (error as? SMTPError)?.isPermanent == true && (error as? SMTPError)?.stage == "RCPT"
        }
        #expect(server.received().count == 1)
    }

    @Test("a server without STARTTLS is refused before any credential is sent")
    func noTLSNoLogin() async throws {
        let server = try SMTPTestServer(tls: "none")
        defer { server.stop() }
        await #expect { try await server.send(Self.message, try server.configuration(
            security: .startTLS, credentials: .password(user: "alice@our-team.example", password: "smtp-pass"))) } throws: { error in
            (error as? SMTPError)?.stage == "STARTTLS"
        }
        #expect(server.received().isEmpty)
    }
}
