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
        }
        #expect(store.deliveries.values.allSatisfy { $0 == 1 })
        #expect(store.cursor.folders["INBOX"]?.backfillComplete == true)
        #expect(store.cursor.messagesSynced == manifest.count)
    }
}
