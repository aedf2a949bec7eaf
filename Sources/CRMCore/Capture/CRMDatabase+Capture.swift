import Foundation
import GRDB

extension CRMDatabase {
    /// Captures one activity; see ``capture(_:cursor:)-(CapturedActivity...)``.
    @discardableResult
    public func capture(_ activity: CapturedActivity, cursor: SourceCursor? = nil) throws -> CaptureOutcome {
        try capture([activity], cursor: cursor)[0]
    }

    /// The one entry point for every source: matches each activity to a contact and company by the rules of
    /// DESIGN.md and stores it with its participants; the same source key twice changes nothing.
    ///
    /// The whole batch and `cursor` are written in one transaction: either all of it is stored, with the cursor
    /// that says so, or none of it.
    @discardableResult
    public func capture(_ activities: [CapturedActivity], cursor: SourceCursor? = nil) throws -> [CaptureOutcome] {
        try writer.write { db in
            let outcomes = try capture(db, activities, preloadColleagues: true)
            if var cursor {
                cursor.updatedAt = now()
                try cursor.save(db)
            }
            return outcomes
        }
    }

    /// Captures inside a transaction the caller holds (so that what else it writes commits with the activities).
    /// `matcher`: one the caller made in this transaction already; nil makes one.
    func capture(_ db: Database, _ activities: [CapturedActivity], preloadColleagues: Bool, matcher: Matcher? = nil) throws -> [CaptureOutcome] {
        let matcher = try matcher ?? Matcher(policy: policy, db: db, preloadColleagues: preloadColleagues)
        let writes = try ActivityWrites(db, capturedAt: now())
        var outcomes: [CaptureOutcome] = []
        outcomes.reserveCapacity(activities.count)
        for activity in activities {
            outcomes.append(try captureOne(db, activity, matcher: matcher, writes: writes))
        }
        try matcher.flushLastActivity(db)
        return outcomes
    }

    func captureOne(_ db: Database, _ captured: CapturedActivity, matcher: Matcher, writes: ActivityWrites) throws -> CaptureOutcome {
        guard !captured.sourceKey.isEmpty else { throw CRMError.invalidInput("a captured activity needs a source key") }
        // The store writes years 0001–9999; a source handing over NaN or a far-off time is refused, not crashed on.
        guard captured.occurredAt.timeIntervalSince1970.isFinite,
              (-62_135_596_800.0..<253_402_300_800.0).contains(captured.occurredAt.timeIntervalSince1970) else {
            throw CRMError.invalidInput("activity \(captured.sourceKey) has an impossible time")
        }
        let participants = try matcher.normalize(db, captured.participants)
        let agentId = try resolveAgent(db, captured.agent, matcher: matcher) ?? participants.colleagues.first

        if participants.isEmpty {
            let reason = participants.blocked > 0 ? "every outside participant is blocklisted" : captured.kind == .email ? "internal-only mail" : nil
            if let reason {
                // Stored before (by a policy since changed)? Then it is that activity again, not a new decision.
                if let duplicate = try recordDuplicate(db, captured, agentId: agentId, matcher: matcher) { return duplicate }
                return .ignored(reason: reason)
            }
        }
        let resolution: Resolution
        if let contactId = captured.contactId, let companyId = try matcher.company(ofContact: contactId) {
            resolution = Resolution(status: .matched, companyId: companyId, contactId: contactId)
        } else if participants.isEmpty {
            resolution = Resolution(status: .internal)
        } else if let thread = try threadResolution(db, captured.threadSourceKeys) {
            resolution = thread
        } else {
            resolution = try matcher.resolve(db, participants, agentId: agentId)
        }

        var details = captured.details
        if !participants.unreadable.isEmpty { details["unreadableParticipants"] = participants.unreadable.joined(separator: ", ") }
        // Inserted first and looked up only on conflict: a new activity (nearly all of them) costs one statement.
        let inserted = try writes.insertActivity.execute(
            captured.sourceKey, captured.kind.rawValue, DatabaseDate.string(captured.occurredAt), agentId, captured.direction.rawValue,
            resolution.status.rawValue, resolution.companyId, resolution.contactId, captured.subject, Self.encodeDetails(details),
            writes.capturedAt)
        guard inserted == 1 else {
            guard let duplicate = try recordDuplicate(db, captured, agentId: agentId, matcher: matcher) else {
                throw CRMError.invalidInput("activity \(captured.sourceKey) was neither stored nor found")
            }
            return duplicate
        }
        let id = db.lastInsertedRowID
        try linkCoAgents(db, captured, activityId: id, agentId: agentId, matcher: matcher)
        // Participants are kept for what retroactive linking may still claim: unmatched activities only. (Each
        // row lands on a random page of a large index; writing them for every activity doubled capture's I/O.)
        if resolution.status == .unmatched {
            for phone in participants.phones { try writes.insertParticipant.execute(id, phone, "phone", String?.none) }
            for email in participants.emails { try writes.insertParticipant.execute(id, email, "email", EmailAddress.domain(of: email)) }
        }
        return try file(db, activityId: id, occurredAt: captured.occurredAt, resolution, matcher: matcher)
    }

