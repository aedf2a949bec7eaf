import Foundation
import GRDB

/// A colleague: sourcer, agent or admin.
public struct User: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "user"
    public var id: Int64?
    public var name: String
    /// Lower-cased; unique among users.
    public var email: String
    public var role: Role
    public var createdAt: Date
    /// Set when an admin deletes the user: history keeps pointing at them, they can no longer act.
    public var deletedAt: Date?

    public init(id: Int64? = nil, name: String, email: String, role: Role, createdAt: Date = Date(), deletedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.role = role
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var isActive: Bool { deletedAt == nil }
}

/// How a colleague is reached: a PBX extension, a phone number (E.164) or an email address.
/// Capture uses these to recognise agents among the participants of a call or email.
public struct UserAddress: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "userAddress"
    public enum Kind: String, Codable, Sendable { case `extension`, phone, email }
    public var userId: Int64
    public var kind: Kind
    public var value: String
}

/// A bearer token for the HTTP API. Only a SHA-256 of the token is stored; the token itself is shown once.
public struct APIToken: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "apiToken"
    public var id: Int64?
    public var userId: Int64
    public var label: String
    public var tokenHash: String
    public var createdAt: Date
    public var revokedAt: Date?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
