import CRMCore
import Foundation
import Testing

@Suite struct PipelineRulesTests {
    static let allowed: [(Stage, Stage)] = [(.lead, .firm), (.firm, .account), (.account, .client), (.firm, .parked), (.account, .parked), (.account, .firm)]

    @Test("Only the design's moves are allowed", arguments: Stage.allCases)
    func onlyDesignMoves(from: Stage) {
        for to in Stage.allCases where from != .parked {
            let isAllowed = Self.allowed.contains { $0 == (from, to) }
            #expect((try? Pipeline.check(company: "Acme", from: from, to: to, parkedFrom: nil)) != nil ? isAllowed : !isAllowed,
                    "\(from) → \(to)")
        }
    }

    @Test func refusalSaysWhichMoveAndWhy() {
        let error = expectCRMError { try Pipeline.check(company: "Acme", from: .lead, to: .client, parkedFrom: nil) }
        #expect(error == .transitionNotAllowed(company: "Acme", from: .lead, to: .client, why: "stages cannot be skipped (lead → firm → account → client)"))
        #expect(error?.description == "cannot move Acme from lead to client: stages cannot be skipped (lead → firm → account → client)")
    }

    @Test func parkedRevivesOnlyToTheStageItLeft() throws {
        try Pipeline.check(company: "Acme", from: .parked, to: .account, parkedFrom: .account)
        let error = expectCRMError { try Pipeline.check(company: "Acme", from: .parked, to: .firm, parkedFrom: .account) }
        #expect(error?.description.contains("revived to the stage it left (account)") == true)
    }
}

@Suite struct PipelineStoreTests {
    @Test func agentWorksALeadThroughToClientAndEveryMoveIsHistory() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme GmbH")
        f.clock.advance(days: 2)
        let firm = try f.database.move(companyId: acme, to: .firm, actorId: f.alice, reason: "first call")
        #expect(firm.ownerId == f.alice) // a firm always has an owner: the agent who took the lead
        f.clock.advance(days: 10)
        try f.database.move(companyId: acme, to: .account, actorId: f.alice, reason: "contract signed")
        f.clock.advance(days: 30)
        try f.database.move(companyId: acme, to: .client, actorId: f.alice)

        let history = try f.database.stageHistory(companyId: acme)
        #expect(history.map(\.fromStage) == [nil, .lead, .firm, .account])
        #expect(history.map(\.toStage) == [.lead, .firm, .account, .client])
        #expect(history.map(\.actorId) == [f.sam, f.alice, f.alice, f.alice])
        #expect(history[1].reason == "first call")
        #expect(history[3].at.timeIntervalSince(history[0].at) == 42 * 86_400)
    }

    @Test func parkingRecordsStageActorReasonAndReviveReturnsThere() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        try f.database.move(companyId: acme, to: .firm, actorId: f.alice)
        try f.database.move(companyId: acme, to: .account, actorId: f.alice)
        #expect(expectCRMError { try f.database.move(companyId: acme, to: .parked, actorId: f.alice) }
            == .invalidInput("parking Acme needs a reason"))
        let parked = try f.database.move(companyId: acme, to: .parked, actorId: f.alice, reason: "budget frozen")
        #expect(parked.stage == .parked && parked.parkedFrom == .account)
        let last = try #require(f.database.stageHistory(companyId: acme).last)
        #expect(last.fromStage == .account && last.actorId == f.alice && last.reason == "budget frozen")

        #expect(expectCRMError { try f.database.move(companyId: acme, to: .firm, actorId: f.alice) } != nil)
        let revived = try f.database.move(companyId: acme, to: .account, actorId: f.alice, reason: "budget back")
        #expect(revived.stage == .account && revived.parkedFrom == nil)
    }

    @Test func refusedMoveLeavesCompanyAndHistoryAsTheyWere() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        let before = try f.database.stageHistory(companyId: acme)
        #expect(expectCRMError { try f.database.move(companyId: acme, to: .client, actorId: f.alice) } != nil)
        #expect(try f.database.company(acme).stage == .lead)
        #expect(try f.database.stageHistory(companyId: acme) == before)
    }

    @Test func rolesDecideWhoMovesAndWhoAssigns() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        // A sourcer enters leads but does not work them.
        #expect(expectCRMError { try f.database.move(companyId: acme, to: .firm, actorId: f.sam) }
            == .forbidden("Sam Sourcer is a sourcer and may not move companies through the pipeline"))
        try f.database.move(companyId: acme, to: .firm, actorId: f.alice)
        // Another agent cannot move Alice's firm; an admin can.
        guard case .forbidden = expectCRMError({ try f.database.move(companyId: acme, to: .account, actorId: f.bob) }) else {
            Issue.record("Bob moved Alice's firm"); return
        }
        // Only an admin assigns.
        #expect(expectCRMError { try f.database.assign(companyId: acme, to: f.bob, actorId: f.alice) }
            == .forbidden("Alice Agent is an agent and may not assign and reassign companies"))
        try f.database.assign(companyId: acme, to: f.bob, actorId: f.admin, reason: "Alice on leave")
        #expect(try f.database.company(acme).ownerId == f.bob)
        try f.database.move(companyId: acme, to: .account, actorId: f.bob)
        let assignments = try f.database.assignmentHistory(companyId: acme)
        #expect(assignments.map(\.fromUserId) == [nil, f.alice])
        #expect(assignments.map(\.toUserId) == [f.alice, f.bob])
        #expect(assignments.last?.actorId == f.admin && assignments.last?.reason == "Alice on leave")
    }

    @Test func adminMovingAnUnownedLeadIsToldToAssignFirst() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        let error = expectCRMError { try f.database.move(companyId: acme, to: .firm, actorId: f.admin) }
        #expect(error?.description == "cannot move Acme from lead to firm: a firm needs an owning agent: assign one first")
        try f.database.assign(companyId: acme, to: f.alice, actorId: f.admin)
        try f.database.move(companyId: acme, to: .firm, actorId: f.admin)
        #expect(try f.database.stageHistory(companyId: acme).last?.ownerId == f.alice)
    }

    @Test func deletingAUserNeedsAnAdminAndNoOwnedCompanies() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        try f.database.move(companyId: acme, to: .firm, actorId: f.alice)
        guard case .forbidden = expectCRMError({ try f.database.deleteUser(f.bob, actorId: f.alice) }) else { Issue.record("agent deleted a user"); return }
        #expect(expectCRMError { try f.database.deleteUser(f.alice, actorId: f.admin) } == .conflict("Alice Agent still owns 1 companies: reassign them first"))
        try f.database.assign(companyId: acme, to: f.bob, actorId: f.admin)
        try f.database.deleteUser(f.alice, actorId: f.admin)
        #expect(try f.database.user(f.alice).isActive == false)
        // History still names Alice as the one who made the lead a firm.
        #expect(try f.database.stageHistory(companyId: acme)[1].actorId == f.alice)
        // Her extension is free again, and she can no longer act.
        guard case .forbidden = expectCRMError({ try f.database.move(companyId: acme, to: .account, actorId: f.alice) }) else { Issue.record(); return }
    }

    @Test func unknownStageIsATypedErrorListingTheStages() {
        #expect(expectCRMError { _ = try Stage(parsing: "prospect") }
            == .invalidInput("unknown stage 'prospect': expected one of lead, firm, account, client, parked"))
        #expect((try? Stage(parsing: " Firm ")) == .firm)
    }
}
