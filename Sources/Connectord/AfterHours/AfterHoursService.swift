import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import Logging
import MailSync
import Metrics
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The after-hours responder inside `connectord run`: takes messages from the webhook (and, when switched on, from
/// the mailbox sync), records the decision, sends the replies from the durable outbox, and alerts the on-call agent
/// of urgent ones — with a note, and a call through click-to-dial when the PBX is configured.
final class AfterHoursService: Service, Sendable {
    struct Status: Sendable, Codable {
        var webhook: Bool
        var mailboxes: Bool
        /// Outbound replies per state (queued, sent, failed, uncertain …).
        var outbox: [String: Int]
        var lastError: String?
    }

    let settings: AfterHoursSettings
    let responder: Responder
    let webhook: InboundWebhook?
    private let outbox: ReplyOutbox
    private let pbx: PBXService?
    private let logger: Logger
    private let lastError = LastError()

    /// The last error, shared with the outbox's report closure (a `Mutex` itself cannot be captured in `init`).
    final class LastError: Sendable {
        private let value = Mutex<String?>(nil)
        func set(_ text: String?) { value.withLock { $0 = text } }
        var text: String? { value.withLock { $0 } }
    }

    init(settings: AfterHoursSettings, webhookSecret: String?, smtpCredentials: IMAPClientConfiguration.Credentials?, database: CRMDatabase,
         pbx: PBXService?, logger: Logger) throws {
        self.settings = settings
        var logger = logger
        logger[metadataKey: "service"] = "after-hours"
        self.logger = logger
        self.pbx = pbx
        let responder = Responder(settings: settings.responder, database: database)
        self.responder = responder
        webhook = webhookSecret.map { InboundWebhook(responder: responder, signature: WebhookSignature(secret: $0), maxBodyBytes: settings.maxBodyBytes) }

        var tls = TLSConfiguration.makeClientConfiguration()
        if !settings.smtp.caFile.isEmpty {
            do { tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(settings.smtp.caFile))] } catch {
                throw ConnectordConfigError(key: "smtp.caFile", message: "cannot read certificates from \(settings.smtp.caFile)")
            }
        }
        let configuration = SMTPClientConfiguration(
            host: settings.smtp.host, port: settings.smtp.port, security: settings.smtp.security, credentials: smtpCredentials, tls: tls,
            replyTimeout: .seconds(60))
        let context = try SMTPSubmission.makeTLSContext(configuration)
        let errors = lastError
        let log = logger
        let sentCounter = Counter(label: "connectord_autoreplies_total", dimensions: [("result", "sent")])
        let retryCounter = Counter(label: "connectord_autoreplies_total", dimensions: [("result", "retrying")])
        let failedCounter = Counter(label: "connectord_autoreplies_total", dimensions: [("result", "failed")])
        let uncertainCounter = Counter(label: "connectord_autoreplies_total", dimensions: [("result", "uncertain")])
        outbox = ReplyOutbox(database: database, retry: settings.retry, send: { message, beforeText in
            let connection = try await SMTPConnector.connect(configuration, tls: context)
            return try await SMTPSubmission.send(message, over: connection, configuration: configuration, tls: context, clock: ContinuousClock(),
                                                 beforeText: beforeText)
        }, report: { event in
            let logger = log
            switch event {
            case .sent(let mail):
                sentCounter.increment()
                errors.set(nil)
                logger.info("automatic reply sent", metadata: ["mail": "\(mail.id)", "to": "\(mail.toAddress)", "language": "\(mail.language)"])
            case .retrying(let mail, let error, let at):
                retryCounter.increment()
                errors.set(error)
                logger.warning("automatic reply not sent; will retry", metadata: ["mail": "\(mail.id)", "error": "\(error)", "retryAt": "\(at)"])
            case .failed(let mail, let error):
                failedCounter.increment()
                errors.set(error)
                logger.error("automatic reply refused by the server; not retried", metadata: ["mail": "\(mail.id)", "error": "\(error)"])
            case .uncertain(let mail, let error):
                uncertainCounter.increment()
                errors.set(error)
                logger.error("automatic reply may or may not have been delivered; not sent again", metadata: ["mail": "\(mail.id)", "error": "\(error)"])
            case .recovered(let requeued, let uncertain):
                logger.notice("outbox recovered after a restart", metadata: ["requeued": "\(requeued)", "uncertain": "\(uncertain)"])
            case .storeError(let error):
                errors.set(error)
                logger.error("outbox store error", metadata: ["error": "\(error)"])
            }
        })
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.outbox.run(clock: ContinuousClock())
        }
    }

    var status: Status {
        let counts = (try? responder.database.outboxCounts()) ?? [:]
        return Status(webhook: webhook != nil, mailboxes: settings.answersMailboxes,
                      outbox: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), lastError: lastError.text)
    }

    /// After a decision: wake the outbox for a new reply, alert the on-call agent of an urgent message.
    func followUp(_ outcome: ResponderOutcome) {
        guard !outcome.replayed else { return }
        Counter(label: "connectord_responder_decisions_total", dimensions: [("decision", outcome.message.decision.rawValue)]).increment()
        if outcome.outbound != nil { outbox.notify() }
        if let urgent = outcome.message.urgent {
            logger.notice("urgent message after hours", metadata: ["sender": "\(outcome.message.sender)", "why": "\(urgent)",
                                                                  "onCall": "\(outcome.message.onCallUserId.map(String.init) ?? "nobody")"])
        }
        guard let escalation = outcome.escalation, let pbx, let agentExtension = escalation.agentExtension, let number = escalation.customerPhone else { return }
        // The call is placed beside the request, not inside it: a PBX that is slow to answer must not hold the webhook.
        let logger = logger
        Task {
            do {
                let result = try await pbx.dial(userId: escalation.userId, agentExtension: agentExtension, number: number, contactId: escalation.contactId)
                logger.notice("on-call agent called", metadata: ["user": "\(escalation.userId)", "response": "\(result.response)"])
            } catch {
                logger.warning("could not call the on-call agent", metadata: ["user": "\(escalation.userId)", "error": "\(error)"])
            }
        }
    }

    /// The mailbox switch: a message the IMAP sync captured is answered as if the webhook had delivered it (the same
    /// key, so a message seen both ways is answered once). Only mail received from outside counts.
    func answer(_ message: SyncedMessage, account: String) {
        guard settings.answersMailboxes, !message.from.contains(where: { $0.address.lowercased() == account }) else { return }
        guard let inbound = InboundMessage(synced: message) else { return }
        do {
            followUp(try responder.handle(inbound, capture: false))
        } catch {
            lastError.set("\(error)")
            logger.error("could not decide on a synced message", metadata: ["error": "\(error)"])
        }
    }
}
