import Foundation
import GRDB

/// Where a company stands in the pipeline: lead → firm → account → client, or parked.
public enum Stage: String, Codable, Sendable, CaseIterable, Comparable {
    case lead, firm, account, client, parked

    /// The working stages in pipeline order (parked is outside the order).
    public static let pipeline: [Stage] = [.lead, .firm, .account, .client]

    public static func < (lhs: Stage, rhs: Stage) -> Bool {
        (pipeline.firstIndex(of: lhs) ?? 99) < (pipeline.firstIndex(of: rhs) ?? 99)
    }

    /// Parses user input, with a message that lists the stages when it is not one.
    public init(parsing text: String) throws(CRMError) {
        guard let stage = Stage(rawValue: text.lowercased().trimmingCharacters(in: .whitespaces)) else {
            throw .invalidInput("unknown stage '\(text)': expected one of \(Stage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = stage
    }
}

/// A company in the CRM: a lead, a firm being worked, an account, a client, or parked.
public struct Company: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "company"
    public var id: Int64?
    public var name: String
    /// The name with case, punctuation and legal forms dropped; what the duplicate check compares.
    public var normalizedName: String
    public var stage: Stage
    /// When parked: the stage it left, where a revive returns it.
    public var parkedFrom: Stage?
    public var ownerId: Int64?
    public var website: String?
    public var createdAt: Date
    /// The time of the newest activity on it; breaks ties between candidates when matching.
    public var lastActivityAt: Date?

    public init(id: Int64? = nil, name: String, stage: Stage = .lead, ownerId: Int64? = nil, website: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.normalizedName = CompanyName.normalize(name)
        self.stage = stage
        self.ownerId = ownerId
        self.website = website
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A web/mail domain that belongs to one company (never a free-mail domain, never our own).
public struct CompanyDomain: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "companyDomain"
    public var companyId: Int64
    public var domain: String
}

/// A switchboard number of a company (E.164), as entered by the sourcer.
public struct CompanyPhone: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "companyPhone"
    public var companyId: Int64
    public var phone: String
}

/// One move through the pipeline, kept forever; statistics are computed from these rows.
public struct StageTransition: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "stageTransition"
    public var id: Int64?
    public var companyId: Int64
    /// Nil for the creation of the company.
    public var fromStage: Stage?
    public var toStage: Stage
    public var actorId: Int64?
    /// The owning agent at the time of the move; per-agent statistics are keyed on it.
    public var ownerId: Int64?
    public var at: Date
    public var reason: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One (re)assignment of a company to an agent.
public struct Assignment: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "assignment"
    public var id: Int64?
    public var companyId: Int64
    public var fromUserId: Int64?
    public var toUserId: Int64
    public var actorId: Int64?
    public var at: Date
    public var reason: String?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
