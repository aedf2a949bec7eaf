import Foundation

/// A neutral record of something that happened, handed to ``CRMDatabase/capture(_:cursor:)`` by a source
/// adapter. It carries raw identities (numbers, addresses); the core decides where it belongs.
public struct CapturedActivity: Sendable, Hashable, Codable {
    /// Who on our side the activity belongs to, as the source knows them.
    public enum Agent: Sendable, Hashable, Codable {
        case userId(Int64)
        case `extension`(String)
        case email(String)
        case phone(String)
    }

    /// Someone who took part: a phone number in any format, or an email address.
    public enum Participant: Sendable, Hashable, Codable {
        case phone(String)
        case email(String)
    }

    public var kind: ActivityKind
    /// Unique per source item; capturing the same key twice changes nothing.
    public var sourceKey: String
    public var occurredAt: Date
    public var agent: Agent?
    /// Colleagues who also took part (transfer targets of a call); the activity is theirs too.
    public var coAgents: [Agent]
    /// The contact the source already knows the activity is with (a click-to-dial call); when it exists it
    /// wins over matching by participants. Nil: matched by the rules.
    public var contactId: Int64?
    /// Source keys of the activities this one continues (the messages a reply answers, newest first): when one of
    /// them is filed on a company, this one is filed there too — a reply stays with its thread.
    public var threadSourceKeys: [String]
    public var direction: Direction
    public var participants: [Participant]
    public var subject: String?
    public var details: [String: String]

    public init(
        kind: ActivityKind,
        sourceKey: String,
        occurredAt: Date,
        agent: Agent? = nil,
        coAgents: [Agent] = [],
        contactId: Int64? = nil,
        threadSourceKeys: [String] = [],
        direction: Direction,
        participants: [Participant],
        subject: String? = nil,
        details: [String: String] = [:]
    ) {
        self.kind = kind
        self.sourceKey = sourceKey
        self.occurredAt = occurredAt
        self.agent = agent
        self.coAgents = coAgents
        self.contactId = contactId
        self.threadSourceKeys = threadSourceKeys
        self.direction = direction
        self.participants = participants
        self.subject = subject
        self.details = details
    }
}

/// What capture did with one activity.
public enum CaptureOutcome: Sendable, Hashable {
    case matched(activityId: Int64, companyId: Int64, contactId: Int64?)
    case unmatched(activityId: Int64)
    case review(activityId: Int64, candidates: [Int64])
    case `internal`(activityId: Int64)
    /// The source key was captured before; nothing changed (beyond linking a second agent).
    case duplicate(activityId: Int64)
    /// Not captured at all, and why (internal-only mail, blocklisted participants).
    case ignored(reason: String)

    public var activityId: Int64? {
        switch self {
        case .matched(let id, _, _), .unmatched(let id), .review(let id, _), .internal(let id), .duplicate(let id): id
        case .ignored: nil
        }
    }
}
