import Foundation
import GRDB

/// One inbound message the after-hours responder was asked about, and what it decided. The message key (its
/// normalised Message-ID) is unique: a webhook retry of the same message finds this row and is not answered again.
public struct ResponderMessage: Codable, Sendable, Hashable, FetchableRecord, TableRecord, Identifiable {
    public static let databaseTableName = "responderMessage"
    public var id: Int64
    public var messageKey: String
    /// The sender's address, lower-cased: the per-sender limit and the repeat rule count by it.
    public var sender: String
    public var receivedAt: Date
    public var decision: ResponderDecision
    /// Why it was not answered (a refusal, the limit, a missing template); nil when answered.
    public var reason: String?
    /// Why it is urgent ("keyword 'срочно'; the sender's company is a client"); nil when it is not.
    public var urgent: String?
    public var onCallUserId: Int64?
    /// The inbound message's activity; nil when it was not captured (robots, bounces, lists).
    public var activityId: Int64?
    public var outboundMailId: Int64?
}

/// What the responder did with a message.
public enum ResponderDecision: String, Codable, Sendable, Hashable {
    /// A reply was queued.
    case replied
    /// Written during business hours: people answer it.
    case businessHours = "business-hours"
    /// Never answered (RFC 3834: a robot, a list, a bounce, ourselves).
    case refused
    /// The sender had an automatic reply recently (the per-sender limit).
    case limited
    /// No reply could be written (the template is missing).
    case noReply = "no-reply"
}

/// A message waiting to be sent, being sent, or sent: the responder's durable outbox.
///
/// States: `queued` (due at `nextAttemptAt`) → `sending` (connecting, before the message text goes out) →
/// `delivering` (the text was handed to the server; its answer decides) → `sent`. A refused send goes back to
/// `queued` with a later attempt, or to `failed` when the refusal is permanent. A send interrupted in `delivering`
/// (the daemon died, the connection dropped before the server answered) may have been delivered: it becomes
/// `uncertain` and is never sent again, because a customer must never get the same reply twice.
public struct OutboundMail: Codable, Sendable, Hashable, FetchableRecord, TableRecord, Identifiable {
    public static let databaseTableName = "outboundMail"
    public enum State: String, Codable, Sendable, Hashable, CaseIterable {
        case queued, sending, delivering, sent, failed, uncertain
    }
    public var id: Int64
    /// Fixed when queued, so that every attempt sends the same message.
    public var messageId: String
    public var fromAddress: String
    public var toAddress: String
    public var subject: String
    public var body: String
    public var language: String
    public var inReplyTo: String?
    /// Space-separated message-ids (without angle brackets), oldest first.
    public var references: String
    /// The source key of the activity this mail answers: the reply is filed with it.
    public var threadSourceKey: String?
    public var createdAt: Date
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var sentAt: Date?
    public var serverReply: String?
    public var activityId: Int64?

    public var referenceList: [String] { references.split(separator: " ").map(String.init) }
}

/// The reply the responder wants queued: the template to render and the headers that make it a reply.
public struct ReplyDraft: Sendable, Hashable {
    public var template: String
    /// The language used when the contact's is unknown or has no version of the template.
    public var fallbackLanguage: String
    public var from: String
    public var to: String
    public var messageId: String
    public var inReplyTo: String?
    public var references: [String]
    /// Fills `{{message.subject}}`.
    public var inboundSubject: String

    public init(template: String, fallbackLanguage: String, from: String, to: String, messageId: String, inReplyTo: String?,
                references: [String], inboundSubject: String) {
        self.template = template
        self.fallbackLanguage = fallbackLanguage
        self.from = from
        self.to = to
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.inboundSubject = inboundSubject
    }
}

/// What the store knows about a message's sender, for the responder to decide on.
public struct ResponderFacts: Sendable, Hashable {
    /// When the message reached us (the store's clock).
    public var receivedAt: Date
    public var companyId: Int64?
    public var contactId: Int64?
    public var companyStage: Stage?
    /// The company's owner: the reply is signed by them when the template names an agent.
    public var companyOwnerId: Int64?
    public var contactLanguage: String?
    /// The last automatic reply this sender got (any time).
    public var lastReplyToSender: Date?
    /// Earlier messages from this sender within the request's `repeatWindow`.
    public var recentMessagesFromSender: Int
}

/// The responder's decision for one message, written by ``CRMDatabase/respond(to:decide:)`` in one transaction.
public struct ResponderPlan: Sendable, Hashable {
    public var decision: ResponderDecision
    public var reason: String?
    public var reply: ReplyDraft?
    /// Non-empty: the message is urgent, for these reasons.
    public var urgentReasons: [String]
    /// The on-call agent (an address or user reference) who gets a note when the message is urgent.
    public var onCallAgent: String?

    public init(decision: ResponderDecision, reason: String? = nil, reply: ReplyDraft? = nil, urgentReasons: [String] = [], onCallAgent: String? = nil) {
        self.decision = decision
        self.reason = reason
        self.reply = reply
        self.urgentReasons = urgentReasons
        self.onCallAgent = onCallAgent
    }
}

/// A message for the responder, as the store needs it.
public struct ResponderRequest: Sendable, Hashable {
    public var messageKey: String
    public var sender: String
    public var subject: String
    /// The inbound message as an activity; nil: not captured (robots and lists are never captured).
    public var activity: CapturedActivity?
    /// Earlier messages from the same sender within this long count as repeats; nil: not counted.
    public var repeatWindow: TimeInterval?

    public init(messageKey: String, sender: String, subject: String, activity: CapturedActivity?, repeatWindow: TimeInterval?) {
        self.messageKey = messageKey
        self.sender = sender.lowercased()
        self.subject = subject
        self.activity = activity
        self.repeatWindow = repeatWindow
    }
}

/// One message for ``CRMDatabase/respond(to:)``: the message, and the decision to take given what the store knows
/// about its sender (run inside the transaction; no I/O).
public struct ResponderJob: Sendable {
    public var request: ResponderRequest
    public var decide: @Sendable (ResponderFacts) throws -> ResponderPlan

    public init(request: ResponderRequest, decide: @escaping @Sendable (ResponderFacts) throws -> ResponderPlan) {
        self.request = request
        self.decide = decide
    }
}

/// What ``CRMDatabase/respond(to:decide:)`` stored, and who must be alerted.
public struct ResponderOutcome: Sendable, Hashable {
    public var message: ResponderMessage
    /// True when the same message was decided before (a webhook retry): nothing was done again.
    public var replayed: Bool
    public var outbound: OutboundMail?
    /// For an urgent message: the on-call agent, their extension, and the customer's number and contact when known,
    /// so that the caller can ring the agent's phone and connect them.
    public var escalation: Escalation?

    public struct Escalation: Sendable, Hashable {
        public var userId: Int64
        public var agentExtension: String?
        public var customerPhone: String?
        public var contactId: Int64?
    }
}
