import Benchmark
import CRMCore
import Foundation
import GRDB

// Figures of issue #2, on a store holding 200,000 companies and 1,000,000 contacts:
// - capture (match + write, batched): at least 20,000 activities per second;
// - a single match: under 50 µs median;
// - a duplicate check: under 20 ms per query.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(10),
        maxIterations: 1_000_000
    )

    // Backfills and imports may commit larger pages of activities; both sizes are measured.
    captureBenchmark(batchSize: 1_000, maxIterations: 200)
    captureBenchmark(batchSize: 5_000, maxIterations: 40)

    // Latency only: counting mallocs routes every allocation through the interposer (~110 per match).
    let latency = Benchmark.Configuration(metrics: [.wallClock, .throughput])

    Benchmark("Single match by phone (200k companies, 1M contacts)", configuration: latency) { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 7_919) % BenchmarkStore.contacts
            blackHole(try store.database.identify([.phone(store.phone(ofContact: index))]))
        }
    }

    Benchmark("Single match by email domain (200k companies, 1M contacts)", configuration: latency) { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 7_919) % BenchmarkStore.companies
            blackHole(try store.database.identify([.email("someone.new@\(store.domain(ofCompany: index))")]))
        }
    }

    Benchmark("Duplicate check: name + domain + phone (200k companies)") { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 104_729) % BenchmarkStore.companies
            blackHole(try store.database.checkDuplicates(LeadProbe(
                name: store.name(ofCompany: index) + " LLC", domain: "www." + store.domain(ofCompany: index), phone: "+1 212 555 0000"
            )))
        }
    }

    Benchmark("Duplicate check: name only, common words (200k companies)") { benchmark in
        let store = BenchmarkStore.shared
        for _ in benchmark.scaledIterations {
            blackHole(try store.database.checkDuplicates(LeadProbe(name: "Global Trading Systems")))
        }
    }
}

/// Capture (match + write) of `batchSize` activities per transaction; only the capture call is measured.
func captureBenchmark(batchSize: Int, maxIterations: Int) {
    Benchmark("Capture \(batchSize.formatted()) activities per transaction (200k companies, 1M contacts)",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxIterations: maxIterations)) { benchmark in
        let store = BenchmarkStore.shared
        for _ in benchmark.scaledIterations {
            let batch = store.nextBatch(size: batchSize)
            benchmark.startMeasurement()
            blackHole(try store.database.capture(batch))
            benchmark.stopMeasurement()
        }
    }
}

/// A store with 200,000 companies (each with a domain) and 1,000,000 contacts (each with a phone and an email),
/// built once per benchmark process in a temporary file.
final class BenchmarkStore: @unchecked Sendable {
    static let companies = 200_000
    static let contacts = 1_000_000
    static let shared = try! BenchmarkStore()

    let database: CRMDatabase
    private var captured = 0

    static let words = ["global", "trading", "systems", "acme", "north", "south", "blue", "green", "river", "stone", "metal", "logistics",
                        "foods", "robotics", "media", "energy", "capital", "partners", "solutions", "digital", "alpha", "nova", "prime",
                        "atlas", "orbit", "vertex", "summit", "harbor", "pioneer", "union", "ромашка", "вектор", "альфа", "сибирь"]

    func name(ofCompany index: Int) -> String {
        let w = Self.words
        return "\(w[index % w.count].capitalized) \(w[(index / w.count) % w.count].capitalized) \(index)"
    }
    func domain(ofCompany index: Int) -> String { "company\(index).example" }
    func phone(ofContact index: Int) -> String { "+1646\(String(format: "%07d", index))" }
    func email(ofContact index: Int) -> String { "person\(index)@\(domain(ofCompany: index % Self.companies))" }

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("connectord-bench-\(getpid()).sqlite").path
        // As the daemon runs it: checkpoints from a connection of their own, never inside a capture commit.
        let pool = try DatabasePool(path: path, configuration: CRMDatabase.makeConfiguration(checkpointing: .background))
        database = try CRMDatabase(pool, policy: try MatchingPolicy(defaultCountry: "US", ownDomains: ["ours.example"]))
        let agent = try database.addUser(name: "Agent", email: "agent@ours.example", role: .agent, extensions: ["201"], actorId: nil).id!
        try pool.write { db in
            let company = try db.makeStatement(sql: "INSERT INTO company (id, name, normalizedName, stage, ownerId, createdAt) VALUES (?, ?, ?, 'firm', ?, ?)")
            let token = try db.makeStatement(sql: "INSERT OR IGNORE INTO companyNameToken (token, companyId) VALUES (?, ?)")
            let domain = try db.makeStatement(sql: "INSERT INTO companyDomain (companyId, domain) VALUES (?, ?)")
            let now = Date()
            for index in 0..<Self.companies {
                let name = self.name(ofCompany: index)
                try company.execute(arguments: [index + 1, name, CompanyName.normalize(name), index % 10 == 0 ? agent : nil, now])
                for word in CompanyName.tokens(name) { try token.execute(arguments: [word, index + 1]) }
                try domain.execute(arguments: [index + 1, self.domain(ofCompany: index)])
            }
            let contact = try db.makeStatement(sql: "INSERT INTO contact (id, companyId, firstName, lastName, createdAt) VALUES (?, ?, 'Pat', ?, ?)")
            let phone = try db.makeStatement(sql: "INSERT INTO contactPhone (contactId, phone, companyId) VALUES (?, ?, ?)")
            let email = try db.makeStatement(sql: "INSERT INTO contactEmail (contactId, email, companyId) VALUES (?, ?, ?)")
            for index in 0..<Self.contacts {
                try contact.execute(arguments: [index + 1, index % Self.companies + 1, "Person \(index)", now])
                try phone.execute(arguments: [index + 1, self.phone(ofContact: index), index % Self.companies + 1])
                try email.execute(arguments: [index + 1, self.email(ofContact: index), index % Self.companies + 1])
            }
        }
        // A store that has run for a while is checkpointed: reads do not search a WAL of the whole seeding.
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        let checkpointer = try WALCheckpointer(path: path)
        let thread = Thread {
            while true {
                _ = try? checkpointer.checkpoint()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.start()
    }

    /// A realistic mix: 50% calls from known contacts, 30% mail from a firm's domain, 20% from strangers.
    func nextBatch(size: Int) -> [CapturedActivity] {
        (0..<size).map { _ in
            captured += 1
            let n = captured
            let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(n))
            switch n % 10 {
            case 0..<5:
                return CapturedActivity(kind: .call, sourceKey: "pbx:\(n)", occurredAt: date, agent: .extension("201"), direction: .inbound,
                                        participants: [.phone(phone(ofContact: (n &* 7_919) % Self.contacts)), .phone("201")])
            case 5..<8:
                return CapturedActivity(kind: .email, sourceKey: "mail:\(n)", occurredAt: date, agent: .email("agent@ours.example"), direction: .inbound,
                                        participants: [.email("new\(n)@\(domain(ofCompany: n % Self.companies))"), .email("agent@ours.example")],
                                        subject: "Re: offer", details: ["messageId": "<\(n)@mail>"])
            default:
                return CapturedActivity(kind: .call, sourceKey: "pbx:\(n)", occurredAt: date, agent: .extension("201"), direction: .inbound,
                                        participants: [.phone("+1917\(String(format: "%07d", n % 10_000_000))")])
            }
        }
    }
}
