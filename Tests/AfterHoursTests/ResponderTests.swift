import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import GRDB
import Testing

/// The responder against a real SQLite file: what it decides, remembers, captures and queues for each message.
@Suite(.timeLimit(.minutes(1)))
struct ResponderTests {
    /// A team in Berlin (open Mon–Fri 09:00–17:00), a customer company with a Russian-speaking contact, templates in
    /// English and Russian, and a rota of Alice then Bob.
    final class Team: @unchecked Sendable {
        let database: CRMDatabase
        let responder: Responder
        var clock: Date
        let lock = NSLock()
        var admin: Int64 = 0, alice: Int64 = 0, bob: Int64 = 0, acme: Int64 = 0, ivan: Int64 = 0

        init(template: String = "after-hours", repeatWindow: TimeInterval? = 1800) throws {
            clock = try #require(ISO8601DateFormatter().date(from: "2026-11-24T20:00:00Z"))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("responder-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let pool = try DatabasePool(path: directory.appendingPathComponent("crm.sqlite").path, configuration: CRMDatabase.makeConfiguration())
            nonisolated(unsafe) var box: Team?
            database = try CRMDatabase(pool, policy: try MatchingPolicy(defaultCountry: "DE", ownDomains: ["ours.example"]),
                                       clock: { box!.now })
            let hours = try BusinessHours(timeZone: "Europe/Berlin", schedule: ["mon-fri 09:00-17:00"], holidays: ["2026-12-25"])
            let settings = ResponderSettings(
                hours: hours, policy: AutoReplyPolicy(ownAddresses: ["info@ours.example"], ownDomains: ["ours.example"]),
                urgency: UrgencyRules(repeatWindow: repeatWindow),
                rota: try OnCallRota(agents: ["alice@ours.example", "bob@ours.example"], since: "2026-11-23", shiftDays: 7, timeZone: hours.timeZone),
                from: "info@ours.example", template: template)
            responder = Responder(settings: settings, database: database)
            box = self
            admin = try database.addUser(name: "Ada Admin", email: "ada@ours.example", role: .admin, actorId: nil).id!
            alice = try database.addUser(name: "Alice Agent", email: "alice@ours.example", role: .agent, extensions: ["201"], actorId: admin).id!
            bob = try database.addUser(name: "Bob Agent", email: "bob@ours.example", role: .agent, extensions: ["202"], actorId: admin).id!
            acme = try database.addLead(NewLead(name: "Acme GmbH", domains: ["acme.example"]), actorId: admin).id!
            ivan = try database.addContact(companyId: acme, NewContact(firstName: "Ivan", lastName: "Petrov", language: "ru", phones: ["+49 30 5550101"],
                                                                       emails: ["ivan@acme.example"]), actorId: admin).id!
            try database.addTemplate(name: "after-hours", language: "en", subject: "Re: {{message.subject}}",
                                     body: "Dear {{contact.first_name}}, we are closed and will answer tomorrow.", actorId: admin)
            try database.addTemplate(name: "after-hours", language: "ru", subject: "Re: {{message.subject}}",
                                     body: "Здравствуйте, {{contact.first_name}}! Мы ответим завтра.", actorId: admin)
        }

        /// When set, the store's clock runs from `clock` at the pace of the real one (for the outbox's backoff).
        var tickingSince: Date?
        var now: Date { lock.withLock { tickingSince.map { clock.addingTimeInterval(Date().timeIntervalSince($0)) } ?? clock } }
        func startTicking() { lock.withLock { tickingSince = Date() } }
        func advance(_ seconds: TimeInterval) { lock.withLock { clock = clock.addingTimeInterval(seconds) } }

        func message(from: String = "ivan@acme.example", id: String? = nil, subject: String = "Offer", at: String? = nil,
                     headers: [InboundMessage.Header] = [], text: String = "Hello", returnPath: String? = nil) -> InboundMessage {
            InboundMessage(from: from, returnPath: returnPath, to: ["info@ours.example"], subject: subject, messageId: id ?? "\(UUID().uuidString)@acme.example",
                           date: at.flatMap { ISO8601DateFormatter().date(from: $0) } ?? now, headers: headers, text: text)
        }

        func count(_ sql: String) throws -> Int { try database.writer.read { db in try Int.fetchOne(db, sql: sql) ?? 0 } }
    }

