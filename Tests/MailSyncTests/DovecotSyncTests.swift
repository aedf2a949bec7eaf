import Foundation
import MailSync
import MailTestSupport
import Synchronization
import Testing

/// The sync engine against a real Dovecot on loopback, with generated mailboxes whose headers Python decoded.
@Suite(.enabled(if: DovecotServer.isInstalled, "needs dovecot-imapd"), .timeLimit(.minutes(3)))
struct DovecotSyncTests {
    /// Collects what the engine commits, as the store would: messages by identity, the cursor with them.
    final class Store: @unchecked Sendable {
        var messages: [String: SyncedMessage] = [:]
        var deliveries: [String: Int] = [:]
        var cursor = MailboxCursor()
        var commits = 0

        func commit(_ batch: [SyncedMessage], _ cursor: MailboxCursor) {
            for message in batch {
                messages[message.identity] = message
                deliveries[message.identity, default: 0] += 1
            }
            self.cursor = cursor
            commits += 1
        }
    }

    @Test("initial sync over TLS: every message once, headers decoded as Python's email package decodes them")
    func initialSync() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        let manifest = try server.generate("alice", count: 1500)
        let store = Store()
        let sync = MailboxSynchronizer(settings: MailboxSyncSettings(batchSize: 200))
        let configuration = try IMAPTestConnector.configuration(server, user: "alice")
        let folders = try await IMAPTestConnector.withSession(configuration) { session in
            let folders = try await sync.folders(session)
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            return folders
        }
        #expect(folders == ["INBOX", "Sent"])
        let identified = manifest.filter { $0.messageId != nil }
        #expect(store.messages.count == manifest.count)
        for entry in identified {
            let id = SyncedMessage.normalizeMessageID(entry.messageId!)
            guard let message = store.messages[id] else {
                Issue.record("message \(entry.index) not synced")
                continue
            }
            #expect(message.subject == entry.subject, "message \(entry.index)")
            #expect(message.from.first?.address.lowercased() == entry.from, "message \(entry.index)")
            #expect((message.from.first?.name ?? "") == entry.fromName, "message \(entry.index)")
            #expect(message.folder == (entry.sent ? "Sent" : "INBOX"))
            #expect(message.isBulk == entry.bulk)
            if let parent = entry.inReplyTo { #expect(message.inReplyTo == [SyncedMessage.normalizeMessageID(parent)]) }
            // The snippet: the start of the plain-text part (plain, alternative, or alternative inside mixed with an
            // attachment), from the first 1 KiB of the body.
            // Bulk mail is neither captured nor answered: no snippet is made for it.
            if entry.bulk {
                #expect(message.snippet == nil, "newsletter \(entry.index)")
                continue
            }
            let words = (entry.text ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let snippet = message.snippet ?? ""
            #expect(!snippet.isEmpty && words.hasPrefix(snippet.hasSuffix("…") ? String(snippet.dropLast()) : snippet),
                    "message \(entry.index): \(snippet)")
            if words.count <= MessageSnippet.maximumLength, message.size < 900 { #expect(snippet == words, "message \(entry.index)") }
        }
        #expect(store.deliveries.values.allSatisfy { $0 == 1 })
        #expect(store.cursor.folders["INBOX"]?.backfillComplete == true)
        #expect(store.cursor.messagesSynced == manifest.count)
    }

    @Test("STARTTLS with XOAUTH2; a refused token or password is an authentication failure, not a retry")
    func startTLSAndLogins() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        let oauth = try IMAPTestConnector.configuration(server, user: "bob", security: .startTLS, oauth: true)
        let capabilities = try await IMAPTestConnector.withSession(oauth) { session in session.capabilities }
        #expect(capabilities.contains("IMAP4REV1"))
        #expect(!capabilities.contains("STARTTLS"), "capabilities are those said after TLS and login")

        var wrongToken = oauth
        wrongToken.credentials = .oauth2(user: "bob", token: { "revoked" })
        var wrongPassword = try IMAPTestConnector.configuration(server, user: "bob")
        wrongPassword.credentials = .password(user: "bob", password: "nope")
        for configuration in [wrongToken, wrongPassword] {
            do {
                _ = try await IMAPTestConnector.withSession(configuration) { _ in true }
                Issue.record("login with bad credentials succeeded")
            } catch let error as IMAPClientError {
                #expect(error.isAuthenticationFailure, "\(error)")
                #expect(!error.description.contains("revoked") && !error.description.contains("nope"))
            }
        }
    }

