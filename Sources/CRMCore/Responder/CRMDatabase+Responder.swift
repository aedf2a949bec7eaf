import Foundation
import GRDB

extension CRMDatabase {
    /// Decides and records, in one transaction, what the after-hours responder does with one inbound message: the
    /// message is remembered under its key, captured as an activity, its reply queued, and the on-call agent noted.
    ///
    /// `decide` runs inside the transaction with what the store knows about the sender, so two deliveries of the
    /// same message (a webhook retry racing the original) cannot both be answered: the second one finds the first's
    /// row and comes back `replayed`, having changed nothing.
    public func respond(to request: ResponderRequest, decide: @escaping @Sendable (ResponderFacts) throws -> ResponderPlan) throws -> ResponderOutcome {
        try respond(to: [ResponderJob(request: request, decide: decide)])[0].get()
    }

    /// ``respond(to:decide:)`` for many messages in one write transaction (group commit): each message decided in
    /// order, so a later message sees the earlier ones (the same message twice: the second is `replayed`; the same
    /// sender twice: the per-sender limit applies). One message that fails (a bad key, a template the store cannot
    /// render) is rolled back alone and reported in its place; the others are committed.
    ///
    /// Throws only when the transaction itself fails: then nothing of the batch was recorded.
    public func respond(to jobs: [ResponderJob]) throws -> [Result<ResponderOutcome, any Error>] {
        // First without a savepoint per message: a savepoint is two statements and a copy of every page the message
        // changes (its sub-journal), ~5 % of the writer's time a message, for a failure that almost never happens.
        // When a message does fail, the whole transaction is rolled back and done again with savepoints, where the
        // failing one is rolled back alone. Deciding twice is safe: a decision reads the store and writes nothing else.
        do {
            return try writer.write { db in try respondAll(db, jobs) }
        } catch is MessageFailed {
            return try writer.write { db in try respondEach(db, jobs) }
        }
    }

    /// A message failed in a transaction without savepoints: the batch is done again with them.
    private struct MessageFailed: Error {}

    /// Every message in the transaction itself: the first that fails fails the transaction (``MessageFailed``).
    private func respondAll(_ db: Database, _ jobs: [ResponderJob]) throws -> [Result<ResponderOutcome, any Error>] {
        let receivedAt = now()
        // One matcher for every message (making one prepares its statements). It remembers its lookups: the sender is
        // looked up for the decision and again by capture, and nothing here changes colleagues, contacts or domains.
        let matcher = try Matcher(policy: policy, db: db, preloadColleagues: false, rememberLookups: true)
        let templates = TemplateVersions()
        return try jobs.map { job in
            do {
                return .success(try respondOne(db, job, receivedAt: receivedAt, matcher: matcher, templates: templates))
            } catch {
                throw MessageFailed()
            }
        }
    }

    /// Each message in a savepoint of its own: one that fails is rolled back alone and reported in its place.
    private func respondEach(_ db: Database, _ jobs: [ResponderJob]) throws -> [Result<ResponderOutcome, any Error>] {
        let receivedAt = now()
        // A message that fails may leave pending state in the matcher, so the next one gets a fresh one.
        var matcher: Matcher?
        let templates = TemplateVersions()
        // The savepoint statements prepared once (GRDB's inSavepoint prepares them for every message).
        let savepoint = try db.cachedStatement(sql: "SAVEPOINT responderMessage")
        let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT responderMessage")
        let rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT responderMessage")
        return jobs.map { job in
            do {
                let current = try matcher ?? Matcher(policy: policy, db: db, preloadColleagues: false, rememberLookups: true)
                matcher = current
                try savepoint.execute()
                do {
                    let outcome = try respondOne(db, job, receivedAt: receivedAt, matcher: current, templates: templates)
                    try release.execute()
                    return .success(outcome)
                } catch {
                    try rollback.execute()
                    try release.execute()
                    throw error
                }
            } catch {
                matcher = nil
                return .failure(error)
            }
        }
    }

