import Foundation
import GRDB

/// A person at a company.
public struct Contact: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "contact"
    public var id: Int64?
    public var companyId: Int64
    public var firstName: String
    public var lastName: String
    public var title: String?
    /// BCP 47 language tag ("en", "ru", "de"), used to choose a template.
    public var language: String?
    public var createdAt: Date

    public init(id: Int64? = nil, companyId: Int64, firstName: String, lastName: String = "", title: String? = nil, language: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.companyId = companyId
        self.firstName = firstName
        self.lastName = lastName
        self.title = title
        self.language = language
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var fullName: String { [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ") }
}

public struct ContactPhone: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "contactPhone"
    public var contactId: Int64
    /// E.164.
    public var phone: String
    /// The contact's company, kept here so that matching a number is one index lookup.
    public var companyId: Int64
}

public struct ContactEmail: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "contactEmail"
    public var contactId: Int64
    /// Lower-cased.
    public var email: String
    /// The contact's company, kept here so that matching an address is one index lookup.
    public var companyId: Int64
}

/// A message from one colleague to another, usually about a company.
public struct Note: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "note"
    public var id: Int64?
    /// Nil: written by connectord itself (the after-hours responder's on-call alert).
    public var fromUserId: Int64?
    public var toUserId: Int64
    public var companyId: Int64?
    public var body: String
    public var createdAt: Date
    public var readAt: Date?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An email template with `{{placeholders}}`; see ``TemplateRenderer``.
public struct EmailTemplate: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "emailTemplate"
    public var id: Int64?
    public var name: String
    /// BCP 47 language tag; one template name can exist once per language.
    public var language: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
