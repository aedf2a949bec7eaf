import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import MailSync
import MailTestSupport
import NIOSSL
import Testing

/// The outbox against a real aiosmtpd on loopback: each reply is sent once, a server that is down gets the reply
/// later, a refusal is final, and a send interrupted after the text went out is never repeated.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: SMTPTestServer.isInstalled, "python3-aiosmtpd is not installed"))
struct ReplyOutboxTests {
    static func outbox(_ team: ResponderTests.Team, port: Int, certificate: String) throws -> ReplyOutbox {
        ReplyOutbox(database: team.database, retry: .init(initial: 0.05, maximum: 0.2), send: { message, beforeText in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
            let configuration = SMTPClientConfiguration(host: "localhost", port: port, security: .startTLS,
                                                        credentials: .password(user: "alice@our-team.example", password: "smtp-pass"), tls: tls,
                                                        replyTimeout: .seconds(10))
            return try await SMTPTestServer.submit(message, configuration, beforeText: beforeText)
        })
    }

    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [ReplyOutbox.Event] = []
        func append(_ event: ReplyOutbox.Event) { lock.withLock { events.append(event) } }
        var all: [ReplyOutbox.Event] { lock.withLock { events } }
    }

    @Test("a queued Russian reply goes out once, with the loop-stopping and threading headers, and is captured on the thread's company")
    func sentOnceWithHeaders() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let team = try ResponderTests.Team()
        let inbound = team.message(id: "order.7@acme.example", subject: "Заказ на поставку оборудования для всего офиса в Москве")
        let outcome = try team.responder.handle(inbound)
        let outbox = try Self.outbox(team, port: server.port, certificate: server.certificatePath)
        #expect(await outbox.drain() == 1)
        #expect(await outbox.drain() == 0)

        let received = server.received()
        try #require(received.count == 1)
        #expect(received[0].envelope["to"] as? [String] == ["ivan@acme.example"])
        // RFC 3834 §3.3: the envelope sender of an automatic response is null, so its bounce cannot loop back
        // (aiosmtpd records the null reverse-path as "<>").
        #expect(received[0].envelope["from"] as? String == "<>")
        let text = [UInt8](received[0].data)
        let header = MessageHeader(text[...])
        #expect(header.text("From")?.contains("info@ours.example") == true)
        #expect(header.text("Auto-Submitted") == "auto-replied")
        #expect(header.text("X-Auto-Response-Suppress") == "All")
        #expect(header.messageIDs("In-Reply-To") == ["order.7@acme.example"])
        #expect(header.messageIDs("References") == ["order.7@acme.example"])
        #expect(header.text("Content-Language") == "ru")
        // The subject was long and Cyrillic: split into encoded words that decode back whole.
        #expect(header.text("Subject") == "Re: Заказ на поставку оборудования для всего офиса в Москве")
        let body = String(decoding: text, as: UTF8.self).components(separatedBy: "\r\n\r\n").dropFirst().joined()
        let decoded = String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        #expect(decoded.contains("Здравствуйте, Ivan!"))

        let mail = try #require(try team.database.outboundMail(outcome.outbound!.id))
        #expect(mail.state == .sent && mail.attempts == 1 && mail.serverReply?.hasPrefix("250") == true)
        let reply = try #require(try team.database.activity(sourceKey: "mail:" + SyncedMessage.normalizeMessageID(mail.messageId)))
        #expect(reply.companyId == team.acme && reply.direction == .outbound)
    }

    @Test("SMTP down: the reply waits with backoff; once the server is up it is sent exactly once")
    func downThenUp() async throws {
        let port = SMTPTestServer.freePort()
        let team = try ResponderTests.Team()
        team.startTicking()
        _ = try team.responder.handle(team.message())
        // The certificate of a server not yet started: a placeholder the first attempts never reach.
        let events = EventLog()
        let pending = FileManager.default.temporaryDirectory.appendingPathComponent("cert-\(UUID().uuidString).pem").path
        let certificate = CertificatePath(pending)
        let outbox = ReplyOutbox(database: team.database, retry: .init(initial: 0.05, maximum: 0.2), send: { message, beforeText in
            var tls = TLSConfiguration.makeClientConfiguration()
            if let path = certificate.value, FileManager.default.fileExists(atPath: path) {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            }
            let configuration = SMTPClientConfiguration(host: "localhost", port: port, security: .startTLS,
                                                        credentials: .password(user: "alice@our-team.example", password: "smtp-pass"), tls: tls,
                                                        replyTimeout: .seconds(10))
            return try await SMTPTestServer.submit(message, configuration, beforeText: beforeText)
        }, report: { events.append($0) })
        let runner = Task { await outbox.run(clock: ContinuousClock(), idle: .milliseconds(100)) }
        defer { runner.cancel() }
        // Two failed attempts at least, and the reply back in the queue between attempts (waited for, not slept for: a
        // busy machine may take longer than the backoff, and a read during an attempt finds the reply `sending`).
        var queued = try #require(try team.database.outboundMail(limit: 1).first)
        let retried = Date().addingTimeInterval(10)
        while queued.attempts < 2 || queued.state != .queued, Date() < retried {
            try await Task.sleep(for: .milliseconds(50))
            queued = try #require(try team.database.outboundMail(limit: 1).first)
        }
        #expect(queued.state == .queued && queued.attempts >= 2 && queued.lastError != nil, "\(queued.state) \(queued.attempts) \(queued.lastError ?? "-")")

        let server = try SMTPTestServer(port: port)
        defer { server.stop() }
        certificate.value = server.certificatePath
        let deadline = Date().addingTimeInterval(10)
        while server.received().isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.received().count == 1)
        #expect(try team.database.outboundMail(limit: 1).first?.state == .sent)
    }

    @Test("a permanent refusal (550) is not retried; a send interrupted before the text is retried, one interrupted after it is never repeated")
    func refusalsAndInterruptions() async throws {
        let server = try SMTPTestServer(failRecipient: "refused@acme.example")
        defer { server.stop() }
        let team = try ResponderTests.Team()
        let refused = try team.responder.handle(team.message(from: "refused@acme.example")).outbound!
        let outbox = try Self.outbox(team, port: server.port, certificate: server.certificatePath)
        await outbox.drain()
        #expect(try team.database.outboundMail(refused.id)?.state == .failed)
        #expect(await outbox.drain() == 0)

        // A previous run died: one reply while connecting, one after handing its text to the server.
        let early = try team.responder.handle(team.message(from: "early@newco.example")).outbound!
        let late = try team.responder.handle(team.message(from: "late@newco.example")).outbound!
        #expect(try team.database.beginSending(early.id) && team.database.beginSending(late.id))
        try team.database.markDelivering(late.id)
        let recovered = try team.database.recoverInterruptedSends()
        #expect(recovered.requeued == 1 && recovered.uncertain == 1)
        await outbox.drain()
        #expect(try team.database.outboundMail(early.id)?.state == .sent)
        #expect(try team.database.outboundMail(late.id)?.state == .uncertain)
        #expect(server.received().map { $0.envelope["to"] as? [String] ?? [] } == [["early@newco.example"]])
    }

    @Test("a reply to an address SMTP cannot carry is refused for good, and the connection is closed cleanly (it once crashed the daemon)")
    func unsendableAddress() async throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let team = try ResponderTests.Team()
        let hostile = try team.responder.handle(team.message(from: "ivan>x@acme.example")).outbound!
        let outbox = try Self.outbox(team, port: server.port, certificate: server.certificatePath)
        await outbox.drain()
        let mail = try #require(try team.database.outboundMail(hostile.id))
        #expect(mail.state == .failed && mail.lastError?.contains("501") == true)
        #expect(server.received().isEmpty)
    }

    final class CertificatePath: @unchecked Sendable {
        private let lock = NSLock()
        private var path: String?
        init(_ path: String?) { self.path = path }
        var value: String? {
            get { lock.withLock { path } }
            set { lock.withLock { path = newValue } }
        }
    }
}