    private func respondOne(_ db: Database, _ job: ResponderJob, receivedAt: Date, matcher: Matcher, templates: TemplateVersions) throws -> ResponderOutcome {
        let request = job.request
        guard !request.messageKey.isEmpty else { throw CRMError.invalidInput("an inbound message needs a key") }
        // Cached statements and records built in memory throughout: this runs for every webhook request.
        // Hot statements (bound through SQLite's C API) for what every request runs; GRDB's records for the rare replay.
        if try HotStatement(db, sql: "SELECT id FROM responderMessage WHERE messageKey = ?").fetchInt64(request.messageKey) != nil,
           let earlier = try ResponderMessage.fetchOne(db.cachedStatement(sql: "SELECT * FROM responderMessage WHERE messageKey = ?"),
                                                       arguments: [request.messageKey]) {
            let outbound = try earlier.outboundMailId.flatMap {
                try OutboundMail.fetchOne(db.cachedStatement(sql: "SELECT * FROM outboundMail WHERE id = ?"), arguments: [$0])
            }
            return ResponderOutcome(message: earlier, replayed: true, outbound: outbound, escalation: nil)
        }
        let facts = try responderFacts(db, request, receivedAt: receivedAt, matcher: matcher)
        var plan = try job.decide(facts)

        var activityId: Int64?
        if let activity = request.activity {
            activityId = try capture(db, [activity], preloadColleagues: false, matcher: matcher)[0].activityId
        }
        var outbound: OutboundMail?
        if plan.decision == .replied, let draft = plan.reply {
            do {
                outbound = try queueReply(db, draft, facts: facts, threadSourceKey: request.activity?.sourceKey, at: receivedAt, templates: templates)
            } catch let error as CRMError {
                // A missing template must not lose the message: it is recorded, unanswered, with the reason.
                plan.decision = .noReply
                plan.reason = error.description
            }
        }
        var escalation: ResponderOutcome.Escalation?
        var onCallUserId: Int64?
        if !plan.urgentReasons.isEmpty, let agent = plan.onCallAgent, let user = try findUser(db, reference: agent) {
            onCallUserId = user
            escalation = try alertOnCall(db, userId: user, request: request, facts: facts, reasons: plan.urgentReasons, at: receivedAt)
        }
        let urgent = plan.urgentReasons.isEmpty ? nil : plan.urgentReasons.joined(separator: "; ")
        try HotStatement(db, sql: """
            INSERT INTO responderMessage (messageKey, sender, receivedAt, decision, reason, urgent, onCallUserId, activityId, outboundMailId)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(request.messageKey, request.sender, DatabaseDate.string(receivedAt), plan.decision.rawValue, plan.reason,
                         urgent, onCallUserId, activityId, outbound?.id)
        let message = ResponderMessage(
            id: db.lastInsertedRowID, messageKey: request.messageKey, sender: request.sender, receivedAt: receivedAt, decision: plan.decision,
            reason: plan.reason, urgent: urgent, onCallUserId: onCallUserId, activityId: activityId, outboundMailId: outbound?.id)
        return ResponderOutcome(message: message, replayed: false, outbound: outbound, escalation: escalation)
    }

    /// The responder's decisions, newest first.
    public func responderMessages(limit: Int = 100) throws -> [ResponderMessage] {
        try writer.read { db in try ResponderMessage.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    private func responderFacts(_ db: Database, _ request: ResponderRequest, receivedAt: Date, matcher: Matcher) throws -> ResponderFacts {
        var facts = ResponderFacts(receivedAt: receivedAt, recentMessagesFromSender: 0)
        let sender = try senderFacts(db, request.sender, matcher: matcher)
        facts.companyId = sender.companyId
        facts.contactId = sender.contactId
        facts.companyStage = sender.companyStage
        facts.companyOwnerId = sender.companyOwnerId
        facts.contactLanguage = sender.contactLanguage
        // The last reply and the recent count in one pass over the sender's rows (index responderMessage_sender).
        let since = request.repeatWindow.map { DatabaseDate.string(receivedAt.addingTimeInterval(-$0)) }
        try HotStatement(db, sql: """
            SELECT max(CASE WHEN decision = ? THEN receivedAt END), count(CASE WHEN receivedAt >= ? THEN 1 END)
            FROM responderMessage WHERE sender = ?
            """).forEachRow(ResponderDecision.replied.rawValue, since, request.sender) { row in
            facts.lastReplyToSender = row.text(0).flatMap { Date.fromDatabaseValue($0.databaseValue) }
            facts.recentMessagesFromSender = Int(row.int64(1) ?? 0)
        }
        return facts
    }

    /// Who `address` is: their company (its stage and owner) and contact (their language).
    private func senderFacts(_ db: Database, _ address: String, matcher: Matcher) throws -> SenderFacts {
        var facts = SenderFacts()
        let participants = try matcher.normalize(db, [.email(address)])
        guard !participants.isEmpty else { return facts }
        let resolution = try matcher.resolve(db, participants, agentId: nil)
        guard resolution.status == .matched, let companyId = resolution.companyId else { return facts }
        facts.companyId = companyId
        facts.contactId = resolution.contactId
        try HotStatement(db, sql: "SELECT stage, ownerId FROM company WHERE id = ?").forEachRow(companyId) { row in
            facts.companyStage = row.text(0).flatMap(Stage.init(rawValue:))
            facts.companyOwnerId = row.int64(1)
        }
        if let contactId = resolution.contactId {
            try HotStatement(db, sql: "SELECT language FROM contact WHERE id = ?").forEachRow(contactId) { row in facts.contactLanguage = row.text(0) }
        }
        return facts
    }

    private func queueReply(_ db: Database, _ draft: ReplyDraft, facts: ResponderFacts, threadSourceKey: String?, at date: Date,
                            templates: TemplateVersions) throws -> OutboundMail {
        let rendered = try renderTemplate(db, name: draft.template, contactId: facts.contactId, agentId: facts.companyOwnerId,
                                          fallbackLanguage: draft.fallbackLanguage, extra: ["message.subject": draft.inboundSubject],
                                          versionsRead: templates)
        let subject = rendered.subject.allSatisfy(\.isWhitespace) ? "Re: \(draft.inboundSubject)" : rendered.subject
        let stamp = DatabaseDate.string(date)
        let references = draft.references.joined(separator: " ")
        try HotStatement(db, sql: """
            INSERT INTO outboundMail (messageId, fromAddress, toAddress, subject, body, language, inReplyTo, "references", threadSourceKey,
                                      createdAt, state, attempts, nextAttemptAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?)
            """).execute(draft.messageId, draft.from, draft.to, subject, rendered.body, rendered.language, draft.inReplyTo,
                         references, threadSourceKey, stamp, stamp)
        return OutboundMail(
            id: db.lastInsertedRowID, messageId: draft.messageId, fromAddress: draft.from, toAddress: draft.to, subject: subject, body: rendered.body,
            language: rendered.language, inReplyTo: draft.inReplyTo, references: references, threadSourceKey: threadSourceKey, createdAt: date,
            state: .queued, attempts: 0, nextAttemptAt: date)
    }

    private func alertOnCall(_ db: Database, userId: Int64, request: ResponderRequest, facts: ResponderFacts, reasons: [String],
                             at date: Date) throws -> ResponderOutcome.Escalation {
        var customerPhone: String?
        if let contactId = facts.contactId {
            customerPhone = try String.fetchOne(db, sql: "SELECT phone FROM contactPhone WHERE contactId = ? ORDER BY phone", arguments: [contactId])
        }
        let subject = request.subject.isEmpty ? "(no subject)" : request.subject
        var body = "Urgent message after hours from \(request.sender): \"\(subject)\" (\(reasons.joined(separator: "; ")))."
        if let customerPhone { body += " Their number: \(customerPhone)." }
        try db.execute(sql: "INSERT INTO note (fromUserId, toUserId, companyId, body, createdAt) VALUES (NULL, ?, ?, ?, ?)",
                       arguments: [userId, facts.companyId, body, DatabaseDate.string(date)])
        let agentExtension = try String.fetchOne(db, sql: "SELECT value FROM userAddress WHERE userId = ? AND kind = 'extension' ORDER BY value",
                                                 arguments: [userId])
        return ResponderOutcome.Escalation(userId: userId, agentExtension: agentExtension, customerPhone: customerPhone, contactId: facts.contactId)
    }

    /// An active user by address (their login or any email of theirs) or by id.
    private func findUser(_ db: Database, reference: String) throws -> Int64? {
        let text = reference.trimmingCharacters(in: .whitespaces).lowercased()
        if let id = Int64(text) { return try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE id = ? AND deletedAt IS NULL", arguments: [id]) }
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE lower(email) = ? AND deletedAt IS NULL", arguments: [text]) { return id }
        return try Int64.fetchOne(
            db, sql: "SELECT u.id FROM userAddress a JOIN user u ON u.id = a.userId WHERE a.kind = 'email' AND lower(a.value) = ? AND u.deletedAt IS NULL",
            arguments: [text])
    }
}

/// Who a sender is, as the responder's facts need it.
private struct SenderFacts {
    var companyId: Int64?
    var contactId: Int64?
    var companyStage: Stage?
    var companyOwnerId: Int64?
    var contactLanguage: String?
}
