import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import GRDB
import Testing

/// The webhook's path: decisions of concurrent requests written together (group commit), each as if alone.
@Suite(.timeLimit(.minutes(1)))
struct GroupCommitTests {
    typealias Team = ResponderTests.Team

    @Test("a provider delivering the same message 40 times at once: one reply, one activity, the other 39 replays of it")
    func concurrentRetriesAreAnsweredOnce() async throws {
        let team = try Team()
        let message = team.message(id: "burst.1@acme.example")
        let outcomes = try await withThrowingTaskGroup(of: ResponderOutcome.self) { group in
            for _ in 0..<40 { group.addTask { try await team.responder.decide(message) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0.replayed }.count == 1)
        #expect(Set(outcomes.map(\.message.id)).count == 1)
        #expect(outcomes.allSatisfy { $0.outbound?.id == outcomes[0].outbound?.id && $0.message.decision == .replied })
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 1)
        #expect(try team.count("SELECT count(*) FROM activity") == 1)
    }

    @Test("many senders at once: each answered once, in their language, each message captured; the per-sender limit holds within one transaction")
    func concurrentSendersAreEachDecidedAsAlone() async throws {
        let team = try Team()
        // 30 strangers, each writing twice (two different messages), and Ivan (Russian) once: 61 requests together.
        var messages = (0..<30).flatMap { n in
            [team.message(from: "person\(n)@newco\(n).example"), team.message(from: "person\(n)@newco\(n).example", subject: "again")]
        }
        messages.append(team.message(from: "ivan@acme.example", subject: "Заказ"))
        let outcomes = try await withThrowingTaskGroup(of: ResponderOutcome.self) { group in
            for message in messages { group.addTask { try await team.responder.decide(message) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let bySender = Dictionary(grouping: outcomes, by: \.message.sender)
        #expect(bySender.count == 31)
        for (sender, decided) in bySender where sender != "ivan@acme.example" {
            // One of the two is answered, the other falls under the 7-day limit, whichever came first.
            #expect(decided.map(\.message.decision).sorted { $0.rawValue < $1.rawValue } == [.limited, .replied], "\(sender)")
        }
        #expect(bySender["ivan@acme.example"]?.first?.outbound?.language == "ru")
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 31)
        #expect(try team.count("SELECT count(*) FROM activity") == 61)
        #expect(try team.count("SELECT count(*) FROM responderMessage") == 61)
    }

    @Test("one message failing inside a shared transaction is rolled back alone: the others are recorded, and it can be retried")
    func aFailingMessageDoesNotTakeTheBatchDown() throws {
        let team = try Team()
        struct Refused: Error {}
        func job(_ key: String, failing: Bool = false) -> ResponderJob {
            let sender = "\(key)@newco.example"
            let activity = CapturedActivity(kind: .email, sourceKey: "mail:\(key)@newco.example", occurredAt: team.now, direction: .inbound,
                                            participants: [.email(sender)], subject: key)
            return ResponderJob(request: ResponderRequest(messageKey: "mail:\(key)@newco.example", sender: sender, subject: key, activity: activity,
                                                          repeatWindow: nil)) { _ in
                if failing { throw Refused() }
                return ResponderPlan(decision: .businessHours)
            }
        }
        let results = try team.database.respond(to: [job("first"), job("broken", failing: true), job("third")])
        #expect((try? results[0].get())?.message.decision == .businessHours)
        #expect(throws: Refused.self) { try results[1].get() }
        #expect((try? results[2].get())?.message.decision == .businessHours)
        // Nothing of the failed one was kept; the transaction went on after its savepoint was rolled back.
        #expect(try team.count("SELECT count(*) FROM responderMessage") == 2)
        #expect(try team.count("SELECT count(*) FROM activity WHERE sourceKey = 'mail:broken@newco.example'") == 0)
        #expect(try team.count("SELECT count(*) FROM activity") == 2)
        let retried = try team.database.respond(to: [job("broken")])
        #expect((try? retried[0].get())?.replayed == false)
    }

    @Test("a store that cannot write: every request waiting in the transaction gets 503 (the provider retries) and nothing is half recorded; the retry is answered once")
    func aStoreThatCannotWriteAnswers503() async throws {
        let team = try Team()
        let signature = WebhookSignature(secret: "group-commit-secret")
        let webhook = InboundWebhook(responder: team.responder, signature: signature)
        func send(_ n: Int) async -> Result<ResponderOutcome, InboundWebhook.Rejection> {
            let json = #"{"from":"p\#(n)@newco.example","to":"info@ours.example","subject":"Hello","messageId":"<down.\#(n)@newco.example>","text":"Hi"}"#
            let body = Array(json.utf8)
            let now = Int64(Date().timeIntervalSince1970)
            do {
                return .success(try await webhook.receive(body: body, contentType: "application/json", timestamp: "\(now)",
                                                          signatureHeader: signature.sign(body: body, timestamp: now)))
            } catch {
                return .failure(error)
            }
        }
        try await team.database.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 1") }
        let refused = await withTaskGroup(of: Result<ResponderOutcome, InboundWebhook.Rejection>.self) { group in
            for n in 0..<8 { group.addTask { await send(n) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for result in refused {
            guard case .failure(let rejection) = result else { Issue.record("answered while the store cannot write"); continue }
            #expect(rejection.status == 503 && rejection.kind == "store")
        }
        try await team.database.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 0") }
        #expect(try team.count("SELECT count(*) FROM responderMessage") == 0)
        #expect(try team.count("SELECT count(*) FROM activity") == 0)
        let retried = await send(3)
        #expect((try? retried.get())?.message.decision == .replied)
        #expect((try? (await send(3)).get())?.replayed == true)
        #expect(try team.count("SELECT count(*) FROM outboundMail") == 1)
    }
}
