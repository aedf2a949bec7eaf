@testable import CRMCore
import Foundation
import GRDB
import Testing

@Suite struct CaptureMatchingTests {
    @Test func aCallFromAContactsNumberIsFiledUnderTheContactAndTheirCompanyOnce() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme", domains: ["acme.de"])
        let anna = try f.database.addContact(companyId: acme, NewContact(firstName: "Anna", lastName: "Schmidt", phones: ["0171 2345678"]), actorId: f.sam).id!

        // The PBX writes the number in its own way; the agent answered on extension 201.
        let outcome = try f.database.capture(call("pbx1:1700000000.1", from: "004917123456 78", agent: .extension("201")))
        guard case .matched(let id, let company, let contact) = outcome else { Issue.record("not matched: \(outcome)"); return }
        #expect(company == acme && contact == anna)
        let rows = try f.database.activities(ActivityFilter(companyId: acme))
        #expect(rows.count == 1)
        #expect(rows[0].id == id && rows[0].agentName == "Alice Agent" && rows[0].contactName == "Anna Schmidt" && rows[0].kind == .call)
        #expect(try f.database.company(acme).lastActivityAt == Date(timeIntervalSince1970: 1_767_300_000))

        // The same call again (a replay, a reconnect) changes nothing.
        #expect(try f.database.capture(call("pbx1:1700000000.1", from: "+49 171 2345678", agent: .extension("201"))) == .duplicate(activityId: id))
        #expect(try f.count("activity") == 1)
    }

    @Test func aReplyStaysWithItsThreadsCompanyEvenFromAFreeMailAddress() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme", domains: ["acme.de"])
        _ = try f.lead("Other", domains: ["other.de"])
        let first = try f.database.capture(email("mail:1@acme.de", from: "anna@acme.de"))
        guard case .matched(_, acme, _) = first else { Issue.record("first message not on Acme: \(first)"); return }
        // Anna answers from her private address, copying someone at another firm: the thread decides, not the guess.
        var reply = email("mail:2@gmail.com", from: "anna.private@gmail.com")
        reply.participants.append(.email("x@other.de"))
        reply.threadSourceKeys = ["mail:unknown@nowhere", "mail:1@acme.de"]
        guard case .matched(_, acme, _) = try f.database.capture(reply) else { Issue.record("reply left its thread"); return }
        // Without a known thread the ordinary rules apply.
        var stranger = email("mail:3@other.de", from: "x@other.de")
        stranger.threadSourceKeys = ["mail:unknown@nowhere"]
        guard case .matched(_, let company, _) = try f.database.capture(stranger), company != acme else { Issue.record("thread rule misapplied"); return }
    }

    @Test func anImpossibleTimeIsRefusedNotCrashedOn() throws {
        let f = try Fixture()
        for seconds in [Double.nan, .infinity, 1e300, -1e300] {
            let bad = call("pbx1:t\(seconds)", from: "+49 30 1234567", at: Date(timeIntervalSince1970: seconds))
            let error = expectCRMError { _ = try f.database.capture(bad) }
            if case .invalidInput? = error {} else { Issue.record("expected invalidInput for \(seconds), got \(String(describing: error))") }
        }
        #expect(try f.count("activity") == 0)
    }

    @Test func aTransferredCallBelongsToEveryAgentWhoTalkedOnIt() throws {
        let f = try Fixture()
        var transferred = call("pbx1:7", from: "+49 30 1234567", agent: .extension("201"))
        // The second agent twice (a transfer back and forth), the owner once more: each is linked once.
        transferred.coAgents = [.extension("202"), .extension("202"), .extension("201"), .extension("999")]
        let id = try #require(try f.database.capture(transferred).activityId)
        #expect(try f.database.agents(ofActivity: id) == [f.alice, f.bob])
        #expect(try f.database.activities(ActivityFilter(agentId: f.bob)).map(\.id) == [id])
    }

    @Test func aContactTheSourceAlreadyKnowsWinsOverASharedNumber() throws {
        let f = try Fixture()
        let north = try f.lead("North Ltd", phones: ["030 5550000"])
        _ = try f.lead("South Ltd", phones: ["030 5550000"])
        let nina = try f.database.addContact(companyId: north, NewContact(firstName: "Nina"), actorId: f.sam).id!
        // Click-to-dial: the agent dialled Nina, through the switchboard both firms share.
        var dialled = call("pbx1:8", from: "030 5550000", agent: .extension("201"))
        dialled.direction = .outbound
        dialled.contactId = nina
        #expect(try f.database.capture(dialled) == .matched(activityId: 1, companyId: north, contactId: nina))
        // A contact that no longer exists: the ordinary rules decide (the shared number goes to the firm that
        // was active last, North, through the switchboard, not to Nina).
        var stale = call("pbx1:9", from: "030 5550000", agent: .extension("201"))
        stale.contactId = 9_999
        #expect(try f.database.capture(stale) == .matched(activityId: 2, companyId: north, contactId: nil))
    }

    @Test func emailMatchesByAddressThenByFirmDomainButNeverByFreeMailOrOurDomain() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme", domains: ["acme.de"])
        let anna = try f.database.addContact(companyId: acme, NewContact(firstName: "Anna", emails: ["Anna@Acme.de"]), actorId: f.sam).id!

        #expect(try f.database.capture(email("m1", from: "Anna Schmidt <ANNA@acme.de>")) == .matched(activityId: 1, companyId: acme, contactId: anna))
        // Someone else at acme.de: the firm, no contact.
        #expect(try f.database.capture(email("m2", from: "jens@acme.de")) == .matched(activityId: 2, companyId: acme, contactId: nil))
        // gmail.com says nothing about the firm.
        #expect(try f.database.capture(email("m3", from: "anna.private@gmail.com")) == .unmatched(activityId: 3))
        // Mail among colleagues only is not captured at all.
        #expect(try f.database.capture(email("m4", from: "bob@ours.example")) == .ignored(reason: "internal-only mail"))
        #expect(try f.count("activity") == 3)
    }

    @Test func blocklistedSendersAreNotCaptured() throws {
        let f = try Fixture(blockedDomains: ["tickets.example"])
        #expect(try f.database.capture(email("m1", from: "noreply@tickets.example")) == .ignored(reason: "every outside participant is blocklisted"))
        #expect(try f.count("activity") == 0)
    }

    @Test func anInternalCallIsKeptWithoutACompany() throws {
        let f = try Fixture()
        let internalCall = CapturedActivity(kind: .call, sourceKey: "pbx1:2", occurredAt: Date(), agent: .extension("201"), direction: .internal,
                                            participants: [.phone("201"), .phone("202")])
        guard case .internal(let id) = try f.database.capture(internalCall) else { Issue.record("internal call not kept"); return }
        #expect(try f.database.activities(ActivityFilter(status: .internal)).map(\.id) == [id])
    }

    @Test func aSharedNumberGoesToTheAgentsOwnFirmThenTheMostRecentlyActiveElseReview() throws {
        let f = try Fixture()
        // Two firms share one switchboard (a business centre).
        let north = try f.lead("North Ltd", phones: ["030 5550000"])
        let south = try f.lead("South Ltd", phones: ["030 5550000"])
        // Nobody owns either, neither was ever active: a person decides.
        guard case .review(let reviewId, let candidates) = try f.database.capture(call("c1", from: "030 5550000")) else {
            Issue.record("ambiguity was guessed"); return
        }
        #expect(Set(candidates) == [north, south])
        let queue = try f.database.reviewQueue()
        #expect(queue.map(\.activity.id) == [reviewId])
        #expect(Set(queue[0].options.map(\.companyName)) == ["North Ltd", "South Ltd"])

        // Alice owns South: her call from that number is South's.
        try f.database.assign(companyId: south, to: f.alice, actorId: f.admin)
        guard case .matched(_, let company, _) = try f.database.capture(call("c2", from: "+49305550000", agent: .extension("201"))) else {
            Issue.record("owner rule not applied"); return
        }
        #expect(company == south)
        // Bob owns neither: the most recently active (South, just now) wins.
        guard case .matched(_, let recent, _) = try f.database.capture(call("c3", from: "+49305550000", agent: .extension("202"),
                                                                            at: Date(timeIntervalSince1970: 1_767_400_000))) else {
            Issue.record("recency rule not applied"); return
        }
        #expect(recent == south)

        // The admin resolves the first call by hand.
        try f.database.resolveReview(activityId: reviewId, companyId: north, actorId: f.alice)
        #expect(try f.database.reviewQueue().isEmpty)
        #expect(try f.database.activities(ActivityFilter(companyId: north)).map(\.id) == [reviewId])
    }

    @Test func aContactsExactNumberBeatsAnotherFirmsSwitchboard() throws {
        let f = try Fixture()
        let north = try f.lead("North Ltd", phones: ["030 5550000"])
        let south = try f.lead("South Ltd")
        let pia = try f.database.addContact(companyId: south, NewContact(firstName: "Pia", phones: ["030 5550000"]), actorId: f.sam).id!
        #expect(north != south)
        #expect(try f.database.capture(call("c1", from: "030 5550000")) == .matched(activityId: 1, companyId: south, contactId: pia))
    }

    @Test func unmatchedActivitiesAreLinkedTheMomentAMatchingContactPhoneEmailOrDomainIsAdded() throws {
        let f = try Fixture()
        _ = try f.database.capture(call("c1", from: "0171 9999999"))
        _ = try f.database.capture(email("m1", from: "ceo@globex.example"))
        _ = try f.database.capture(email("m2", from: "cfo@globex.example"))
        _ = try f.database.capture(call("c2", from: "030 4444444"))
        _ = try f.database.capture(email("m3", from: "x@initech.example"))
        #expect(try f.database.activities(ActivityFilter(status: .unmatched)).count == 5)

        // A new contact with that mobile number claims the first call.
        let globex = try f.lead("Globex")
        let hank = try f.database.addContact(companyId: globex, NewContact(firstName: "Hank", phones: ["+49 171 9999999"]), actorId: f.sam).id!
        #expect(try f.database.activities(ActivityFilter(companyId: globex)).map(\.sourceKey) == ["c1"])
        #expect(try f.database.activities(ActivityFilter(companyId: globex)).first?.contactId == hank)

        // The firm's domain claims both mails from it.
        try f.database.addDomain(companyId: globex, domain: "globex.example", actorId: f.alice)
        #expect(Set(try f.database.activities(ActivityFilter(companyId: globex)).map(\.sourceKey)) == ["c1", "m1", "m2"])

        // An email added to a contact, and a switchboard added to a company.
        let initech = try f.lead("Initech")
        let peter = try f.database.addContact(companyId: initech, NewContact(firstName: "Peter"), actorId: f.sam).id!
        try f.database.addContactEmail(contactId: peter, email: "X@initech.example", actorId: f.sam)
        try f.database.addCompanyPhone(companyId: initech, phone: "+49 30 4444444", actorId: f.sam)
        #expect(Set(try f.database.activities(ActivityFilter(companyId: initech)).map(\.sourceKey)) == ["m3", "c2"])
        #expect(try f.database.activities(ActivityFilter(status: .unmatched)).isEmpty)
        // Linking is not capturing: still five activities.
        #expect(try f.count("activity") == 5)
    }

    @Test func theSameMessageInTwoAgentsMailboxesIsOneActivityLinkedToBoth() throws {
        let f = try Fixture()
        let message = CapturedActivity(kind: .email, sourceKey: "msgid:<abc@acme.de>", occurredAt: Date(), agent: .email("alice@ours.example"),
                                       direction: .inbound, participants: [.email("anna@acme.de"), .email("alice@ours.example"), .email("bob@ours.example")])
        let first = try f.database.capture(message)
        var copy = message
        copy.agent = .email("bob@ours.example")
        #expect(try f.database.capture(copy) == .duplicate(activityId: first.activityId!))
        #expect(try f.database.agents(ofActivity: first.activityId!) == [f.alice, f.bob])
        #expect(try f.database.activities(ActivityFilter(agentId: f.bob)).count == 1)
    }

    @Test func aBatchAndItsCursorAreOneTransaction() throws {
        let f = try Fixture()
        let cursor = SourceCursor(source: "pbx1", value: "event-42")
        // The second item is invalid (no source key): nothing of the batch, and not the cursor, is stored.
        let bad = [call("c1", from: "0301111111"), call("", from: "0302222222")]
        #expect(throws: CRMError.self) { try f.database.capture(bad, cursor: cursor) }
        #expect(try f.count("activity") == 0)
        #expect(try f.database.cursor(for: "pbx1") == nil)

        try f.database.capture([call("c1", from: "0301111111"), call("c2", from: "0302222222")], cursor: cursor)
        #expect(try f.count("activity") == 2)
        #expect(try f.database.cursor(for: "pbx1")?.value == "event-42")

        // Restart after a crash re-reads from the cursor's event: re-capturing changes nothing.
        let again = try f.database.capture([call("c2", from: "0302222222"), call("c3", from: "0303333333")], cursor: SourceCursor(source: "pbx1", value: "event-43"))
        #expect(again.map { if case .duplicate = $0 { true } else { false } } == [true, false])
        #expect(try f.count("activity") == 3)
        #expect(try f.database.cursor(for: "pbx1")?.value == "event-43")
    }

    @Test func unreadableParticipantsAreKeptInTheDetailsNotLost() throws {
        let f = try Fixture()
        let anonymous = call("c1", from: "anonymous")
        // "anonymous" is no number: with no customer left, the call is kept as internal, the raw text in its details.
        #expect(try f.database.capture(anonymous) == .internal(activityId: 1))
        let row = try #require(f.database.activities().first)
        #expect(row.details.contains("anonymous"))
    }
}

