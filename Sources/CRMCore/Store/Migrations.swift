import GRDB

/// Every schema change of the store, in order. Add a migration; never edit a released one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "user") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("email", .text).notNull().unique()
                t.column("role", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("deletedAt", .datetime)
            }
            try db.create(table: "userAddress") { t in
                t.column("userId", .integer).notNull().references("user", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["kind", "value"])
            }
            try db.create(index: "userAddress_userId", on: "userAddress", columns: ["userId"])
            try db.create(table: "apiToken") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("userId", .integer).notNull().references("user", onDelete: .cascade)
                t.column("label", .text).notNull()
                t.column("tokenHash", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("revokedAt", .datetime)
            }
            try db.create(table: "company") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("normalizedName", .text).notNull().indexed()
                t.column("stage", .text).notNull().indexed()
                t.column("parkedFrom", .text)
                t.column("ownerId", .integer).references("user").indexed()
                t.column("website", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("lastActivityAt", .datetime)
            }
            // Tokens of normalised names, for the duplicate check's candidate search.
            try db.create(table: "companyNameToken") { t in
                t.column("token", .text).notNull()
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade)
                t.primaryKey(["token", "companyId"])
            }
            try db.create(index: "companyNameToken_companyId", on: "companyNameToken", columns: ["companyId"])
            try db.create(table: "companyDomain") { t in
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade).indexed()
                t.column("domain", .text).notNull().primaryKey()
            }
            try db.create(table: "companyPhone") { t in
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade)
                t.column("phone", .text).notNull()
                t.primaryKey(["phone", "companyId"])
            }
            try db.create(index: "companyPhone_companyId", on: "companyPhone", columns: ["companyId"])
            try db.create(table: "stageTransition") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade).indexed()
                t.column("fromStage", .text)
                t.column("toStage", .text).notNull()
                t.column("actorId", .integer).references("user")
                t.column("ownerId", .integer).references("user")
                t.column("at", .datetime).notNull().indexed()
                t.column("reason", .text)
            }
            try db.create(table: "assignment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade).indexed()
                t.column("fromUserId", .integer).references("user")
                t.column("toUserId", .integer).notNull().references("user")
                t.column("actorId", .integer).references("user")
                t.column("at", .datetime).notNull()
                t.column("reason", .text)
            }
            try db.create(table: "contact") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade).indexed()
                t.column("firstName", .text).notNull()
                t.column("lastName", .text).notNull()
                t.column("title", .text)
                t.column("language", .text)
                t.column("createdAt", .datetime).notNull()
            }
            // Not unique: a shared number or mailbox can belong to several people; capture then asks for review.
            // The company is kept with the number (contacts do not move between companies), so matching a
            // number or address is one descent of one B-tree, not two, in tables of millions of rows.
            try db.create(table: "contactPhone", options: .withoutRowID) { t in
                t.column("phone", .text).notNull()
                t.column("contactId", .integer).notNull().references("contact", onDelete: .cascade)
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade)
                t.primaryKey(["phone", "contactId"])
            }
            try db.create(index: "contactPhone_contactId", on: "contactPhone", columns: ["contactId"])
            try db.create(table: "contactEmail", options: .withoutRowID) { t in
                t.column("email", .text).notNull()
                t.column("contactId", .integer).notNull().references("contact", onDelete: .cascade)
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade)
                t.primaryKey(["email", "contactId"])
            }
            try db.create(index: "contactEmail_contactId", on: "contactEmail", columns: ["contactId"])
            try db.create(table: "note") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fromUserId", .integer).notNull().references("user")
                t.column("toUserId", .integer).notNull().references("user")
                t.column("companyId", .integer).references("company", onDelete: .setNull)
                t.column("body", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("readAt", .datetime)
            }
            try db.create(index: "note_toUserId", on: "note", columns: ["toUserId", "readAt"])
            try db.create(table: "emailTemplate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("language", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("body", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.uniqueKey(["name", "language"])
            }
            try db.create(table: "activity") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("sourceKey", .text).notNull().unique()
                t.column("kind", .text).notNull()
                t.column("occurredAt", .datetime).notNull().indexed()
                t.column("agentId", .integer).references("user")
                t.column("direction", .text).notNull()
                t.column("status", .text).notNull()
                t.column("companyId", .integer).references("company", onDelete: .setNull).indexed()
                t.column("contactId", .integer).references("contact", onDelete: .setNull)
                t.column("subject", .text)
                t.column("details", .text).notNull()
                t.column("capturedAt", .datetime).notNull()
            }
            // Only what waits for a person or a match is looked up by status: a partial index stays small.
            try db.execute(sql: "CREATE INDEX activity_pending ON activity(status) WHERE status IN ('unmatched', 'review')")
            // The same message in two agents' mailboxes is one activity linked to both: `activity.agentId` is the
            // first agent, this table holds the others.
            try db.create(table: "activityAgent") { t in
                t.column("activityId", .integer).notNull().references("activity", onDelete: .cascade)
                t.column("userId", .integer).notNull().references("user")
                t.primaryKey(["activityId", "userId"])
            }
            // Keyed by value (retroactive linking looks activities up by number or address); no rowid, no extra index.
            try db.create(table: "activityParticipant", options: .withoutRowID) { t in
                t.column("value", .text).notNull()
                t.column("activityId", .integer).notNull().references("activity", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("domain", .text)
                t.primaryKey(["value", "activityId"])
            }
            try db.create(index: "activityParticipant_activityId", on: "activityParticipant", columns: ["activityId"])
            try db.execute(sql: "CREATE INDEX activityParticipant_domain ON activityParticipant(domain) WHERE domain IS NOT NULL")
            try db.create(table: "reviewCandidate") { t in
                t.column("activityId", .integer).notNull().references("activity", onDelete: .cascade)
                t.column("companyId", .integer).notNull().references("company", onDelete: .cascade)
                t.column("contactId", .integer).references("contact", onDelete: .cascade)
                t.column("reason", .text).notNull()
                t.primaryKey(["activityId", "companyId"])
            }
            try db.create(table: "sourceCursor") { t in
                t.column("source", .text).notNull().primaryKey()
                t.column("value", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        // Meetings change after capture (moved, cancelled, held in several agents' calendars): a cancelled activity
        // is kept and marked; `heldActivity` says which source item of which holder (an agent's calendar) still
        // holds it; `sourceItem` mirrors the raw items a source needs again (a series' master for its exceptions).
        migrator.registerMigration("v2-held") { db in
            try db.alter(table: "activity") { t in t.add(column: "cancelledAt", .datetime) }
            try db.create(table: "heldActivity", options: .withoutRowID) { t in
                t.column("holder", .text).notNull()
                t.column("item", .text).notNull()
                t.column("sourceKey", .text).notNull()
                t.column("generation", .integer).notNull()
                t.primaryKey(["holder", "item", "sourceKey"])
            }
            try db.create(index: "heldActivity_sourceKey", on: "heldActivity", columns: ["sourceKey"])
            try db.create(table: "sourceItem", options: .withoutRowID) { t in
                t.column("source", .text).notNull()
                t.column("item", .text).notNull()
                t.column("groupKey", .text).notNull()
                t.column("value", .text).notNull()
                t.column("generation", .integer).notNull()
                // A group (a series) is read whole: the key starts with it. (Keyed by item, SQLite read every item of
                // the source to find one group's: a 20,000-event calendar took 50 s to sync.)
                t.primaryKey(["source", "groupKey", "item"])
            }
            try db.create(index: "sourceItem_item", on: "sourceItem", columns: ["source", "item"], unique: true)
        }
        // The after-hours responder: every inbound message it was asked about (its memory against webhook retries and
        // its per-sender limit), the replies waiting to be sent, and notes that come from connectord itself.
        migrator.registerMigration("v3-responder") { db in
            try db.create(table: "responderMessage") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("messageKey", .text).notNull().unique()
                t.column("sender", .text).notNull()
                t.column("receivedAt", .datetime).notNull()
                t.column("decision", .text).notNull()
                t.column("reason", .text)
                t.column("urgent", .text)
                t.column("onCallUserId", .integer).references("user", onDelete: .setNull)
                t.column("activityId", .integer).references("activity", onDelete: .setNull)
                t.column("outboundMailId", .integer)
            }
            try db.create(index: "responderMessage_sender", on: "responderMessage", columns: ["sender", "receivedAt"])
            try db.create(table: "outboundMail") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("messageId", .text).notNull().unique()
                t.column("fromAddress", .text).notNull()
                t.column("toAddress", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("body", .text).notNull()
                t.column("language", .text).notNull()
                t.column("inReplyTo", .text)
                t.column("references", .text).notNull()
                t.column("threadSourceKey", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("lastError", .text)
                t.column("sentAt", .datetime)
                t.column("serverReply", .text)
                t.column("activityId", .integer).references("activity", onDelete: .setNull)
            }
            try db.create(index: "outboundMail_due", on: "outboundMail", columns: ["state", "nextAttemptAt"])
            // A note from connectord (the on-call alert) has no author: the column becomes nullable (SQLite rebuilds).
            try db.create(table: "note_new") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fromUserId", .integer).references("user")
                t.column("toUserId", .integer).notNull().references("user")
                t.column("companyId", .integer).references("company", onDelete: .setNull)
                t.column("body", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("readAt", .datetime)
            }
            try db.execute(sql: "INSERT INTO note_new SELECT id, fromUserId, toUserId, companyId, body, createdAt, readAt FROM note")
            try db.drop(table: "note")
            try db.rename(table: "note_new", to: "note")
            try db.create(index: "note_toUserId", on: "note", columns: ["toUserId", "readAt"])
        }
        return migrator
    }
}
