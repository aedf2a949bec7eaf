import Foundation
import GRDB

/// An activity with the names a person reads.
public struct ActivityRow: Sendable, Hashable, Codable, FetchableRecord {
    public var id: Int64
    public var sourceKey: String
    public var kind: ActivityKind
    public var occurredAt: Date
    public var direction: Direction
    public var status: MatchStatus
    public var companyId: Int64?
    public var companyName: String?
    public var contactId: Int64?
    public var contactName: String?
    public var agentId: Int64?
    public var agentName: String?
    public var subject: String?
    public var details: String
    /// Set when the source withdrew it (a cancelled meeting).
    public var cancelledAt: Date?
}

/// Which activities to list.
public struct ActivityFilter: Sendable, Hashable, Codable {
    public var companyId: Int64?
    public var agentId: Int64?
    public var status: MatchStatus?
    public var kind: ActivityKind?
    public var from: Date?
    public var to: Date?
    /// Default 100.
    public var limit: Int
    public init(companyId: Int64? = nil, agentId: Int64? = nil, status: MatchStatus? = nil, kind: ActivityKind? = nil, from: Date? = nil, to: Date? = nil, limit: Int = 100) {
        self.companyId = companyId
        self.agentId = agentId
        self.status = status
        self.kind = kind
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// An activity waiting for a person to choose its company.
public struct ReviewItem: Sendable, Hashable, Codable {
    public struct Option: Sendable, Hashable, Codable {
        public var companyId: Int64
        public var companyName: String
        public var contactId: Int64?
        public var reason: String
    }
    public var activity: ActivityRow
    public var options: [Option]
}

extension CRMDatabase {
    /// The activity captured under `sourceKey`, if any.
    public func activity(sourceKey: String) throws -> ActivityRow? {
        try activities(ActivityFilter(limit: 1), sourceKey: sourceKey).first
    }

    /// Activities, newest first.
    public func activities(_ filter: ActivityFilter = ActivityFilter()) throws -> [ActivityRow] {
        try activities(filter, sourceKey: nil)
    }

    private func activities(_ filter: ActivityFilter, sourceKey: String?) throws -> [ActivityRow] {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if let sourceKey { clauses.append("a.sourceKey = ?"); arguments += [sourceKey] }
        if let companyId = filter.companyId { clauses.append("a.companyId = ?"); arguments += [companyId] }
        if let agentId = filter.agentId {
            clauses.append("(a.agentId = ? OR EXISTS (SELECT 1 FROM activityAgent x WHERE x.activityId = a.id AND x.userId = ?))")
            arguments += [agentId, agentId]
        }
        if let status = filter.status { clauses.append("a.status = ?"); arguments += [status.rawValue] }
        if let kind = filter.kind { clauses.append("a.kind = ?"); arguments += [kind.rawValue] }
        if let from = filter.from { clauses.append("a.occurredAt >= ?"); arguments += [from] }
        if let to = filter.to { clauses.append("a.occurredAt < ?"); arguments += [to] }
        arguments += [max(1, filter.limit)]
        let sql = """
            SELECT a.id, a.sourceKey, a.kind, a.occurredAt, a.direction, a.status, a.companyId, company.name AS companyName,
                   a.contactId, TRIM(contact.firstName || ' ' || contact.lastName) AS contactName,
                   a.agentId, user.name AS agentName, a.subject, a.details, a.cancelledAt
            FROM activity a
            LEFT JOIN company ON company.id = a.companyId
            LEFT JOIN contact ON contact.id = a.contactId
            LEFT JOIN user ON user.id = a.agentId
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "))
            ORDER BY a.occurredAt DESC, a.id DESC LIMIT ?
            """
        return try writer.read { db in try ActivityRow.fetchAll(db, sql: sql, arguments: arguments) }
    }

    /// The activities that matching could not decide, with the companies they could belong to.
    public func reviewQueue() throws -> [ReviewItem] {
        let rows = try activities(ActivityFilter(status: .review, limit: 10_000))
        return try writer.read { db in
            try rows.map { row in
                let options = try Row.fetchAll(db, sql: """
                    SELECT r.companyId, company.name, r.contactId, r.reason FROM reviewCandidate r
                    JOIN company ON company.id = r.companyId WHERE r.activityId = ? ORDER BY r.companyId
                    """, arguments: [row.id]).map {
                    ReviewItem.Option(companyId: $0[0], companyName: $0[1], contactId: $0[2], reason: $0[3])
                }
                return ReviewItem(activity: row, options: options)
            }
        }
    }

    /// Files a review-queue (or unmatched) activity under the company a person chose.
    public func resolveReview(activityId: Int64, companyId: Int64, contactId: Int64? = nil, actorId: Int64) throws {
        try writer.write { db in
            _ = try requireActor(db, actorId, .resolveReview)
            guard let activity = try Activity.fetchOne(db, key: activityId) else { throw CRMError.notFound("activity #\(activityId)") }
            guard activity.status == .review || activity.status == .unmatched else {
                throw CRMError.invalidInput("activity #\(activityId) is \(activity.status.rawValue), not waiting for review")
            }
            _ = try requireCompany(db, companyId)
            if let contactId {
                let contact = try requireContact(db, contactId)
                guard contact.companyId == companyId else { throw CRMError.invalidInput("contact #\(contactId) does not work at company #\(companyId)") }
            }
            try db.execute(sql: "UPDATE activity SET status = 'matched', companyId = ?, contactId = ? WHERE id = ?",
                           arguments: [companyId, contactId, activityId])
            try db.execute(sql: "DELETE FROM reviewCandidate WHERE activityId = ?", arguments: [activityId])
            try db.execute(sql: "UPDATE company SET lastActivityAt = ?1 WHERE id = ?2 AND (lastActivityAt IS NULL OR lastActivityAt < ?1)",
                           arguments: [activity.occurredAt, companyId])
        }
    }

    /// The agents an activity is linked to (one call has one; the same email in two mailboxes has two).
    public func agents(ofActivity id: Int64) throws -> [Int64] {
        try writer.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT agentId FROM activity WHERE id = ?1 AND agentId IS NOT NULL
                UNION SELECT userId FROM activityAgent WHERE activityId = ?1 ORDER BY 1
                """, arguments: [id])
        }
    }
}
