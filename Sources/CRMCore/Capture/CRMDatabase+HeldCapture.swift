import Foundation
import GRDB

extension CRMDatabase {
    /// Capture for sources whose items change after they are captured (a calendar: a meeting is moved, cancelled,
    /// held in several agents' calendars). Everything `body` does through the ``HeldCapture`` and `cursor` is
    /// written in one transaction.
    ///
    /// `generation` counts the source's full syncs: what a full sync holds is stamped with it, and
    /// ``HeldCapture/sweep(holder:source:before:)`` at its end withdraws what it did not see again (deleted while
    /// the source could not tell us).
    public func captureHeld<T>(generation: Int64, cursor: SourceCursor? = nil, _ body: (HeldCapture) throws -> T) throws -> T {
        try writer.write { db in
            let capture = try HeldCapture(database: self, db: db, generation: generation)
            let result = try body(capture)
            try capture.matcher.flushLastActivity(db)
            if var cursor {
                cursor.updatedAt = now()
                try cursor.save(db)
            }
            return result
        }
    }
}

/// One transaction of held capture; see ``CRMDatabase/captureHeld(generation:cursor:_:)``.
///
/// A *holder* (an agent's calendar) holds activities through its *items* (a calendar event, or a recurring series):
/// ``hold(holder:item:activities:)`` says which activities an item stands for now. An activity no holder holds any
/// more is cancelled, not deleted: the CRM keeps that a meeting was planned and called off.
public final class HeldCapture {
    private let database: CRMDatabase
    private let db: Database
    let matcher: Matcher
    private let writes: CRMDatabase.ActivityWrites
    private let generation: Int64
    private let now: Date

    init(database: CRMDatabase, db: Database, generation: Int64) throws {
        self.database = database
        self.db = db
        self.generation = generation
        now = database.now()
        matcher = try Matcher(policy: database.policy, db: db, preloadColleagues: true)
        writes = try CRMDatabase.ActivityWrites(db, capturedAt: now)
    }

    // MARK: Mirror of raw source items

    /// Stores (or with nil, forgets) a raw item the source needs again later, in its group (a series).
    public func mirror(source: String, item: String, group: String, value: String?) throws {
        if let value {
            try db.cachedStatement(sql: """
                INSERT INTO sourceItem (source, item, groupKey, value, generation) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source, item) DO UPDATE SET groupKey = excluded.groupKey, value = excluded.value, generation = excluded.generation
                """).execute(arguments: [source, item, group, value, generation])
        } else {
            try db.cachedStatement(sql: "DELETE FROM sourceItem WHERE source = ? AND item = ?").execute(arguments: [source, item])
        }
    }

    /// Forgets every mirrored item of a group.
    public func forgetGroup(source: String, group: String) throws {
        try db.cachedStatement(sql: "DELETE FROM sourceItem WHERE source = ? AND groupKey = ?").execute(arguments: [source, group])
    }