    @Test("a night message from a Russian-speaking contact: a reply queued in Russian, threaded, the message captured on Acme; the same message again is answered once")
    func replyOnceInTheContactsLanguage() throws {
        let team = try Team()
        let message = team.message(id: "Night.1@Acme.Example", subject: "Заказ")
        let outcome = try team.responder.handle(message)
        #expect(outcome.message.decision == .replied)
        let mail = try #require(outcome.outbound)
        #expect(mail.language == "ru" && mail.body.contains("Ivan") && mail.body.contains("Мы ответим"))
        #expect(mail.subject == "Re: Заказ" && mail.toAddress == "ivan@acme.example" && mail.inReplyTo == "Night.1@Acme.Example")
        #expect(mail.referenceList == ["Night.1@Acme.Example"] && mail.state == .queued)
        let activity = try #require(try team.database.activity(sourceKey: "mail:Night.1@acme.example"))
        #expect(activity.companyId == team.acme && activity.direction == .inbound)

        let again = try team.responder.handle(message)
        #expect(again.replayed && again.message.id == outcome.message.id)
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 1)
        #expect(try team.count("SELECT count(*) FROM activity") == 1)
    }

    @Test("an unknown sender is answered in the configured language with empty contact placeholders and lands in unmatched")
    func unknownSender() throws {
        let team = try Team()
        let outcome = try team.responder.handle(team.message(from: "someone@newco.example"))
        let mail = try #require(outcome.outbound)
        #expect(mail.language == "en" && mail.body.hasPrefix("Dear , we are closed"))
        let activity = try #require(try team.database.activity(sourceKey: outcome.message.messageKey))
        #expect(activity.companyId == nil && activity.status == .unmatched)
    }

    @Test("business hours, a weekend, a holiday and both sides of the DST change are decided on Berlin's wall clock at the message's time")
    func businessHoursAtTheMessagesTime() throws {
        let team = try Team()
        func decision(_ at: String, from: String = "ivan@acme.example") throws -> ResponderDecision {
            try team.responder.handle(team.message(from: from, at: at)).message.decision
        }
        #expect(try decision("2026-11-24T10:00:00Z") == .businessHours)           // Tue 11:00 CET
        #expect(try decision("2026-11-24T16:30:00Z", from: "a@b1.example") == .replied) // Tue 17:30 CET
        #expect(try decision("2026-11-28T10:00:00Z", from: "a@b2.example") == .replied) // Saturday
        #expect(try decision("2026-12-25T10:00:00Z", from: "a@b3.example") == .replied) // a holiday (Friday)
        // Summer time ends 2026-10-25: 07:30 UTC is 08:30 CET on Monday the 26th (closed); 08:30 UTC is 09:30 (open).
        #expect(try decision("2026-10-26T07:30:00Z", from: "a@b4.example") == .replied)
        #expect(try decision("2026-10-26T08:30:00Z", from: "a@b5.example") == .businessHours)
        // In summer time, 07:30 UTC is already 09:30 CEST.
        #expect(try decision("2026-10-23T07:30:00Z", from: "a@b6.example") == .businessHours)
    }

    @Test("RFC 3834: robots, lists, bounces, suppression and ourselves are never answered; robots are not captured either")
    func suppression() throws {
        let team = try Team()
        let cases: [(InboundMessage, AutoReplyPolicy.Refusal)] = [
            (team.message(from: "mailer-daemon@acme.example"), .systemSender),
            (team.message(from: "noreply@acme.example"), .systemSender),
            (team.message(from: "ivan@acme.example", returnPath: ""), .nullSender),
            (team.message(headers: [.init("Auto-Submitted", "auto-replied")]), .autoSubmitted),
            (team.message(headers: [.init("Precedence", "bulk")]), .bulk),
            (team.message(headers: [.init("List-Id", "<news.acme.example>")]), .mailingList),
            (team.message(headers: [.init("X-Auto-Response-Suppress", "OOF, AutoReply")]), .suppressed),
            (team.message(from: "alice@ours.example"), .ownAddress),
        ]
        for (message, refusal) in cases {
            let outcome = try team.responder.handle(message)
            #expect(outcome.message.decision == .refused && outcome.message.reason == refusal.rawValue, "\(refusal)")
            #expect(outcome.outbound == nil)
        }
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 0)
        // Robots are not captured; the suppression header (a person's Outlook) is; our own mail is internal, ignored.
        #expect(try team.count("SELECT count(*) FROM activity") == 1)
        // `Auto-Submitted: no` is a person.
        #expect(try team.responder.handle(team.message(headers: [.init("Auto-Submitted", "no")])).message.decision == .replied)
    }

    @Test("one automatic reply per sender per 7 days: the second message is limited, the eighth day answered again")
    func perSenderLimit() throws {
        let team = try Team(repeatWindow: nil)
        #expect(try team.responder.handle(team.message()).message.decision == .replied)
        team.advance(3 * 86_400)
        let second = try team.responder.handle(team.message())
        #expect(second.message.decision == .limited && second.outbound == nil)
        #expect(second.message.reason?.contains("7 days") == true)
        team.advance(4 * 86_400 + 60)
        #expect(try team.responder.handle(team.message()).message.decision == .replied)
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 2)
    }

    @Test("urgent by keyword (Russian), by a client company and by a repeat: the on-call agent of the week gets a note and the call details")
    func urgentReachesOnCall() throws {
        let team = try Team()
        // Week of 2026-11-23 is Alice's turn.
        let urgent = try team.responder.handle(team.message(subject: "Сервер упал", text: "Это СРОЧНО, пожалуйста"))
        #expect(urgent.message.urgent == "keyword 'срочно'")
        let escalation = try #require(urgent.escalation)
        #expect(escalation.userId == team.alice && escalation.agentExtension == "201" && escalation.customerPhone == "+49305550101")
        let notes = try team.database.notes(for: team.alice)
        #expect(notes.count == 1 && notes[0].fromUserId == nil && notes[0].companyId == team.acme && notes[0].body.contains("Сервер упал"))

        // "urgently" inside another word is no keyword; a second message within 30 minutes is a repeat.
        team.advance(600)
        let repeatMessage = try team.responder.handle(team.message(subject: "nonurgent question"))
        #expect(repeatMessage.message.urgent == "2 messages within 30 minutes")
        #expect(repeatMessage.message.decision == .limited)

        // Next week is Bob's; Acme became a client.
        team.advance(7 * 86_400)
        _ = try team.database.assign(companyId: team.acme, to: team.alice, actorId: team.admin)
        _ = try team.database.move(companyId: team.acme, to: .firm, actorId: team.admin)
        _ = try team.database.move(companyId: team.acme, to: .account, actorId: team.admin)
        _ = try team.database.move(companyId: team.acme, to: .client, actorId: team.admin)
        let client = try team.responder.handle(team.message(subject: "question"))
        #expect(client.message.urgent == "the sender's company is a client" && client.escalation?.userId == team.bob)

        let calm = try team.responder.handle(team.message(from: "someone@newco.example", subject: "a normal question about emergencies", text: "insurgents, nonurgent"))
        #expect(calm.message.urgent == nil && calm.escalation == nil)
    }

    @Test("a reply from a stranger's private address stays with its thread's company (In-Reply-To, from JSON)")
    func threadKeepsTheCompany() throws {
        let team = try Team()
        try team.database.capture(CapturedActivity(kind: .email, sourceKey: "mail:offer.1@ours.example", occurredAt: team.now, agent: .email("alice@ours.example"),
                                                   direction: .outbound, participants: [.email("ivan@acme.example")], subject: "Offer"))
        let json = #"{"from": "ivan.private@gmail.com", "subject": "Re: Offer", "messageId": "<p.1@gmail.com>", "date": "2026-11-24T21:00:00Z", "headers": {"In-Reply-To": "<offer.1@ours.example>"}}"#
        let message = try InboundMessage.parse(json: Array(json.utf8))
        #expect(message.inReplyTo == ["offer.1@ours.example"])
        let outcome = try team.responder.handle(message)
        let activity = try #require(try team.database.activity(sourceKey: outcome.message.messageKey))
        #expect(activity.companyId == team.acme)
    }

    @Test("a missing template loses nothing: the message is recorded unanswered with the reason")
    func missingTemplate() throws {
        let team = try Team(template: "no-such-template")
        let outcome = try team.responder.handle(team.message())
        #expect(outcome.message.decision == .noReply && outcome.message.reason?.contains("no-such-template") == true)
        #expect(outcome.outbound == nil && outcome.message.activityId != nil)
    }
}
