import CRMCore
import Foundation
import Logging
import MailCapture
import MailSync
import Metrics
import NIOSSL
import ServiceLifecycle
import NetworkSupport
import Synchronization

/// Mail capture for one agent's mailbox, inside `connectord run`: syncs its folders into the store (each batch
/// committed with the cursor that covers it), then waits in IDLE for new mail; reconnects with backoff.
final class MailboxService: Service, Sendable {
    /// What `connectord status` shows about a mailbox.
    struct Status: Sendable, Codable {
        var account: String
        /// connecting, syncing, idle, reconnecting, reconnect needed
        var state = "connecting"
        var messagesSynced = 0
        /// Messages known on the server and not yet synced (new mail and the rest of the backfill).
        var backlog = 0
        var lastError: String?
        /// The server refused the credentials: a person must fix them; retried only every 15 minutes.
        var reconnectNeeded = false
        var folders: [String] = []
        /// ISO 8601, UTC.
        var lastSyncAt: String?
    }

    let account: String
    private let configuration: IMAPClientConfiguration
    private let synchronizer: MailboxSynchronizer
    private let filing: MailFiling
    private let database: CRMDatabase
    private let logger: Logger
    private let state: Mutex<Status>
    private let captured = Counter(label: "connectord_mail_messages_total")
    private let failures = Counter(label: "connectord_mail_session_failures_total")

    /// The mailbox switch answers mail dated within the last hour: new mail, not the backfill nor a re-sync.
    static let answerWindowSeconds: Int64 = 3600

    /// How long a refused login waits before it is tried again (the password may have been fixed meanwhile).
    static let reconnectNeededRetry: Duration = .seconds(15 * 60)

    /// The after-hours responder's mailbox switch: shown each newly arrived message before its batch commits.
    private let answer: (@Sendable (SyncedMessage) -> Void)?

    init(settings: MailSettings, account: MailSettings.Account, credentials: IMAPClientConfiguration.Credentials, database: CRMDatabase, logger: Logger,
         answer: (@Sendable (SyncedMessage) -> Void)? = nil) throws {
        self.account = account.address
        self.answer = answer
        var tls = TLSConfiguration.makeClientConfiguration()
        if !settings.caFile.isEmpty {
            do {
                let extra = try NIOSSLCertificate.fromPEMFile(settings.caFile)
                tls.additionalTrustRoots = [.certificates(extra)]
            } catch {
                throw ConnectordConfigError(key: "mail.caFile", message: "cannot read certificates from \(settings.caFile)")
            }
        }
        configuration = IMAPClientConfiguration(
            host: settings.host, port: settings.port, security: settings.security,
            credentials: credentials, tls: tls, idleRenewal: settings.idleRenewal)
        synchronizer = MailboxSynchronizer(settings: MailboxSyncSettings(
            folders: settings.folders, backfillSince: settings.backfillSince.map { Int64($0.timeIntervalSince1970) }, batchSize: settings.batchSize))
        filing = MailFiling(account: account.address)
        self.database = database
        var logger = logger
        logger[metadataKey: "mailbox"] = "\(account.address)"
        self.logger = logger
        state = Mutex(Status(account: account.address))
    }

    var status: Status { state.withLock { $0 } }
    var cursorSource: String { "mail:\(account)" }

