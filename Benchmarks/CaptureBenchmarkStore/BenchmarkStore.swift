import CRMCore
import Foundation
import GRDB

/// A store with 200,000 companies (each with a domain) and 1,000,000 contacts (each with a phone and an email),
/// built once per benchmark process in a temporary file (or copied from `CAPTURE_SEED`, a store seeded before, when
/// that names one: the profiling loop starts in seconds instead of a minute).
public final class BenchmarkStore: @unchecked Sendable {
    public static let companies = 200_000
    public static let contacts = 1_000_000
    public static let shared = try! BenchmarkStore()

    public let database: CRMDatabase
    private var captured = 0

    static let words = ["global", "trading", "systems", "acme", "north", "south", "blue", "green", "river", "stone", "metal", "logistics",
                        "foods", "robotics", "media", "energy", "capital", "partners", "solutions", "digital", "alpha", "nova", "prime",
                        "atlas", "orbit", "vertex", "summit", "harbor", "pioneer", "union", "ромашка", "вектор", "альфа", "сибирь"]

    public static func name(ofCompany index: Int) -> String {
        let w = words
        return "\(w[index % w.count].capitalized) \(w[(index / w.count) % w.count].capitalized) \(index)"
    }
    public static func domain(ofCompany index: Int) -> String { "company\(index).example" }
    public static func phone(ofContact index: Int) -> String { "+1646\(String(format: "%07d", index))" }
    public static func email(ofContact index: Int) -> String { "person\(index)@\(domain(ofCompany: index % Self.companies))" }

    public init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("connectord-bench-\(getpid()).sqlite").path
        let seed = ProcessInfo.processInfo.environment["CAPTURE_SEED"]
        if let seed, FileManager.default.fileExists(atPath: seed) { try FileManager.default.copyItem(atPath: seed, toPath: path) }
        // As the daemon runs it: checkpoints from a connection of their own, never inside a capture commit.
        let pool = try DatabasePool(path: path, configuration: CRMDatabase.makeConfiguration(checkpointing: .background))
        database = try CRMDatabase(pool, policy: try MatchingPolicy(defaultCountry: "US", ownDomains: ["ours.example"]))
        if try database.users().isEmpty {
            try Self.seed(pool, database)
            if let seed { try FileManager.default.copyItem(atPath: path, toPath: seed) }
        }
        let checkpointer = try WALCheckpointer(database: database)
        let thread = Thread {
            while true {
                _ = try? checkpointer.checkpoint()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.start()
    }

    /// 200,000 companies with a domain each, 1,000,000 contacts with a phone and an email each, one agent.
    private static func seed(_ pool: DatabasePool, _ database: CRMDatabase) throws {
        let agent = try database.addUser(name: "Agent", email: "agent@ours.example", role: .agent, extensions: ["201"], actorId: nil).id!
        try pool.write { db in
            let company = try db.makeStatement(sql: "INSERT INTO company (id, name, normalizedName, stage, ownerId, createdAt) VALUES (?, ?, ?, 'firm', ?, ?)")
            let token = try db.makeStatement(sql: "INSERT OR IGNORE INTO companyNameToken (token, companyId) VALUES (?, ?)")
            let domain = try db.makeStatement(sql: "INSERT INTO companyDomain (companyId, domain) VALUES (?, ?)")
            let now = Date()
            for index in 0..<companies {
                let name = Self.name(ofCompany: index)
                try company.execute(arguments: [index + 1, name, CompanyName.normalize(name), index % 10 == 0 ? agent : nil, now])
                for word in CompanyName.tokens(name) { try token.execute(arguments: [word, index + 1]) }
                try domain.execute(arguments: [index + 1, Self.domain(ofCompany: index)])
            }
            let contact = try db.makeStatement(sql: "INSERT INTO contact (id, companyId, firstName, lastName, createdAt) VALUES (?, ?, 'Pat', ?, ?)")
            let phone = try db.makeStatement(sql: "INSERT INTO contactPhone (contactId, phone, companyId) VALUES (?, ?, ?)")
            let email = try db.makeStatement(sql: "INSERT INTO contactEmail (contactId, email, companyId) VALUES (?, ?, ?)")
            for index in 0..<contacts {
                try contact.execute(arguments: [index + 1, index % Self.companies + 1, "Person \(index)", now])
                try phone.execute(arguments: [index + 1, Self.phone(ofContact: index), index % Self.companies + 1])
                try email.execute(arguments: [index + 1, Self.email(ofContact: index), index % Self.companies + 1])
            }
        }
        // A store that has run for a while is checkpointed: reads do not search a WAL of the whole seeding.
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// A realistic mix: 50% calls from known contacts, 30% mail from a firm's domain, 20% from strangers.
    public func nextBatch(size: Int) -> [CapturedActivity] {
        (0..<size).map { _ in
            captured += 1
            let n = captured
            let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(n))
            switch n % 10 {
            case 0..<5:
                return CapturedActivity(kind: .call, sourceKey: "pbx:\(n)", occurredAt: date, agent: .extension("201"), direction: .inbound,
                                        participants: [.phone(Self.phone(ofContact: (n &* 7_919) % Self.contacts)), .phone("201")])
            case 5..<8:
                return CapturedActivity(kind: .email, sourceKey: "mail:\(n)", occurredAt: date, agent: .email("agent@ours.example"), direction: .inbound,
                                        participants: [.email("new\(n)@\(Self.domain(ofCompany: n % Self.companies))"), .email("agent@ours.example")],
                                        subject: "Re: offer", details: ["messageId": "<\(n)@mail>"])
            default:
                return CapturedActivity(kind: .call, sourceKey: "pbx:\(n)", occurredAt: date, agent: .extension("201"), direction: .inbound,
                                        participants: [.phone("+1917\(String(format: "%07d", n % 10_000_000))")])
            }
        }
    }
}
