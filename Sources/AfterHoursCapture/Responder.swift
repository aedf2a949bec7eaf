import AfterHours
import Crypto
import CRMCore
import Foundation
import MailSync
import NetworkSupport

/// The after-hours responder: decides what to do with one inbound message and records it — remembered, captured,
/// its reply queued, the on-call agent noted — in one transaction of the store. Sending is the outbox's job.
public final class Responder: Sendable {
    public let settings: ResponderSettings
    public let database: CRMDatabase
    private let groupCommit: GroupCommit

    public init(settings: ResponderSettings, database: CRMDatabase) {
        self.settings = settings
        self.database = database
        groupCommit = GroupCommit(database: database)
    }

    /// Decides and records, waiting for the transaction that carries this message and the others that arrived with it
    /// (group commit; the webhook's path). `capture`: file the message as an activity.
    public func decide(_ message: InboundMessage, capture: Bool = true) async throws -> ResponderOutcome {
        try await groupCommit.submit(job(for: message, capture: capture))
    }

    /// Decides and records in a transaction of its own, on the caller's thread (the mailbox sync, which has captured
    /// its own messages already: `capture: false`).
    public func handle(_ message: InboundMessage, capture: Bool = true) throws -> ResponderOutcome {
        let job = job(for: message, capture: capture)
        return try database.respond(to: job.request, decide: job.decide)
    }

    /// The work for the store: the message as it is remembered and captured, and the decision given its facts.
    /// The policy and the activity are worked out here, outside the write transaction.
    private func job(for message: InboundMessage, capture: Bool) -> ResponderJob {
        let key = Self.messageKey(for: message)
        let refusal = settings.policy.refusal(for: message)
        let request = ResponderRequest(
            messageKey: key, sender: message.from, subject: message.subject,
            activity: capture && Self.isCaptured(refusal) ? Self.activity(for: message, key: key, now: Date()) : nil,
            repeatWindow: settings.urgency.repeatWindow)
        // What needs no store is worked out here, so the writer's thread (shared by every request) only decides.
        let keywordReason = refusal == nil ? settings.urgency.keywordReason(for: message) : nil
        let draft = refusal == nil ? replyDraft(answering: message) : nil
        return ResponderJob(request: request) { facts in
            self.plan(for: message, refusal: refusal, keywordReason: keywordReason, draft: draft, facts: facts)
        }
    }

    /// The decision for `message` (`refusal`: what the policy says of it), given what the store knows about its
    /// sender. No I/O.
    private func plan(for message: InboundMessage, refusal: AutoReplyPolicy.Refusal?, keywordReason: String?, draft: ReplyDraft?,
                      facts: ResponderFacts) -> ResponderPlan {
        if let refusal { return ResponderPlan(decision: .refused, reason: refusal.rawValue) }
        // After hours is decided at the message's moment (a webhook retried in the morning still answers a night mail).
        let moment = message.date ?? facts.receivedAt
        if settings.hours.isOpen(at: moment) { return ResponderPlan(decision: .businessHours) }
        let urgent = settings.urgency.reasons(keywordReason: keywordReason, isClient: facts.companyStage == .client,
                                              earlierMessages: facts.recentMessagesFromSender)
        let onCall = urgent.isEmpty ? nil : settings.rota?.agent(at: facts.receivedAt)
        if let last = facts.lastReplyToSender, facts.receivedAt.timeIntervalSince(last) < settings.senderLimit {
            return ResponderPlan(decision: .limited, reason: "already answered automatically on \(Self.day(last)); one reply per sender every \(Self.span(settings.senderLimit))",
                                 urgentReasons: urgent, onCallAgent: onCall)
        }
        return ResponderPlan(decision: .replied, reply: draft, urgentReasons: urgent, onCallAgent: onCall)
    }

    /// The reply `message` gets if it is answered.
    private func replyDraft(answering message: InboundMessage) -> ReplyDraft {
        // RFC 3834 §4: automatic responses go to the envelope sender when it is known.
        let recipient = (message.returnPath.flatMap { $0.isEmpty ? nil : $0 } ?? message.from).lowercased()
        return ReplyDraft(
            template: settings.template, fallbackLanguage: settings.defaultLanguage, from: settings.from, to: recipient,
            messageId: AutoReplyMessage.makeMessageId(from: settings.from), inReplyTo: message.messageId,
            references: AutoReplyMessage.references(answering: message), inboundSubject: message.subject)
    }

    /// The key a message is remembered by: the capture's source key of mail (`mail:<Message-ID>`, the same as the
    /// mailbox sync's), so a message seen by the webhook and by IMAP is answered once; without a Message-ID, a digest.
    public static func messageKey(for message: InboundMessage) -> String {
        if let id = message.messageId, !id.isEmpty { return "mail:" + SyncedMessage.normalizeMessageID(id) }
        var hasher = SHA256()
        for part in [message.from.lowercased(), message.subject, message.date.map { "\($0.timeIntervalSince1970)" } ?? "", message.text] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        return "hook:" + hasher.finalize().prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The inbound message as an email activity, threaded like the mailbox sync's.
    public static func activity(for message: InboundMessage, key: String, now: Date) -> CapturedActivity {
        var participants: [CapturedActivity.Participant] = [.email(message.from.lowercased())]
        for address in message.to where !participants.contains(.email(address.lowercased())) { participants.append(.email(address.lowercased())) }
        let parents = (message.inReplyTo + message.references.reversed()).map { "mail:" + SyncedMessage.normalizeMessageID($0) }
        var thread: [String] = []
        for key in parents where !thread.contains(key) { thread.append(key) }
        var details = ["via": "after-hours responder"]
        if let id = message.messageId { details["messageId"] = id }
        return CapturedActivity(
            kind: .email, sourceKey: key, occurredAt: message.date ?? now, threadSourceKeys: thread, direction: .inbound,
            participants: participants, subject: message.subject, details: details)
    }

    /// Robots, lists and bounces are never captured, as the mailbox sync drops bulk mail; a refused human message
    /// (ourselves, a suppression header) still is.
    static func isCaptured(_ refusal: AutoReplyPolicy.Refusal?) -> Bool {
        switch refusal {
        case nil, .suppressed, .ownAddress: true
        case .nullSender, .systemSender, .autoSubmitted, .bulk, .mailingList, .unusableSender: false
        }
    }

    private static func day(_ date: Date) -> String { String(RFC3339.format(date).prefix(10)) }

    private static func span(_ interval: TimeInterval) -> String {
        interval >= 86_400 && interval.truncatingRemainder(dividingBy: 86_400) == 0 ? "\(Int(interval / 86_400)) days" : "\(Int(interval / 60)) minutes"
    }
}