@Suite struct StoreTests {
    @Test func aStoreFileIsWALWithForeignKeysOn() throws {
        let f = try Fixture()
        #expect(try f.database.journalMode() == "wal")
        let database = try CRMDatabase.open(path: f.path + "-open.sqlite")
        #expect(try database.journalMode() == "wal")
        let foreignKeys = try database.writer.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(foreignKeys == true)
        // A contact of a company that does not exist is refused by the store itself.
        #expect(throws: DatabaseError.self) {
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO contact (companyId, firstName, lastName, createdAt) VALUES (999, 'x', '', '2026-01-01')")
            }
        }
    }

    @Test(arguments: [
        "SELECT userId FROM userAddress WHERE kind = 'phone' AND value = '+491'",
        "SELECT companyId, contactId FROM contactPhone WHERE phone = '+491'",
        "SELECT companyId, contactId FROM contactEmail WHERE email = 'a@b.c'",
        "SELECT companyId FROM companyPhone WHERE phone = '+491'",
        "SELECT companyId FROM companyDomain WHERE domain = 'b.c'",
        "SELECT id FROM activity WHERE sourceKey = 'k'",
        "SELECT activityId FROM activityParticipant WHERE value = '+491'",
        "SELECT activityId FROM activityParticipant WHERE domain = 'b.c'",
        "SELECT companyId FROM companyNameToken WHERE token = 'acme'",
        "SELECT id FROM company WHERE normalizedName = 'acme'",
    ])
    func everyCaptureLookupUsesAnIndex(sql: String) throws {
        let f = try Fixture()
        let plan = try f.database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX") || plan.contains("PRIMARY KEY"), "\(plan)")
        #expect(!plan.contains("SCAN"), "\(plan)")
    }

    @Test func reopeningTheFileKeepsEverything() throws {
        let f = try Fixture()
        _ = try f.lead("Acme", domains: ["acme.de"])
        _ = try f.database.capture(email("m1", from: "x@acme.de"), cursor: SourceCursor(source: "mailbox:alice", value: "uid 7"))
        let reopened = try CRMDatabase.open(path: f.path)
        #expect(try reopened.companies().map(\.name) == ["Acme"])
        #expect(try reopened.cursor(for: "mailbox:alice")?.value == "uid 7")
        #expect(try reopened.capture(email("m1", from: "x@acme.de")) == .duplicate(activityId: 1))
    }
}

