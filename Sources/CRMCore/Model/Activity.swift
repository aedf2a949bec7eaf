import Foundation
import GRDB

/// What kind of thing happened.
public enum ActivityKind: String, Codable, Sendable, CaseIterable {
    case call, email, meeting, note
    case autoReply = "auto-reply"
}

/// Relative to our side: a customer called us (inbound), we wrote to them (outbound), or colleagues only (internal).
public enum Direction: String, Codable, Sendable, CaseIterable {
    case inbound, outbound, `internal`
}

/// Where capture filed an activity.
public enum MatchStatus: String, Codable, Sendable, CaseIterable {
    /// Attached to a company (and usually a contact).
    case matched
    /// Nothing matched yet; linked automatically when a matching contact, phone, email or domain is added.
    case unmatched
    /// Several companies fit equally well; a person decides (``CRMDatabase/resolveReview(activityId:companyId:contactId:actorId:)``).
    case review
    /// Only colleagues took part (an internal call); there is no company to attach.
    case `internal`
}

/// A captured call, email, meeting, note or auto-reply, as stored.
public struct Activity: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "activity"
    public var id: Int64?
    /// Unique per source item (PBX id + call id, mailbox + message id, calendar + event instance).
    public var sourceKey: String
    public var kind: ActivityKind
    public var occurredAt: Date
    public var agentId: Int64?
    public var direction: Direction
    public var status: MatchStatus
    public var companyId: Int64?
    public var contactId: Int64?
    public var subject: String?
    /// Source-specific details as a JSON object (duration, answered-by, message-id …).
    public var details: String
    public var capturedAt: Date
    /// When the source withdrew it (a meeting cancelled or removed from every agent's calendar); nil: it stands.
    public var cancelledAt: Date?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A phone number or email address that took part in an unmatched activity, kept for retroactive linking
/// (matched, review and internal activities do not need it: nothing will relink them automatically).
public struct ActivityParticipant: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "activityParticipant"
    public enum Kind: String, Codable, Sendable { case phone, email }
    public var activityId: Int64
    public var kind: Kind
    /// E.164 phone or lower-cased email.
    public var value: String
    /// The domain of an email address; nil for phones.
    public var domain: String?
}

/// A company a review-queue activity could belong to, and why.
public struct ReviewCandidate: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reviewCandidate"
    public var activityId: Int64
    public var companyId: Int64
    public var contactId: Int64?
    public var reason: String
}

/// "Read up to here" for one source (a mailbox, a PBX, a calendar). Saved in the same transaction as
/// the activities it covers, so a crash can neither lose nor double anything.
public struct SourceCursor: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sourceCursor"
    public var source: String
    public var value: String
    public var updatedAt: Date
    public init(source: String, value: String, updatedAt: Date = Date()) {
        self.source = source
        self.value = value
        self.updatedAt = updatedAt
    }
}