    @Test("incremental sync fetches only new mail; a no-change sync fetches nothing; a UIDVALIDITY reset doubles nothing")
    func incrementalAndUIDValidity() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        try server.generate("alice", count: 300)
        let store = Store()
        let sync = MailboxSynchronizer(settings: MailboxSyncSettings(batchSize: 100))
        let configuration = try IMAPTestConnector.configuration(server, user: "alice")
        try await IMAPTestConnector.withSession(configuration) { session in
            let folders = try await sync.folders(session)
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            #expect(store.messages.count == 300)

            // Nothing new: no batch at all.
            let commits = store.commits
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            #expect(store.commits == commits)

            // New mail: only it is fetched.
            let added = try server.generate("alice", count: 25, startIndex: 300, seed: 2, live: true)
            let fetched = Mutex(0)
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { batch, cursor in
                fetched.withLock { $0 += batch.count }
                store.commit(batch, cursor)
            }
            #expect(fetched.withLock { $0 } == 25)
            #expect(store.messages.count == 325)
            for entry in added where entry.messageId != nil {
                #expect(store.messages[SyncedMessage.normalizeMessageID(entry.messageId!)]?.subject == entry.subject)
            }

            // The server renumbers INBOX: everything comes again under the same identities, nothing is new.
            try server.bumpUIDValidity("alice")
            let before = store.cursor.folders["INBOX"]!.uidValidity
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            #expect(store.cursor.folders["INBOX"]!.uidValidity != before)
            #expect(store.messages.count == 325)
            #expect(store.cursor.folders["INBOX"]!.backfillComplete)
        }
    }

    @Test("a backfill stopped half way resumes where its last commit ended: every message once")
    func resumedBackfill() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        let manifest = try server.generate("alice", count: 800)
        let store = Store()
        let sync = MailboxSynchronizer(settings: MailboxSyncSettings(batchSize: 100))
        let configuration = try IMAPTestConnector.configuration(server, user: "alice")
        struct Crash: Error {}
        do {
            try await IMAPTestConnector.withSession(configuration) { session in
                let folders = try await sync.folders(session)
                _ = try await sync.sync(session, folders: folders, cursor: store.cursor) { batch, cursor in
                    // The process dies after the third commit, before the fourth is stored.
                    if store.commits == 3 { throw Crash() }
                    store.commit(batch, cursor)
                }
            }
        } catch is Crash {}
        #expect(store.messages.count > 0 && store.messages.count < manifest.count)
        #expect(store.cursor.folders["INBOX"]?.backfillComplete == false)
        // The crash came during INBOX (Sent not examined yet): what is left of INBOX is the backlog known so far.
        let inboxLeft = manifest.filter { !$0.sent }.count - store.messages.values.filter { $0.folder == "INBOX" }.count
        #expect(inboxLeft > 0 && store.cursor.backlog == inboxLeft, "status shows what is left of the backfill")
        try await IMAPTestConnector.withSession(configuration) { session in
            store.cursor = try await sync.sync(session, folders: try await sync.folders(session), cursor: store.cursor) { store.commit($0, $1) }
        }
        #expect(store.messages.count == manifest.count)
        #expect(store.cursor.backlog == 0)
        #expect(store.deliveries.values.allSatisfy { $0 == 1 }, "a committed batch is never fetched again")
    }

    @Test("IDLE: a message delivered to Dovecot is seen within 2 seconds")
    func idleSeesNewMail() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        try server.generate("alice", count: 10)
        let configuration = try IMAPTestConnector.configuration(server, user: "alice")
        let sync = MailboxSynchronizer()
        let store = Store()
        try await IMAPTestConnector.withSession(configuration) { session in
            let folders = try await sync.folders(session)
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            let delivery = Task.detached {
                try await Task.sleep(for: .milliseconds(300))
                let entries = try server.generate("alice", count: 1, startIndex: 10, seed: 9, live: true, receivedOnly: true)
                return (entries, ContinuousClock.now)
            }
            // IDLE watches the selected folder: INBOX, where mail arrives.
            _ = try await sync.examine(session, folder: "INBOX")
            let end = try await session.idle { data in
                if case .exists = data { return true }
                return false
            }
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            let (delivered, deliveredAt) = try await delivery.value
            let elapsed = ContinuousClock.now - deliveredAt
            #expect(end == .changed)
            #expect(store.messages[SyncedMessage.normalizeMessageID(delivered[0].messageId ?? "")] != nil || delivered[0].messageId == nil)
            #expect(store.messages.count == 11)
            #expect(elapsed < .seconds(2), "synced \(elapsed) after the delivery")
        }
    }

    @Test("mail delivered between a sync and the EXAMINE before IDLE: IDLE never reports it, the cursor says it is missed, the next sync takes it")
    func deliveredBetweenSyncAndExamine() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        try server.generate("alice", count: 10)
        var configuration = try IMAPTestConnector.configuration(server, user: "alice")
        configuration.idleRenewal = .milliseconds(800)
        let sync = MailboxSynchronizer()
        let store = Store()
        try await IMAPTestConnector.withSession(configuration) { session in
            let folders = try await sync.folders(session)
            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            let synced = store.cursor.folders["INBOX"]!
            #expect(!synced.missesMail(in: try await sync.examine(session, folder: "INBOX")), "nothing new yet")

            // The window the mailbox service closes: delivered after the sync, before the EXAMINE that precedes IDLE.
            let delivered = try server.generate("alice", count: 1, startIndex: 10, seed: 11, live: true, receivedOnly: true)
            let status = try await sync.examine(session, folder: "INBOX")
            #expect(synced.missesMail(in: status))
            // Why it matters: IDLE after that EXAMINE reports nothing; the message would wait for the renewal.
            #expect(try await session.idle { data in if case .exists = data { return true }; return false } == .renewal)

            store.cursor = try await sync.sync(session, folders: folders, cursor: store.cursor) { store.commit($0, $1) }
            #expect(store.messages.count == 11)
            #expect(store.messages[SyncedMessage.normalizeMessageID(delivered[0].messageId ?? "")] != nil || delivered[0].messageId == nil)
            #expect(!store.cursor.folders["INBOX"]!.missesMail(in: try await sync.examine(session, folder: "INBOX")))
            // Another UIDVALIDITY is not "missed mail" (the sync starts the folder over instead).
            var renumbered = status
            renumbered.uidValidity &+= 1
            #expect(!synced.missesMail(in: renumbered))
        }
    }

    @Test("the connection cut in the middle of a FETCH response: what was committed stays, the next session takes the rest, every message once")
    func cutMidFetch() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        let manifest = try server.generate("alice", count: 1200, receivedOnly: true)
        // Over TLS through the proxy: the cut lands inside a TLS record inside a FETCH (about 400 bytes a message).
        let proxy = try CuttingProxy(targetPort: server.imapsPort, cutAfter: 300_000)
        defer { proxy.stop() }
        var configuration = try IMAPTestConnector.configuration(server, user: "alice")
        configuration.port = proxy.port
        let store = Store()
        let sync = MailboxSynchronizer(settings: MailboxSyncSettings(batchSize: 200))
        do {
            try await IMAPTestConnector.withSession(configuration) { session in
                _ = try await sync.sync(session, folders: try await sync.folders(session), cursor: store.cursor) { store.commit($0, $1) }
            }
            Issue.record("the first session was not cut")
        } catch let error as IMAPClientError {
            #expect(!error.isAuthenticationFailure, "\(error)")
        }
        let committed = store.messages.count
        #expect(committed > 0 && committed < manifest.count, "cut after \(committed) of \(manifest.count)")
        try await IMAPTestConnector.withSession(configuration) { session in
            store.cursor = try await sync.sync(session, folders: try await sync.folders(session), cursor: store.cursor) { store.commit($0, $1) }
        }
        #expect(store.messages.count == manifest.count)
        #expect(store.deliveries.values.allSatisfy { $0 == 1 }, "a committed batch was fetched again")
    }

    @Test("a session left quiet between commands is not dropped: the silence watchdog only runs while an answer is due")
    func quietBetweenCommands() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        var configuration = try IMAPTestConnector.configuration(server, user: "alice")
        configuration.commandTimeout = .milliseconds(300)
        try await IMAPTestConnector.withSession(configuration) { session in
            try await session.execute(.noop)
            // Longer than the timeout with nothing asked (a poll interval, a long commit): the server owes nothing.
            try await Task.sleep(for: .milliseconds(1200))
            try await session.execute(.noop)
        }
    }

    @Test("the backfill stops at the configured date; IDLE ends by itself when it is time to renew it")
    func backfillDateAndIdleRenewal() async throws {
        let server = try DovecotServer.start()
        defer { server.stop() }
        // The generator spaces messages ten minutes apart, ending now: 300 messages span 50 hours.
        let manifest = try server.generate("alice", count: 300, receivedOnly: true)
        let since = Int64(Date().timeIntervalSince1970) - 25 * 3600
        let store = Store()
        let sync = MailboxSynchronizer(settings: MailboxSyncSettings(backfillSince: since, batchSize: 20))
        var configuration = try IMAPTestConnector.configuration(server, user: "alice")
        configuration.idleRenewal = .milliseconds(500)
        try await IMAPTestConnector.withSession(configuration) { session in
            store.cursor = try await sync.sync(session, folders: try await sync.folders(session), cursor: store.cursor) { store.commit($0, $1) }
            _ = try await sync.examine(session, folder: "INBOX")
            #expect(try await session.idle { _ in false } == .renewal)
            try await session.execute(.noop)  // IDLE ended cleanly: the session goes on
        }
        #expect(store.cursor.folders["INBOX"]?.backfillComplete == true)
        #expect(store.messages.values.allSatisfy { ($0.date?.secondsSince1970 ?? 0) >= since }, "mail older than the date captured")
        #expect(store.messages.count >= 140 && store.messages.count < manifest.count - 100, "\(store.messages.count) of \(manifest.count)")
    }
}
