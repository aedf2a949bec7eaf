import Foundation
import GRDB

extension CRMDatabase {
    /// Queued mail whose attempt is due now (the store's clock), oldest first.
    public func dueOutboundMail(limit: Int = 16) throws -> [OutboundMail] {
        try writer.read { db in
            try OutboundMail.fetchAll(
                db, sql: "SELECT * FROM outboundMail WHERE state = 'queued' AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?",
                arguments: [DatabaseDate.string(now()), limit])
        }
    }

    /// How long until the next queued attempt is due (zero when one is due already); nil when nothing is queued.
    public func nextOutboundAttemptDelay() throws -> TimeInterval? {
        try writer.read { db in
            try Date.fetchOne(db, sql: "SELECT min(nextAttemptAt) FROM outboundMail WHERE state = 'queued'").map { max(0, $0.timeIntervalSince(now())) }
        }
    }

    public func outboundMail(_ id: Int64) throws -> OutboundMail? {
        try writer.read { db in try OutboundMail.fetchOne(db, key: id) }
    }

    /// All outbound mail, newest first.
    public func outboundMail(limit: Int = 100) throws -> [OutboundMail] {
        try writer.read { db in try OutboundMail.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// How many outbound mails are in each state.
    public func outboxCounts() throws -> [OutboundMail.State: Int] {
        try writer.read { db in
            var counts: [OutboundMail.State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM outboundMail GROUP BY state") {
                if let state = OutboundMail.State(rawValue: row[0]) { counts[state] = row[1] }
            }
            return counts
        }
    }

    /// Claims a queued mail for an attempt (`queued` → `sending`, one more attempt); false when it is not queued
    /// any more (another worker took it).
    public func beginSending(_ id: Int64) throws -> Bool {
        try transition(id, from: [.queued], to: .sending, sql: ", attempts = attempts + 1")
    }

    /// The message text is about to be handed to the server: from now on a failure may hide a delivery.
    public func markDelivering(_ id: Int64) throws {
        guard try transition(id, from: [.sending], to: .delivering) else { throw CRMError.conflict("outbound mail #\(id) is not being sent") }
    }

    /// The server accepted the mail: it is sent, and captured (as `activity`, filed with the thread it answers) in
    /// the same transaction.
    @discardableResult
    public func markSent(_ id: Int64, serverReply: String, activity: CapturedActivity?) throws -> OutboundMail {
        try writer.write { db in
            var activityId: Int64?
            if let activity { activityId = try capture(db, [activity], preloadColleagues: false)[0].activityId }
            try db.execute(
                sql: "UPDATE outboundMail SET state = 'sent', sentAt = ?, serverReply = ?, lastError = NULL, activityId = ? WHERE id = ?",
                arguments: [DatabaseDate.string(now()), serverReply, activityId, id])
            guard let mail = try OutboundMail.fetchOne(db, key: id) else { throw CRMError.notFound("outbound mail #\(id)") }
            return mail
        }
    }

    /// The attempt failed for certain (nothing was delivered): try again `delay` seconds from now; returns when.
    @discardableResult
    public func retryOutboundMail(_ id: Int64, error: String, after delay: TimeInterval) throws -> Date {
        try writer.write { db in
            let date = now().addingTimeInterval(delay)
            try db.execute(sql: "UPDATE outboundMail SET state = 'queued', lastError = ?, nextAttemptAt = ? WHERE id = ? AND state IN ('sending', 'delivering')",
                           arguments: [error, DatabaseDate.string(date), id])
            return date
        }
    }

    /// The server refused the mail for good (a 5xx): it is never retried.
    public func failOutboundMail(_ id: Int64, error: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE outboundMail SET state = 'failed', lastError = ? WHERE id = ?", arguments: [error, id])
        }
    }

    /// The attempt ended without the server's answer after the text went out: it may have been delivered, so it is
    /// never sent again.
    public func markUncertain(_ id: Int64, error: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE outboundMail SET state = 'uncertain', lastError = ? WHERE id = ?", arguments: [error, id])
        }
    }

    /// At start-up: attempts a previous run left half way. One stopped before the text went out is queued again;
    /// one stopped after is `uncertain` (never sent twice). Returns how many of each.
    @discardableResult
    public func recoverInterruptedSends() throws -> (requeued: Int, uncertain: Int) {
        try writer.write { db in
            try db.execute(sql: "UPDATE outboundMail SET state = 'queued', lastError = 'interrupted before sending' WHERE state = 'sending'")
            let requeued = db.changesCount
            try db.execute(sql: "UPDATE outboundMail SET state = 'uncertain', lastError = 'interrupted while the server was receiving it' WHERE state = 'delivering'")
            return (requeued, db.changesCount)
        }
    }

    private func transition(_ id: Int64, from: Set<OutboundMail.State>, to: OutboundMail.State, sql extra: String = "") throws -> Bool {
        try writer.write { db in
            let states = from.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
            try db.execute(sql: "UPDATE outboundMail SET state = ?\(extra) WHERE id = ? AND state IN (\(states))", arguments: [to.rawValue, id])
            return db.changesCount == 1
        }
    }
}
