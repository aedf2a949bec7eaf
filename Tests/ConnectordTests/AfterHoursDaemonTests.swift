import AfterHours
import AMITestSupport
import AsteriskAMI
import AsyncHTTPClient
import Foundation
import GRDB
import MailSync
import MailTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The after-hours responder through the running daemon: signed requests in, replies out through a real aiosmtpd.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: SMTPTestServer.isInstalled, "python3-aiosmtpd is not installed"))
struct AfterHoursDaemonTests {
    static let secret = "hook-secret-5f1c0e9a7b"
    static let signer = WebhookSignature(secret: secret)

    struct Team {
        let connectord: ConnectordProcess
        let token: String

        init() throws {
            connectord = try ConnectordProcess()
            let c = connectord
            try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@ours.example", "--role", "admin")
            try c.ok("users", "add", "--as", "1", "--name", "Alice Agent", "--email", "alice@ours.example", "--role", "agent", "--extension", "201")
            token = try c.ok("users", "token-create", "alice@ours.example", "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
            try c.ok("leads", "add", "--as", "1", "--name", "Acme GmbH", "--domain", "acme.example")
            try c.ok("contacts", "add", "--as", "1", "--company", "1", "--first-name", "Ivan", "--last-name", "Petrov", "--language", "ru",
                     "--email", "ivan@acme.example", "--phone", "+49 30 5550101")
            try c.ok("templates", "add", "--as", "1", "--name", "after-hours", "--language", "en", "--subject", "Re: {{message.subject}}",
                     "--body", "Dear {{contact.first_name}}, we are closed and will answer tomorrow.")
            try c.ok("templates", "add", "--as", "1", "--name", "after-hours", "--language", "ru", "--subject", "Re: {{message.subject}}",
                     "--body", "Здравствуйте, {{contact.first_name}}! Мы ответим завтра.")
        }

        func environment(smtpPort: Int, certificate: String, maxBodyKB: Int = 64) -> [String: String] {
            [
                "CONNECTORD_CRM_OWN_DOMAINS": "ours.example",
                "CONNECTORD_AFTER_HOURS_WEBHOOK_SECRET": "env:HOOK_SECRET",
                "HOOK_SECRET": AfterHoursDaemonTests.secret,
                "CONNECTORD_AFTER_HOURS_FROM": "info@ours.example",
                "CONNECTORD_AFTER_HOURS_TIME_ZONE": "Europe/Berlin",
                "CONNECTORD_AFTER_HOURS_HOLIDAYS": "2026-12-25",
                "CONNECTORD_AFTER_HOURS_ON_CALL": "alice@ours.example",
                "CONNECTORD_AFTER_HOURS_ON_CALL_SINCE": "2026-11-02",
                "CONNECTORD_AFTER_HOURS_RETRY_SECONDS": "1",
                "CONNECTORD_AFTER_HOURS_RETRY_MAX_SECONDS": "2",
                "CONNECTORD_AFTER_HOURS_MAX_BODY_KB": "\(maxBodyKB)",
                "CONNECTORD_SMTP_HOST": "localhost",
                "CONNECTORD_SMTP_PORT": "\(smtpPort)",
                "CONNECTORD_SMTP_SECURITY": "starttls",
                "CONNECTORD_SMTP_USERNAME": "alice@our-team.example",
                "CONNECTORD_SMTP_SECRET": "env:SMTP_PASSWORD",
                "SMTP_PASSWORD": "smtp-pass",
                "CONNECTORD_SMTP_CA_FILE": certificate,
            ]
        }

        func store() throws -> DatabaseQueue {
            var configuration = Configuration()
            configuration.readonly = true
            return try DatabaseQueue(path: connectord.environment["CONNECTORD_STORE_PATH"]!, configuration: configuration)
        }
    }

    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    /// Posts `body` to the webhook, signed now unless told otherwise.
    static func post(_ daemon: RunningDaemon, _ body: [UInt8], contentType: String? = "application/json", sign: Bool = true,
                     timestamp: Int64 = Int64(Date().timeIntervalSince1970), signature: String? = nil, extraHeaders: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(daemon.port)/hooks/inbound")
        request.method = .POST
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if sign {
            request.headers.add(name: WebhookSignature.timestampHeader, value: "\(timestamp)")
            request.headers.add(name: WebhookSignature.signatureHeader, value: signature ?? signer.sign(body: body, timestamp: timestamp))
        }
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    /// The part of a daemon's log that explains a crash (the backtrace's head), or its end.
    static func crash(in log: String) -> String {
        for marker in ["Fatal error", "💣", "Crash", "fatal"] {
            if let range = log.range(of: marker) { return String(log[range.lowerBound...].prefix(2500)) }
        }
        return String(log.suffix(2500))
    }

    static func json(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    static func message(from: String, id: String, date: String, subject: String = "Offer", text: String = "Hello",
                        headers: [String: String] = [:]) throws -> [UInt8] {
        try json(["from": from, "to": "info@ours.example", "subject": subject, "messageId": "<\(id)>", "date": date, "text": text, "headers": headers])
    }

    static func wait(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    @Test("replies in the contact's language, once per message, never to robots; DST, holidays and business hours decided at the message's time; both messages captured; urgent mail noted for the on-call agent")
    func answersOnceAndCorrectly() async throws {
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        let team = try Team()
        let daemon = try RunningDaemon(team.connectord, environment: team.environment(smtpPort: smtp.port, certificate: smtp.certificatePath))
        defer { _ = daemon.stop() }

        // Tuesday 21:00 in Berlin: closed.
        let night = try Self.message(from: "Ivan Petrov <ivan@acme.example>", id: "night.1@acme.example", date: "2026-11-24T20:00:00Z", subject: "Заказ")
        let first = try await Self.post(daemon, night)
        #expect(first.status == 202, "\(first.body)")
        #expect(first.json["decision"] as? String == "replied")
        #expect((first.json["reply"] as? [String: Any])?["language"] as? String == "ru")
        // The provider retries the same delivery (a new timestamp, so a new signature): answered once.
        let retry = try await Self.post(daemon, night)
        #expect(retry.status == 200 && retry.json["replayed"] as? Bool == true, "\(retry.body)")

        var expectedRecipients = ["ivan@acme.example"]
        // DST: Monday 2026-10-26, winter time since Sunday: 07:30 UTC is 08:30 in Berlin (closed), 08:30 UTC is 09:30 (open).
        #expect(try await Self.post(daemon, try Self.message(from: "a@dst.example", id: "dst.1@dst.example", date: "2026-10-26T07:30:00Z")).json["decision"] as? String == "replied")
        expectedRecipients.append("a@dst.example")
        #expect(try await Self.post(daemon, try Self.message(from: "b@dst.example", id: "dst.2@dst.example", date: "2026-10-26T08:30:00Z")).json["decision"] as? String == "business-hours")
        // Christmas is a Friday and a configured holiday.
        #expect(try await Self.post(daemon, try Self.message(from: "c@holiday.example", id: "xmas@holiday.example", date: "2026-12-25T10:00:00+01:00")).json["decision"] as? String == "replied")
        expectedRecipients.append("c@holiday.example")
        // Every suppression rule, through the endpoint.
        let robots: [(String, [String: String], String)] = [
            ("MAILER-DAEMON@acme.example", [:], "system sender"),
            ("no-reply@acme.example", [:], "system sender"),
            ("d@acme.example", ["Return-Path": "<>"], "null sender"),
            ("e@acme.example", ["Auto-Submitted": "auto-replied"], "auto-submitted"),
            ("f@acme.example", ["Precedence": "list"], "bulk precedence"),
            ("g@acme.example", ["List-Unsubscribe": "<mailto:leave@acme.example>"], "mailing list"),
            ("h@acme.example", ["X-Auto-Response-Suppress": "All"], "auto-response suppressed"),
            ("info@ours.example", [:], "our own address"),
        ]
        for (index, robot) in robots.enumerated() {
            var body = try JSONSerialization.jsonObject(with: Data(try Self.message(from: robot.0, id: "robot.\(index)@x.example", date: "2026-11-24T21:00:00Z",
                                                                                   headers: robot.1))) as! [String: Any]
            if let returnPath = robot.1["Return-Path"] { body["returnPath"] = returnPath }
            let reply = try await Self.post(daemon, try Self.json(body))
            #expect(reply.status == 200 && reply.json["decision"] as? String == "refused" && reply.json["reason"] as? String == robot.2, "\(robot.0): \(reply.body)")
        }
        // A raw RFC 5322 message, with an encoded subject.
        let raw = "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@newco.example>\r\nTo: info@ours.example\r\nSubject: =?UTF-8?Q?Anfrage_f=C3=BCr_Angebot?=\r\n"
            + "Message-ID: <raw.1@newco.example>\r\nDate: Sat, 28 Nov 2026 11:00:00 +0100\r\n\r\nGuten Tag\r\n"
        let rawReply = try await Self.post(daemon, Array(raw.utf8), contentType: "message/rfc822")
        #expect(rawReply.status == 202 && rawReply.json["decision"] as? String == "replied", "\(rawReply.body)")
        expectedRecipients.append("juergen@newco.example")
        // Ivan writes again at night, urgently: no second reply within 7 days, but Alice (on call) gets a note.
        let urgent = try await Self.post(daemon, try Self.message(from: "ivan@acme.example", id: "night.2@acme.example", date: "2026-11-24T22:00:00Z",
                                                                  subject: "Сервер не работает", text: "Срочно перезвоните!"))
        #expect(urgent.json["decision"] as? String == "limited" && (urgent.json["urgent"] as? String)?.contains("срочно") == true, "\(urgent.body)")

        #expect(try await Self.wait(15) { smtp.received().count >= expectedRecipients.count }, "\(daemon.log)")
        try await Task.sleep(for: .milliseconds(700))
        let received = smtp.received()
        #expect(received.map { ($0.envelope["to"] as? [String])?.first ?? "" }.sorted() == expectedRecipients.sorted())
        let toIvan = try #require(received.first { ($0.envelope["to"] as? [String]) == ["ivan@acme.example"] })
        let header = MessageHeader([UInt8](toIvan.data)[...])
        #expect(header.text("Auto-Submitted") == "auto-replied" && header.messageIDs("In-Reply-To") == ["night.1@acme.example"])
        #expect(header.messageIDs("References") == ["night.1@acme.example"] && header.text("Subject") == "Re: Заказ" && header.text("Content-Language") == "ru")
        let toJuergen = try #require(received.first { ($0.envelope["to"] as? [String]) == ["juergen@newco.example"] })
        #expect(MessageHeader([UInt8](toJuergen.data)[...]).text("Content-Language") == "en")

        // Both messages of Ivan's thread are on Acme; the note reached Alice.
        let activities = try await team.store().read { db in
            try Row.fetchAll(db, sql: "SELECT sourceKey, companyId, direction FROM activity WHERE sourceKey LIKE 'mail:%' ORDER BY id").map {
                (key: $0["sourceKey"] as String, company: $0["companyId"] as Int64?, direction: $0["direction"] as String)
            }
        }
        #expect(activities.contains { $0.key == "mail:night.1@acme.example" && $0.company == 1 && $0.direction == "inbound" })
        #expect(activities.filter { $0.company == 1 && $0.direction == "outbound" }.count == 1)
        #expect(activities.filter { $0.key == "mail:night.1@acme.example" }.count == 1)
        let notes = try team.connectord.ok("notes", "list", "--as", "alice@ours.example")
        #expect(notes.contains("Сервер не работает") && notes.contains("connectord"), "\(notes)")

        let status = try team.connectord.run(["status", "--daemon", "http://127.0.0.1:\(daemon.port)", "--token", team.token])
        #expect(status.stdout.contains("after-hours") && status.stdout.contains("sent 4"), "\(status.stdout)\(status.stderr)")
        #expect(!daemon.log.contains(Self.secret) && !daemon.log.contains("smtp-pass"))
    }

    @Test("bad requests get a precise 4xx and change nothing; random bodies and headers never get a 5xx or a hang")
    func rejectsPreciselyAndNeverCrashes() async throws {
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        let team = try Team()
        let daemon = try RunningDaemon(team.connectord, environment: team.environment(smtpPort: smtp.port, certificate: smtp.certificatePath, maxBodyKB: 4))
        defer { _ = daemon.stop() }
        let body = try Self.message(from: "ivan@acme.example", id: "x.1@acme.example", date: "2026-11-24T20:00:00Z")
        let now = Int64(Date().timeIntervalSince1970)

        let unsigned = try await Self.post(daemon, body, sign: false)
        #expect(unsigned.status == 401 && (unsigned.json["error"] as? String)?.contains("X-Connectord-Timestamp") == true)
        let forged = try await Self.post(daemon, body, signature: "sha256=" + String(repeating: "ab", count: 32))
        #expect(forged.status == 401 && forged.json["error"] as? String == WebhookSignature.Failure.mismatch.rawValue)
        let stale = try await Self.post(daemon, body, timestamp: now - 301)
        #expect(stale.status == 401 && stale.json["error"] as? String == WebhookSignature.Failure.stale.rawValue)
        let tampered = try await Self.post(daemon, body, signature: Self.signer.sign(body: body + [32], timestamp: now), extraHeaders: [])
        #expect(tampered.status == 401)
        let large = try await Self.post(daemon, Array(repeating: UInt8(ascii: "a"), count: 5000))
        #expect(large.status == 413, "\(large.body)")
        let plain = try await Self.post(daemon, body, contentType: "text/plain")
        #expect(plain.status == 415 && (plain.json["error"] as? String)?.contains("text/plain") == true)
        let broken = try await Self.post(daemon, Array("{\"from\": ".utf8))
        #expect(broken.status == 422 && broken.json["error"] as? String == "the body is not JSON: the JSON ends where a value should be at byte 9")
        let nobody = try await Self.post(daemon, try Self.json(["to": "info@ours.example"]))
        #expect(nobody.status == 422 && broken.body != nobody.body)
        let headerless = try await Self.post(daemon, Array("no header here".utf8), contentType: "message/rfc822")
        #expect(headerless.status == 422)
        // Nesting, read on the server's own threads: as deep as allowed is read (and is no object), deeper is refused
        // where it goes too deep.
        let deepest = try await Self.post(daemon, Array((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8))
        #expect(deepest.status == 422 && deepest.json["error"] as? String == "the body is not a JSON object")
        let tooDeep = try await Self.post(daemon, Array(String(repeating: "[", count: 600).utf8))
        #expect(tooDeep.status == 422 && tooDeep.json["error"] as? String == "the body is not JSON: nested deeper than 512 levels at byte 512")

        // Property: whatever arrives, the answer is a 2xx or a 4xx, promptly.
        var generator = SystemRandomNumberGenerator()
        let pieces = ["{", "}", "\"from\":", "\"a@b.example\"", "[", "]", ",", ":", "From: ", "\r\n", "\u{0}", "=?UTF-8?B?", "?=", "ä", "😀",
                      "\"headers\":", "\"date\":", "\"2026-13-45\"", "null", "1e999", "Subject: ", "<", ">", "@", "\\u0000", "\"to\":"]
        let types = ["application/json", "message/rfc822", "application/json; charset=utf-8", "text/html", "", "message/RFC822"]
        let rounds = Int(ProcessInfo.processInfo.environment["WEBHOOK_PROPERTY_ROUNDS"] ?? "") ?? 300
        for round in 0..<rounds {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                if Bool.random(using: &generator) {
                    bytes += Array(pieces.randomElement(using: &generator)!.utf8)
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &generator))
                }
            }
            let type = types.randomElement(using: &generator)!
            let reply: Reply
            do {
                reply = try await Self.post(daemon, bytes, contentType: type.isEmpty ? nil : type, sign: round % 5 != 0,
                                            timestamp: round % 7 == 0 ? now - 1000 : Int64(Date().timeIntervalSince1970))
            } catch {
                Issue.record("round \(round): \(error); type '\(type)', body \(bytes); daemon running: \(daemon.process.isRunning); log: \(Self.crash(in: daemon.log))")
                return
            }
            #expect((200..<500).contains(reply.status), "round \(round): \(reply.status) \(reply.body)")
        }
        var health = HTTPClientRequest(url: "http://127.0.0.1:\(daemon.port)/healthz")
        health.method = .GET
        #expect(try await HTTPClient.shared.execute(health, timeout: .seconds(5)).status.code == 200)
        #expect(!daemon.log.contains(Self.secret))
    }

    @Test("an urgent message at night rings the on-call agent's phone through click-to-dial and connects the customer")
    func urgentCallsTheOnCallAgent() async throws {
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        let pbx = try await FakeAMIServer.start(script: [], options: FakeAMIServer.Options())
        defer { Task { await pbx.stop() } }
        let team = try Team()
        var environment = team.environment(smtpPort: smtp.port, certificate: smtp.certificatePath)
        environment.merge([
            "CONNECTORD_AMI_HOST": "127.0.0.1", "CONNECTORD_AMI_PORT": "\(pbx.port)", "CONNECTORD_AMI_USERNAME": "connectord",
            "CONNECTORD_AMI_SECRET": "env:AMI_SECRET", "AMI_SECRET": FakeAMIServer.Options().secret,
        ]) { $1 }
        let daemon = try RunningDaemon(team.connectord, environment: environment)
        defer { _ = daemon.stop() }
        #expect(try await Self.wait(10) { pbx.logins == 1 }, "\(daemon.log)")

        // Not urgent: nobody is called.
        _ = try await Self.post(daemon, try Self.message(from: "someone@newco.example", id: "calm.1@newco.example", date: "2026-11-24T21:00:00Z"))
        let urgent = try await Self.post(daemon, try Self.message(from: "ivan@acme.example", id: "fire.1@acme.example", date: "2026-11-24T21:05:00Z",
                                                                  subject: "Server down", text: "This is an emergency."))
        #expect(urgent.status == 202 && (urgent.json["urgent"] as? String) == "keyword 'emergency'", "\(urgent.body)")
        #expect(try await Self.wait(10) { pbx.actionsReceived.contains { $0["Action"] == "Originate" } }, "\(daemon.log)")
        let originates = pbx.actionsReceived.filter { $0["Action"] == "Originate" }
        #expect(originates.count == 1)
        #expect(originates.first?["Channel"] == "PJSIP/201" && originates.first?["Exten"] == "+49305550101")
        // The provider retries the urgent message: nobody is called twice.
        #expect(try await Self.post(daemon, try Self.message(from: "ivan@acme.example", id: "fire.1@acme.example", date: "2026-11-24T21:05:00Z",
                                                             subject: "Server down", text: "This is an emergency.")).json["replayed"] as? Bool == true)
        try await Task.sleep(for: .milliseconds(500))
        #expect(pbx.actionsReceived.filter { $0["Action"] == "Originate" }.count == 1)
    }

    @Test("the mailbox switch: new mail the IMAP sync sees after hours is answered once, across a restart; the backfill is never answered")
    func mailboxSwitch() async throws {
        try #require(DovecotServer.isInstalled, "dovecot-imapd is not installed (scripts/test installs it)")
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        let agent = "alice@ours.example"
        let dovecot = try DovecotServer.start(users: [agent])
        defer { dovecot.stop() }
        // A customer message from last week: captured by the backfill, never answered. (One from the last hour would be:
        // it arrived after hours and nobody answered it yet.)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        try dovecot.deliver(agent, raw: "From: Ivan Petrov <ivan@acme.example>\r\nTo: \(agent)\r\nSubject: Old question\r\n"
                            + "Date: \(formatter.string(from: Date().addingTimeInterval(-7 * 86_400)))\r\nMessage-ID: <old.1@acme.example>\r\n\r\nHallo\r\n")
        let team = try Team()
        var environment = team.environment(smtpPort: smtp.port, certificate: smtp.certificatePath)
        environment.merge([
            "CONNECTORD_AFTER_HOURS_WEBHOOK_SECRET": "", "CONNECTORD_AFTER_HOURS_MAILBOXES": "on",
            // Closed all the time but for one minute a week: whenever this runs, new mail arrives after hours.
            "CONNECTORD_AFTER_HOURS_SCHEDULE": "sun 00:00-00:01",
            "CONNECTORD_MAIL_HOST": "localhost", "CONNECTORD_MAIL_PORT": "\(dovecot.imapsPort)", "CONNECTORD_MAIL_SECURITY": "tls",
            "CONNECTORD_MAIL_CA_FILE": dovecot.certificatePath, "CONNECTORD_MAIL_ACCOUNTS": "\(agent)=env:ALICE_IMAP", "ALICE_IMAP": "pass-\(agent)",
        ]) { $1 }
        var daemon = try RunningDaemon(team.connectord, environment: environment)
        let emails = { try team.store().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM activity WHERE kind = 'email'") ?? 0 } }
        let expectedOld = 1
        #expect(try await Self.wait(20) { try emails() == expectedOld }, "\(daemon.log)")

        let date = formatter.string(from: Date())
        try dovecot.deliver(agent, raw: "From: Ivan Petrov <ivan@acme.example>\r\nTo: \(agent)\r\nSubject: Frage\r\nDate: \(date)\r\n"
                            + "Message-ID: <imap.1@acme.example>\r\n\r\nGuten Abend\r\n")
        #expect(try await Self.wait(15) { smtp.received().count == 1 }, "\(daemon.log)")
        let reply = try #require(smtp.received().first)
        #expect(reply.envelope["to"] as? [String] == ["ivan@acme.example"])
        #expect(MessageHeader([UInt8](reply.data)[...]).messageIDs("In-Reply-To") == ["imap.1@acme.example"])
        // Captured once, by the mail sync, on Acme.
        let company = try await team.store().read { db in try Int64.fetchOne(db, sql: "SELECT companyId FROM activity WHERE sourceKey = 'mail:imap.1@acme.example'") }
        #expect(company == 1)

        // A restart syncs nothing new and answers nothing again.
        #expect(daemon.stop() == 0)
        daemon = try RunningDaemon(team.connectord, environment: environment)
        defer { _ = daemon.stop() }
        try await Task.sleep(for: .seconds(3))
        #expect(smtp.received().count == 1)
        #expect(try emails() == expectedOld + 1 + 1) // the old message, Ivan's, and the reply
    }

    @Test("SMTP down: the reply is queued, survives the daemon being killed, and is sent exactly once when the server is back")
    func queuedAcrossDownAndRestart() async throws {
        let port = SMTPTestServer.freePort()
        let team = try Team()
        // The certificate the daemon will trust is the server's, known once it runs: none at first.
        var environment = team.environment(smtpPort: port, certificate: "")
        let daemon = try RunningDaemon(team.connectord, environment: environment)
        let body = try Self.message(from: "ivan@acme.example", id: "down.1@acme.example", date: "2026-11-24T20:00:00Z")
        #expect(try await Self.post(daemon, body).status == 202)
        let attempts = { try team.store().read { db in try Int.fetchOne(db, sql: "SELECT attempts FROM outboundMail") ?? 0 } }
        #expect(try await Self.wait(10) { try attempts() >= 2 }, "\(daemon.log)")
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()

        let smtp = try SMTPTestServer(port: port)
        defer { smtp.stop() }
        environment["CONNECTORD_SMTP_CA_FILE"] = smtp.certificatePath
        let restarted = try RunningDaemon(team.connectord, environment: environment)
        defer { _ = restarted.stop() }
        #expect(try await Self.wait(15) { smtp.received().count == 1 }, "\(restarted.log)")
        // The replay after the restart is remembered too.
        #expect(try await Self.post(restarted, body).json["replayed"] as? Bool == true)
        try await Task.sleep(for: .seconds(2.5))
        #expect(smtp.received().count == 1)
        let state = try await team.store().read { db in try String.fetchOne(db, sql: "SELECT state FROM outboundMail") }
        #expect(state == "sent")
    }
}