    /// The mirrored items of a group, by item.
    public func mirrored(source: String, group: String) throws -> [String: String] {
        var items: [String: String] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT item, value FROM sourceItem WHERE source = ? AND groupKey = ?"),
                                       arguments: [source, group])
        while let row = try rows.next() { items[row[0]] = row[1] }
        return items
    }

    /// Every group of a source (to expand all series again as time moves on).
    public func mirroredGroups(source: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT groupKey FROM sourceItem WHERE source = ?", arguments: [source])
    }

    // MARK: Holding activities

    /// Says which activities `item` of `holder` stands for now: new ones are captured (matched like any capture),
    /// known ones updated (time, subject, details) and linked to this holder's agent; the ones the item stood for
    /// before and no longer does are released.
    @discardableResult
    public func hold(holder: String, item: String, activities: [CapturedActivity]) throws -> [CaptureOutcome] {
        var outcomes: [CaptureOutcome] = []
        var keys = Set<String>()
        for activity in activities where keys.insert(activity.sourceKey).inserted {
            outcomes.append(try upsert(activity))
            try db.cachedStatement(sql: """
                INSERT INTO heldActivity (holder, item, sourceKey, generation) VALUES (?, ?, ?, ?)
                ON CONFLICT (holder, item, sourceKey) DO UPDATE SET generation = excluded.generation
                """).execute(arguments: [holder, item, activity.sourceKey, generation])
        }
        let before = try String.fetchAll(db.cachedStatement(sql: "SELECT sourceKey FROM heldActivity WHERE holder = ? AND item = ?"),
                                         arguments: [holder, item])
        for key in before where !keys.contains(key) { try release(holder: holder, item: item, sourceKey: key) }
        return outcomes
    }

    /// Releases everything `item` of `holder` held (the event was deleted from that calendar).
    public func release(holder: String, item: String) throws {
        let keys = try String.fetchAll(db.cachedStatement(sql: "SELECT sourceKey FROM heldActivity WHERE holder = ? AND item = ?"),
                                       arguments: [holder, item])
        for key in keys { try release(holder: holder, item: item, sourceKey: key) }
    }

    /// At the end of a full sync: releases what `holder` held and the full sync stamped `generation` did not see
    /// again, and forgets the mirrored items it did not see. Returns how many items were released.
    @discardableResult
    public func sweep(holder: String, source: String, before generation: Int64) throws -> Int {
        let stale = try Row.fetchAll(db, sql: "SELECT item, sourceKey FROM heldActivity WHERE holder = ? AND generation < ?",
                                     arguments: [holder, generation])
        for row in stale { try release(holder: holder, item: row[0], sourceKey: row[1]) }
        try db.execute(sql: "DELETE FROM sourceItem WHERE source = ? AND generation < ?", arguments: [source, generation])
        return Set(stale.map { $0[0] as String }).count
    }

    private func release(holder: String, item: String, sourceKey: String) throws {
        try db.cachedStatement(sql: "DELETE FROM heldActivity WHERE holder = ? AND item = ? AND sourceKey = ?")
            .execute(arguments: [holder, item, sourceKey])
        let stillHeld = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM heldActivity WHERE sourceKey = ?)"),
                                          arguments: [sourceKey]) ?? false
        if !stillHeld {
            try db.cachedStatement(sql: "UPDATE activity SET cancelledAt = ? WHERE sourceKey = ? AND cancelledAt IS NULL")
                .execute(arguments: [DatabaseDate.string(now), sourceKey])
        }
    }

    /// Captures a new activity, or brings a known one up to date (it stands again if it had been cancelled).
    private func upsert(_ activity: CapturedActivity) throws -> CaptureOutcome {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, status FROM activity WHERE sourceKey = ?"),
                                         arguments: [activity.sourceKey]) else {
            return try database.captureOne(db, activity, matcher: matcher, writes: writes)
        }
        let id: Int64 = row[0]
        try db.cachedStatement(sql: """
            UPDATE activity SET occurredAt = ?, subject = ?, details = ?, direction = ?, cancelledAt = NULL WHERE id = ?
            """).execute(arguments: [DatabaseDate.string(activity.occurredAt), activity.subject, CRMDatabase.encodeDetails(activity.details),
                                     activity.direction.rawValue, id])
        // An activity nobody could place yet is matched again: the meeting may have gained a customer attendee. One a
        // person or the rules already placed stays where it is.
        let status = MatchStatus(rawValue: row[1]) ?? .unmatched
        let agentId = try database.resolveAgent(db, activity.agent, matcher: matcher)
        if status == .unmatched || status == .internal {
            let participants = try matcher.normalize(db, activity.participants)
            if !participants.isEmpty {
                let resolution = try matcher.resolve(db, participants, agentId: agentId ?? participants.colleagues.first)
                if resolution.status != status {
                    try db.execute(sql: "UPDATE activity SET status = ?, companyId = ?, contactId = ? WHERE id = ?",
                                   arguments: [resolution.status.rawValue, resolution.companyId, resolution.contactId, id])
                    _ = try database.file(db, activityId: id, occurredAt: activity.occurredAt, resolution, matcher: matcher)
                }
            }
        }
        return try database.recordDuplicate(db, activity, agentId: agentId, matcher: matcher) ?? .duplicate(activityId: id)
    }
}
