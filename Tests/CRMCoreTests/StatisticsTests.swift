import CRMCore
import Foundation
import Testing

/// Whole days (dates come back from SQLite with millisecond precision).
func days(_ seconds: Double?) -> Int? { seconds.map { Int(($0 / 86_400).rounded()) } }

@Suite struct StatisticsTests {
    /// January: four leads. Acme goes all the way in 40 days, Globex becomes a firm and is parked, Initech
    /// becomes an account with Bob, Hooli stays a lead. Activities are captured along the way.
    func january() throws -> (Fixture, start: Date) {
        let f = try Fixture()
        let start = f.clock.now
        let acme = try f.lead("Acme")
        let globex = try f.lead("Globex")
        let initech = try f.lead("Initech")
        _ = try f.lead("Hooli")
        f.clock.advance(days: 2)
        try f.database.move(companyId: acme, to: .firm, actorId: f.alice)
        f.clock.advance(days: 2)
        try f.database.move(companyId: globex, to: .firm, actorId: f.alice)
        try f.database.move(companyId: initech, to: .firm, actorId: f.bob)
        f.clock.advance(days: 6)
        try f.database.move(companyId: acme, to: .account, actorId: f.alice)
        try f.database.move(companyId: globex, to: .parked, actorId: f.alice, reason: "no budget")
        f.clock.advance(days: 10)
        try f.database.move(companyId: initech, to: .account, actorId: f.bob)
        f.clock.advance(days: 20)
        try f.database.move(companyId: acme, to: .client, actorId: f.alice) // day 40
        _ = try f.database.capture([
            call("c1", from: "0301111111", agent: .userId(f.alice), at: start.addingTimeInterval(86_400)),
            call("c2", from: "0301111112", agent: .userId(f.bob), at: start.addingTimeInterval(2 * 86_400)),
            email("m1", from: "x@acme.example", at: start.addingTimeInterval(3 * 86_400)),
            call("c3", from: "0301111113", agent: .userId(f.alice), at: start.addingTimeInterval(90 * 86_400)), // outside
        ])
        return (f, start)
    }

    @Test func teamStatisticsComeFromHistory() throws {
        let (f, start) = try january()
        let stats = try f.database.statistics(from: start, to: start.addingTimeInterval(60 * 86_400))
        let conversions = Dictionary(uniqueKeysWithValues: stats.conversions.map { ("\($0.from.rawValue)→\($0.to.rawValue)", $0) })
        #expect(conversions["lead→firm"]?.entered == 4 && conversions["lead→firm"]?.converted == 3 && conversions["lead→firm"]?.rate == 0.75)
        #expect(conversions["firm→account"]?.entered == 3 && conversions["firm→account"]?.converted == 2)
        #expect(conversions["account→client"]?.entered == 2 && conversions["account→client"]?.converted == 1 && conversions["account→client"]?.rate == 0.5)
        #expect(stats.created == 4 && stats.parked == 1 && stats.parkedRate == 0.25)
        let time = Dictionary(uniqueKeysWithValues: stats.timeInStage.map { ($0.stage, $0) })
        // Leads left after 2, 4 and 4 days; firms after 8 (Acme), 6 (Globex, parked) and 16 (Initech) days.
        #expect(time[.lead]?.moves == 3 && days(time[.lead]?.medianSeconds) == 4)
        #expect(time[.firm]?.moves == 3 && days(time[.firm]?.medianSeconds) == 8)
        #expect(time[.account]?.moves == 1 && days(time[.account]?.medianSeconds) == 30)
        #expect(stats.clientsWon == 1 && days(stats.medianSalesCycleSeconds) == 40)
        #expect(stats.activities["call"] == 2 && stats.activities["email"] == 1 && stats.activities["meeting"] == 0)
    }

    @Test func perAgentStatisticsCountWhatTheAgentOwned() throws {
        let (f, start) = try january()
        let bob = try f.database.statistics(from: start, to: start.addingTimeInterval(60 * 86_400), agentId: f.bob)
        let firmToAccount = try #require(bob.conversions.first { $0.from == .firm })
        #expect(firmToAccount.entered == 1 && firmToAccount.converted == 1)
        #expect(bob.clientsWon == 0 && bob.activities["call"] == 1)
        let alice = try f.database.statistics(from: start, to: start.addingTimeInterval(60 * 86_400), agentId: f.alice)
        #expect(alice.clientsWon == 1 && alice.conversions.first { $0.from == .firm }?.entered == 2)
    }

    @Test func aPeriodOnlyCountsWhatHappenedInIt() throws {
        let (f, start) = try january()
        // The first 5 days: four leads created, three became firms; nothing converted further yet.
        let early = try f.database.statistics(from: start, to: start.addingTimeInterval(5 * 86_400))
        #expect(early.conversions[0].entered == 4 && early.conversions[0].converted == 3)
        #expect(early.conversions[1].entered == 3 && early.conversions[1].converted == 0)
        #expect(early.parked == 0 && early.clientsWon == 0)
        #expect(expectCRMError { _ = try f.database.statistics(from: start, to: start) } == .invalidInput("the period must start before it ends"))
    }
}
