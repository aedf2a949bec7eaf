import Foundation
import GoogleTestSupport
import GRDB
import MailSync
import MailTestSupport
import Testing

/// Mail capture through the running daemon against a real Dovecot over TLS: what lands in the store is checked
/// against what the generator wrote.
@Suite(.serialized, .enabled(if: DovecotServer.isInstalled, "needs dovecot-imapd"), .timeLimit(.minutes(5)))
struct MailCaptureTests {
    static let alice = "alice@our-team.example"
    static let bob = "bob@our-team.example"

    struct Team {
        let connectord: ConnectordProcess
        let server: DovecotServer
        let token: String

        init() throws {
            server = try DovecotServer.start(users: [MailCaptureTests.alice, MailCaptureTests.bob])
            connectord = try ConnectordProcess()
            let c = connectord
            try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@our-team.example", "--role", "admin")
            try c.ok("users", "add", "--as", "1", "--name", "Alice Sales", "--email", MailCaptureTests.alice, "--role", "agent")
            try c.ok("users", "add", "--as", "1", "--name", "Bob Sales", "--email", MailCaptureTests.bob, "--role", "agent")
            token = try c.ok("users", "token-create", MailCaptureTests.alice, "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// `connectord status` against the running daemon, as a user types it.
        func status(_ daemon: RunningDaemon) throws -> String {
            let result = try connectord.run(["status", "--daemon", "http://127.0.0.1:\(daemon.port)", "--token", token])
            return result.stdout + result.stderr
        }

        func environment(batchSize: Int = 200, blockedDomains: String = "") -> [String: String] {
            [
                "CONNECTORD_MAIL_HOST": "localhost",
                "CONNECTORD_MAIL_PORT": "\(server.imapsPort)",
                "CONNECTORD_MAIL_SECURITY": "tls",
                "CONNECTORD_MAIL_CA_FILE": server.certificatePath,
                "CONNECTORD_MAIL_ACCOUNTS": "\(MailCaptureTests.alice)=env:ALICE_IMAP,\(MailCaptureTests.bob)=env:BOB_IMAP",
                "CONNECTORD_MAIL_BATCH_SIZE": "\(batchSize)",
                "CONNECTORD_CRM_OWN_DOMAINS": "our-team.example",
                "CONNECTORD_CRM_BLOCKED_DOMAINS": blockedDomains,
                "ALICE_IMAP": "pass-\(MailCaptureTests.alice)",
                "BOB_IMAP": "pass-\(MailCaptureTests.bob)",
            ]
        }

        func store() throws -> DatabaseQueue {
            var configuration = Configuration()
            configuration.readonly = true
            return try DatabaseQueue(path: connectord.environment["CONNECTORD_STORE_PATH"]!, configuration: configuration)
        }

        func emailCount() throws -> Int {
            try store().read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity WHERE kind = 'email'") ?? 0 }
        }

        /// Waits until `condition` holds (polling the store), at most `seconds`.
        func wait(_ seconds: Double, _ condition: () throws -> Bool) throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? condition()) == true { return true }
                usleep(50_000)
            }
            return try condition()
        }
    }

    /// Messages a user expects captured: everything but newsletters and blocklisted senders.
    static func expected(_ manifest: [MailboxManifest.Entry], blocked: String? = nil) -> [MailboxManifest.Entry] {
        manifest.filter { !$0.bulk && (blocked == nil || !$0.from.hasSuffix("@" + blocked!)) }
    }

    @Test("initial sync, sent and received, matched to the firm; bulk and blocklisted mail left out; one message in two mailboxes is one activity for both agents; status per mailbox")
    func initialSync() throws {
        let team = try Team()
        defer { team.server.stop() }
        let manifest = try team.server.generate(Self.alice, count: 600)
        // A firm the CRM knows, by its domain: its mail must land on it.
        let firmDomain = try #require(manifest.first { !$0.sent && !$0.bulk && !$0.from.hasSuffix("our-team.example") }?.from.split(separator: "@").last)
        let firm = try PBXCaptureTests.Office.id(team.connectord.ok("leads", "add", "--as", "1", "--name", "Firm", "--domain", String(firmDomain), "--json"))
        // A domain nobody wants captured.
        let blocked = try #require(manifest.last { !$0.sent && !$0.bulk && !$0.from.hasSuffix(String(firmDomain)) }?.from.split(separator: "@").last)
        // Bob was copied on ten of Alice's messages: the same files in his mailbox.
        let shared = try FileManager.default.contentsOfDirectory(atPath: team.server.maildir(Self.alice) + "/cur").sorted().prefix(10)
        for name in shared {
            try FileManager.default.copyItem(atPath: team.server.maildir(Self.alice) + "/cur/" + name, toPath: team.server.maildir(Self.bob) + "/cur/" + name)
        }
        try DovecotServer.run("/bin/chown", ["-R", team.server.mailOwner, team.server.maildir(Self.bob)])

        let daemon = try RunningDaemon(team.connectord, environment: team.environment(blockedDomains: String(blocked)))
        let wanted = Self.expected(manifest, blocked: String(blocked))
        let done = try team.wait(60) { try team.emailCount() >= wanted.count }
        #expect(done, "captured \((try? team.emailCount()) ?? -1) of \(wanted.count); log: \(daemon.log.suffix(2000))")
        usleep(500_000)  // anything beyond the expected would show now
        let store = try team.store()
        try store.read { db in
            let keys = try String.fetchSet(db, sql: "SELECT sourceKey FROM activity WHERE kind = 'email'")
            #expect(keys.count == wanted.count)
            for entry in wanted where entry.messageId != nil {
                #expect(keys.contains("mail:" + SyncedMessage.normalizeMessageID(entry.messageId!)), "message \(entry.index) missing")
            }
            for entry in manifest where entry.bulk && entry.messageId != nil {
                #expect(!keys.contains("mail:" + SyncedMessage.normalizeMessageID(entry.messageId!)), "newsletter \(entry.index) captured")
            }
            // Subjects as Python decodes them, on the firm's activities.
            for entry in wanted where entry.messageId != nil && entry.from.hasSuffix("@" + firmDomain) && entry.inReplyTo == nil {
                let row = try Row.fetchOne(db, sql: "SELECT subject, companyId, direction, json_extract(details, '$.snippet') AS snippet FROM activity WHERE sourceKey = ?",
                                           arguments: ["mail:" + SyncedMessage.normalizeMessageID(entry.messageId!)])
                #expect(row?["subject"] == entry.subject)
                // What the mail says, for the activity list: the first words of its text.
                let firstWords = (entry.text ?? "").split(whereSeparator: \.isWhitespace).prefix(5).joined(separator: " ")
                #expect((row?["snippet"] as String?)?.hasPrefix(firstWords) == true, "message \(entry.index)")
                #expect(row?["companyId"] == firm)
                #expect(row?["direction"] == "inbound")
            }
            let sent = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activity WHERE direction = 'outbound' AND kind = 'email'") ?? 0
            #expect(sent == wanted.filter(\.sent).count)
            // Bob's ten copies: no new activity, but the activities are his too.
            let bobId = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE email = ?", arguments: [Self.bob])
            // Whichever mailbox synced first owns the activity; the other agent is linked to it.
            let bobs = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM activity WHERE agentId = ? OR id IN (SELECT activityId FROM activityAgent WHERE userId = ?)
                """, arguments: [bobId, bobId]) ?? 0
            let both = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activityAgent") ?? 0
            #expect(bobs > 0 && bobs <= shared.count, "bob has \(bobs)")
            #expect(both == bobs, "each shared message is one activity with both agents")
        }
        let status = try team.status(daemon)
        #expect(status.contains("mail \(Self.alice)") && status.contains("idle"), "status: \(status)")
        #expect(!daemon.log.contains("pass-\(Self.alice)"), "a password reached the log")
        #expect(daemon.stop() == 0)
    }

    @Test("killed half way through a backfill and restarted: every message captured once; then IDLE captures new mail within 2 s")
    func killedMidBackfill() throws {
        let team = try Team()
        defer { team.server.stop() }
        let manifest = try team.server.generate(Self.alice, count: 3000, receivedOnly: true)
        let wanted = Self.expected(manifest)
        var daemon = try RunningDaemon(team.connectord, environment: team.environment(batchSize: 50))
        #expect(try team.wait(60) { try team.emailCount() >= 200 })
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        let before = try team.emailCount()
        #expect(before < wanted.count, "the backfill finished before the kill; nothing was tested")

        daemon = try RunningDaemon(team.connectord, environment: team.environment(batchSize: 50))
        #expect(try team.wait(90) { try team.emailCount() >= wanted.count }, "captured \((try? team.emailCount()) ?? -1) of \(wanted.count)")
        usleep(300_000)
        #expect(try team.emailCount() == wanted.count)
        let cursor = try team.store().read { db in try String.fetchOne(db, sql: "SELECT value FROM sourceCursor WHERE source = ?", arguments: ["mail:\(Self.alice)"]) }
        let decoded = try JSONDecoder().decode(MailboxCursor.self, from: Data(try #require(cursor).utf8))
        #expect(decoded.folders["INBOX"]?.backfillComplete == true)

        // Live delivery while the daemon idles.
        #expect(try team.wait(10) { try team.status(daemon).contains("idle") })
        let delivered = try team.server.generate(Self.alice, count: 1, startIndex: 5000, seed: 77, live: true, receivedOnly: true)
        let arrived = Date()
        let seen = try team.wait(5) { try team.emailCount() == wanted.count + (delivered[0].bulk ? 0 : 1) }
        #expect(seen && Date().timeIntervalSince(arrived) < 2 || delivered[0].bulk, "new mail took \(Date().timeIntervalSince(arrived)) s")
        #expect(daemon.stop() == 0)
    }

    @Test("XOAUTH2 with the Google grant (mail.accounts ADDRESS=oauth); the server drops the session and the daemon logs in again; a revoked grant shows reconnect needed")
    func oauthLoginReconnectAndRevokedGrant() async throws {
        let team = try Team()
        defer { team.server.stop() }
        let google = try await FakeGoogle.start()
        defer { Task { await google.stop() } }
        google.addAccount(Self.alice, refreshToken: "refresh-alice")
        // The test Dovecot takes `token-<user>` as the XOAUTH2 bearer token; every access token expires at once, so each
        // login asks the token endpoint again.
        google.issueFixedAccessToken("token-\(Self.alice)", forRefreshToken: "refresh-alice")
        google.setAccessTokenLifetime(1)
        let manifest = try team.server.generate(Self.alice, count: 40, receivedOnly: true)
        var environment = team.environment()
        environment["CONNECTORD_MAIL_ACCOUNTS"] = "\(Self.alice)=oauth"
        environment["CONNECTORD_GOOGLE_CLIENT_ID"] = FakeGoogle.clientId
        environment["CONNECTORD_GOOGLE_CLIENT_SECRET"] = "env:GOOGLE_SECRET"
        environment["GOOGLE_SECRET"] = FakeGoogle.clientSecret
        environment["CONNECTORD_GOOGLE_ACCOUNTS"] = "\(Self.alice)=env:ALICE_GRANT"
        environment["ALICE_GRANT"] = "refresh-alice"
        environment["CONNECTORD_GOOGLE_TOKEN_ENDPOINT"] = google.tokenEndpoint
        environment["CONNECTORD_CALENDAR_POLL_SECONDS"] = "0"
        let daemon = try RunningDaemon(team.connectord, environment: environment)
        let wanted = Self.expected(manifest).count
        #expect(try await waitAsync(30) { try team.emailCount() == wanted }, "\(daemon.log.suffix(2000))")
        #expect(try await waitAsync(10) { try team.status(daemon).contains("idle") })
        let logins = google.tokenRequests

        // The server ends the session (as Gmail does now and then): the daemon logs in again and IDLE goes on.
        try team.server.dropSessions()
        #expect(try await waitAsync(20) {
            guard google.tokenRequests > logins else { return false }
            return try team.status(daemon).contains("idle")
        }, "\(daemon.log.suffix(2000))")
        let delivered = try team.server.generate(Self.alice, count: 1, startIndex: 900, seed: 9, live: true, receivedOnly: true)
        #expect(try await waitAsync(10) { try team.emailCount() == wanted + (delivered[0].bulk ? 0 : 1) })

        // The user revokes access; at the next login Google answers invalid_grant.
        google.revokeRefreshToken("refresh-alice")
        try team.server.dropSessions()
        var status = ""
        #expect(try await waitAsync(20) {
            status = try team.status(daemon)
            return status.contains("reconnect needed")
        }, "status: \(status)")
        #expect(!daemon.log.contains("refresh-alice") && !daemon.log.contains(FakeGoogle.clientSecret), "a secret reached the log")
        #expect(daemon.stop() == 0)
    }

    /// Polls `condition` without blocking the test's thread pool, at most `seconds`.
    func waitAsync(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }
}