@Suite struct ActivityDetailsTests {
    @Test func detailsAreStoredAsValidJSONWhateverTheyContain() throws {
        let f = try Fixture()
        let details = ["subject \"quoted\"": "line1\nline2\ttab \\ back", "name": "Ольга ☎", "control": "\u{01}", "path": "/var/spool/x.wav"]
        var activity = call("c1", from: "0301234567")
        activity.details = details
        _ = try f.database.capture(activity)
        let stored = try #require(f.database.activities().first?.details)
        let decoded = try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: String]
        #expect(decoded == details)
    }
}

@Suite struct IdentifyTests {
    @Test func identifyTellsWhoIsCallingWithoutStoringAnything() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme", domains: ["acme.de"])
        let anna = try f.database.addContact(companyId: acme, NewContact(firstName: "Anna", phones: ["0171 2345678"]), actorId: f.sam).id!
        let known = try f.database.identify([.phone("+491712345678"), .phone("201")])
        #expect(known == Identification(status: .matched, companyId: acme, contactId: anna, candidates: []))
        #expect(try f.database.identify([.phone("0800 1234567")]).status == .unmatched)
        #expect(try f.database.identify([.phone("202")]).status == .internal)
        #expect(try f.count("activity") == 0)
    }
}

@Suite struct DatabaseDateTests {
    @Test(arguments: [0.0, 1_767_225_600.123, 951_782_400.999, 4_102_444_799.5, -86_400.25, 1_709_208_000.0])
    func fastDateTextIsWhatGRDBWritesAndReadsBack(seconds: Double) throws {
        let f = try Fixture()
        let date = Date(timeIntervalSince1970: seconds)
        let (grdb, back) = try f.database.writer.read { db in
            (try String.fetchOne(db, sql: "SELECT ?", arguments: [date])!, try Date.fetchOne(db, sql: "SELECT ?", arguments: [DatabaseDate.string(date)])!)
        }
        #expect(DatabaseDate.string(date) == grdb)
        #expect(abs(back.timeIntervalSince(date)) < 0.001)
    }
}