    /// The activity already stored under this source key, with this capture's agents linked to it; nil when there
    /// is none. The first agent stays the owner; another agent seeing the same item (the same message in two
    /// mailboxes) is linked to it.
    func recordDuplicate(_ db: Database, _ captured: CapturedActivity, agentId: Int64?, matcher: Matcher) throws -> CaptureOutcome? {
        let existing = try db.cachedStatement(sql: "SELECT id, agentId FROM activity WHERE sourceKey = ?")
        guard let row = try Row.fetchOne(existing, arguments: [captured.sourceKey]) else { return nil }
        let id: Int64 = row[0]
        let firstAgent: Int64? = row[1]
        if let agentId, agentId != firstAgent {
            if firstAgent == nil {
                try db.execute(sql: "UPDATE activity SET agentId = ? WHERE id = ?", arguments: [agentId, id])
            } else {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO activityAgent (activityId, userId) VALUES (?, ?)")
                    .execute(arguments: [id, agentId])
            }
        }
        try linkCoAgents(db, captured, activityId: id, agentId: firstAgent ?? agentId, matcher: matcher)
        return .duplicate(activityId: id)
    }

    /// Where the thread an activity continues is filed: the newest matched activity among `sourceKeys`, if any.
    private func threadResolution(_ db: Database, _ sourceKeys: [String]) throws -> Resolution? {
        guard !sourceKeys.isEmpty else { return nil }
        let keys = Array(sourceKeys.prefix(20))
        let row = try Row.fetchOne(db, sql: """
            SELECT companyId, contactId FROM activity
            WHERE sourceKey IN (\(keys.map { _ in "?" }.joined(separator: ","))) AND status = 'matched' AND companyId IS NOT NULL
            ORDER BY occurredAt DESC LIMIT 1
            """, arguments: StatementArguments(keys))
        guard let row, let companyId: Int64 = row[0] else { return nil }
        return Resolution(status: .matched, companyId: companyId, contactId: row[1])
    }

    /// The statements that store a new activity, prepared once per batch, and the batch's capture time.
    struct ActivityWrites {
        let insertActivity: HotStatement
        let insertParticipant: HotStatement
        let capturedAt: String

        init(_ db: Database, capturedAt: Date) throws {
            insertActivity = try HotStatement(db, sql: """
                INSERT INTO activity (sourceKey, kind, occurredAt, agentId, direction, status, companyId, contactId, subject, details, capturedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sourceKey) DO NOTHING
                """)
            insertParticipant = try HotStatement(db, sql: "INSERT OR IGNORE INTO activityParticipant (activityId, value, kind, domain) VALUES (?, ?, ?, ?)")
            self.capturedAt = DatabaseDate.string(capturedAt)
        }
    }

    /// Writes what matching decided (company, review candidates) and returns the outcome.
    func file(_ db: Database, activityId id: Int64, occurredAt: Date, _ resolution: Resolution, matcher: Matcher) throws -> CaptureOutcome {
        switch resolution.status {
        case .matched:
            // Written once per company at the end of the transaction; the matcher's tie-break sees it meanwhile.
            matcher.noteActivity(companyId: resolution.companyId!, at: occurredAt)
            return .matched(activityId: id, companyId: resolution.companyId!, contactId: resolution.contactId)
        case .review:
            for candidate in resolution.candidates {
                try ReviewCandidate(activityId: id, companyId: candidate.companyId, contactId: candidate.contactId, reason: candidate.reason)
                    .insert(db, onConflict: .ignore)
            }
            return .review(activityId: id, candidates: resolution.candidates.map(\.companyId))
        case .unmatched: return .unmatched(activityId: id)
        case .internal: return .internal(activityId: id)
        }
    }