    func run() async throws {
        let tls: NIOSSLContext?
        do { tls = try IMAPChannel.makeTLSContext(configuration) } catch {
            logger.error("cannot set up TLS for the mailbox", metadata: ["error": "\(error)"])
            state.withLock { $0.lastError = "TLS setup: \(error)" }
            return
        }
        logger.info("mail capture starting", metadata: ["host": "\(configuration.host)", "port": "\(configuration.port)"])
        await cancelWhenGracefulShutdown {
            var backoff = self.configuration.backoff
            while !Task.isCancelled {
                let delay: Duration
                do {
                    try await self.session(tls: tls) { backoff.reset() }
                    delay = backoff.next()
                } catch is CancellationError {
                    return
                } catch let error as IMAPClientError {
                    self.failures.increment()
                    if error.isAuthenticationFailure {
                        delay = Self.reconnectNeededRetry
                        self.update { $0.state = "reconnect needed"; $0.reconnectNeeded = true; $0.lastError = error.description }
                        self.logger.error("the mail server refused the login; fix the credentials", metadata: ["error": "\(error)"])
                    } else {
                        delay = backoff.next() + (error.isThrottled ? self.configuration.throttlePause : .zero)
                        self.update { $0.state = "reconnecting"; $0.lastError = error.description }
                        self.logger.warning("mail session ended", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                    }
                } catch {
                    self.failures.increment()
                    delay = backoff.next()
                    self.update { $0.state = "reconnecting"; $0.lastError = "\(error)" }
                    self.logger.warning("mail session failed", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                }
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
        logger.info("mail capture stopped")
    }

    /// One session: sync, then IDLE until something changes or it is time to look at the other folders; repeat.
    private func session(tls: NIOSSLContext?, loggedIn: () -> Void) async throws {
        update { $0.state = "connecting" }
        let connection = try await IMAPConnector.connect(configuration, tls: tls)
        try await IMAPSession.withSession(connection, configuration: configuration, tls: tls, clock: ContinuousClock()) { session in
            loggedIn()
            let folders = try await synchronizer.folders(session)
            update { $0.folders = folders; $0.reconnectNeeded = false; $0.lastError = nil }
            var cursor = try loadCursor()
            // The UIDNEXT that last sent us back to sync instead of IDLE (see below), so a gap in the UIDs (mail expunged
            // before we saw it) cannot keep us syncing in a loop.
            var resyncedAt: UInt32?
            while true {
                update { $0.state = "syncing" }
                cursor = try await synchronizer.sync(session, folders: folders, cursor: cursor) { batch, cursor in
                    try await self.commit(batch, cursor)
                }
                update { $0.state = "idle"; $0.lastSyncAt = Date().formatted(.iso8601); $0.messagesSynced = cursor.messagesSynced; $0.backlog = cursor.backlog }
                for alert in session.takeAlerts() { logger.warning("the mail server says", metadata: ["alert": "\(alert)"]) }
                // IDLE on the folder mail arrives in; the others (Sent) are looked at when IDLE is renewed.
                let status = try await synchronizer.examine(session, folder: folders[0])
                // Mail delivered between the sync and this EXAMINE is counted by it, so IDLE never reports it: it would
                // wait for the next renewal (25 minutes). Sync again first.
                if let covered = cursor.folders[folders[0]], covered.missesMail(in: status), status.uidNext != resyncedAt {
                    resyncedAt = status.uidNext
                    continue
                }
                if session.has("IDLE") {
                    _ = try await session.idle { data in
                        switch data {
                        case .exists, .expunge, .vanished: true
                        default: false
                        }
                    }
                } else {
                    try await Task.sleep(for: configuration.idleRenewal)
                }
                try Task.checkCancellation()
            }
        }
    }

    private func loadCursor() throws -> MailboxCursor {
        guard let saved = try database.cursor(for: cursorSource) else { return MailboxCursor() }
        do { return try JSONDecoder().decode(MailboxCursor.self, from: Data(saved.value.utf8)) } catch {
            // A cursor we cannot read is started over: capture takes every message once whatever the cursor says.
            logger.warning("mailbox cursor unreadable; syncing from the start", metadata: ["error": "\(error)"])
            return MailboxCursor()
        }
    }

    /// Stores one batch and the cursor after it in one transaction, off the cooperative pool (SQLite blocks).
    private func commit(_ batch: [SyncedMessage], _ cursor: MailboxCursor) async throws {
        let activities = batch.compactMap { filing.activity(for: $0) }
        // The after-hours switch answers before the commit: a crash in between syncs the batch again, and the responder,
        // which remembers every message it decided on, answers each once. Only mail that has just arrived is answered,
        // never the backfill.
        let arrivedSince = Int64(Date().timeIntervalSince1970) - Self.answerWindowSeconds
        let arrived = answer == nil ? [] : batch.filter { ($0.date?.secondsSince1970 ?? 0) >= arrivedSince }
        let value = String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self)
        let source = cursorSource, database = self.database, answer = self.answer
        let outcomes = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[CaptureOutcome], any Error>) in
            DispatchQueue.global().async {
                for message in arrived { answer?(message) }
                continuation.resume(with: Result { try database.capture(activities, cursor: SourceCursor(source: source, value: value)) })
            }
        }
        captured.increment(by: outcomes.count)
        update { status in
            status.messagesSynced = cursor.messagesSynced
            status.backlog = cursor.backlog
            status.state = "syncing"
        }
    }

    private func update(_ change: (inout Status) -> Void) { state.withLock { change(&$0) } }
}
