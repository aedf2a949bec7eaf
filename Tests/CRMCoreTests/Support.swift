import CRMCore
import Foundation
import GRDB
import Testing

/// A clock tests move by hand, so history gets the times a test needs.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) { current = start } // 2026-01-01
    var now: Date { lock.withLock { current } }
    func advance(days: Double) { lock.withLock { current = current.addingTimeInterval(days * 86_400) } }
    func set(_ date: Date) { lock.withLock { current = date } }
}

/// A store in a fresh temporary SQLite file (WAL), with the team most tests need.
struct Fixture {
    let database: CRMDatabase
    let clock: TestClock
    let path: String
    var admin: Int64 = 0
    var alice: Int64 = 0 // agent, extension 201
    var bob: Int64 = 0 // agent, extension 202
    var sam: Int64 = 0 // sourcer

    init(country: String = "DE", ownDomains: Set<String> = ["ours.example"], blockedDomains: Set<String> = []) throws {
        clock = TestClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("crm.sqlite").path
        let pool = try DatabasePool(path: path, configuration: CRMDatabase.makeConfiguration())
        let clock = self.clock
        database = try CRMDatabase(pool, policy: try MatchingPolicy(defaultCountry: country, ownDomains: ownDomains, blockedDomains: blockedDomains),
                                   clock: { clock.now })
        admin = try database.addUser(name: "Ada Admin", email: "ada@ours.example", role: .admin, actorId: nil).id!
        alice = try database.addUser(name: "Alice Agent", email: "alice@ours.example", role: .agent, extensions: ["201"], phones: ["+49 171 0000201"], actorId: admin).id!
        bob = try database.addUser(name: "Bob Agent", email: "bob@ours.example", role: .agent, extensions: ["202"], actorId: admin).id!
        sam = try database.addUser(name: "Sam Sourcer", email: "sam@ours.example", role: .sourcer, actorId: admin).id!
    }

    /// Adds a lead and returns its id.
    func lead(_ name: String, domains: [String] = [], phones: [String] = [], force: Bool = true) throws -> Int64 {
        try database.addLead(NewLead(name: name, domains: domains, phones: phones), actorId: sam, force: force).id!
    }

    func count(_ table: String) throws -> Int {
        try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

func call(_ key: String, from number: String, agent: CapturedActivity.Agent? = nil, at date: Date = Date(timeIntervalSince1970: 1_767_300_000)) -> CapturedActivity {
    CapturedActivity(kind: .call, sourceKey: key, occurredAt: date, agent: agent, direction: .inbound, participants: [.phone(number)])
}

func email(_ key: String, from address: String, to: String = "alice@ours.example", at date: Date = Date(timeIntervalSince1970: 1_767_300_000)) -> CapturedActivity {
    CapturedActivity(kind: .email, sourceKey: key, occurredAt: date, agent: .email(to), direction: .inbound,
                     participants: [.email(address), .email(to)], subject: "Hello")
}

/// Expects `body` to throw a ``CRMError`` and returns it for further checks.
func expectCRMError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CRMError? {
    do {
        try body()
        Issue.record("expected a CRMError", sourceLocation: sourceLocation)
        return nil
    } catch let error as CRMError {
        return error
    } catch {
        Issue.record("expected a CRMError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