    /// Links the colleagues who also took part; the owner is not linked twice.
    private func linkCoAgents(_ db: Database, _ captured: CapturedActivity, activityId: Int64, agentId: Int64?, matcher: Matcher) throws {
        for coAgent in captured.coAgents {
            guard let userId = try resolveAgent(db, coAgent, matcher: matcher), userId != agentId else { continue }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO activityAgent (activityId, userId) VALUES (?, ?)")
                .execute(arguments: [activityId, userId])
        }
    }

    func resolveAgent(_ db: Database, _ agent: CapturedActivity.Agent?, matcher: Matcher) throws -> Int64? {
        switch agent {
        case nil: return nil
        case .userId(let id): return try User.exists(db, key: id) ? id : nil
        case .extension(let ext): return try matcher.colleague(.extension, ext)
        case .email(let raw): return try EmailAddress.normalize(raw).flatMap { try matcher.colleague(.email, $0) }
        case .phone(let raw): return try policy.phones.normalize(raw).flatMap { try matcher.colleague(.phone, $0) }
        }
    }

    /// Details as a JSON object with sorted keys (what JSONEncoder writes, without its cost on the capture path).
    static func encodeDetails(_ details: [String: String]) -> String {
        guard !details.isEmpty else { return "{}" }
        var json = "{"
        for (index, key) in details.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            appendJSONString(key, to: &json)
            json += ":"
            appendJSONString(details[key]!, to: &json)
        }
        return json + "}"
    }

    private static func appendJSONString(_ text: String, to json: inout String) {
        json += "\""
        // Most values (a mail's snippet, its folder) need no escape: appended whole, not scalar by scalar.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            json += text
            json += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case let control where control.value < 0x20:
                json += "\\u" + String(repeating: "0", count: 4 - String(control.value, radix: 16).count) + String(control.value, radix: 16)
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }

    // MARK: Retroactive linking

    /// Re-runs matching for unmatched activities in which one of `values` (E.164 phones, emails) took part.
    func relinkUnmatched(_ db: Database, values: [String]) throws {
        guard !values.isEmpty else { return }
        let ids = try Int64.fetchAll(db, sql: """
            SELECT DISTINCT activity.id FROM activityParticipant JOIN activity ON activity.id = activityParticipant.activityId
            WHERE activityParticipant.value IN (\(values.map { _ in "?" }.joined(separator: ","))) AND activity.status = 'unmatched'
            """, arguments: StatementArguments(values))
        try relink(db, activityIds: ids)
    }

    /// Re-runs matching for unmatched activities with an address on `domain`.
    func relinkUnmatched(_ db: Database, domain: String) throws {
        let ids = try Int64.fetchAll(db, sql: """
            SELECT DISTINCT activity.id FROM activityParticipant JOIN activity ON activity.id = activityParticipant.activityId
            WHERE activityParticipant.domain = ? AND activity.status = 'unmatched'
            """, arguments: [domain])
        try relink(db, activityIds: ids)
    }

    private func relink(_ db: Database, activityIds: [Int64]) throws {
        guard !activityIds.isEmpty else { return }
        let matcher = try Matcher(policy: policy, db: db, preloadColleagues: false)
        for id in activityIds {
            guard let activity = try Activity.fetchOne(db, key: id) else { continue }
            var participants = NormalizedParticipants()
            for row in try ActivityParticipant.filter(Column("activityId") == id).fetchAll(db) {
                if row.kind == .phone { participants.phones.append(row.value) } else { participants.emails.append(row.value) }
            }
            let resolution = try matcher.resolve(db, participants, agentId: activity.agentId)
            guard resolution.status != .unmatched else { continue }
            try db.execute(sql: "UPDATE activity SET status = ?, companyId = ?, contactId = ? WHERE id = ?",
                           arguments: [resolution.status.rawValue, resolution.companyId, resolution.contactId, id])
            _ = try file(db, activityId: id, occurredAt: activity.occurredAt, resolution, matcher: matcher)
        }
        // In the same transaction, and an error here fails it (a swallowed one would leave recency stale).
        try matcher.flushLastActivity(db)
    }

    // MARK: Cursors

    /// The saved cursor of a source, if any.
    public func cursor(for source: String) throws -> SourceCursor? {
        try writer.read { db in try SourceCursor.fetchOne(db, key: source) }
    }
}
