import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

extension Duration {
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A store with a team, 1,000 customer firms and the reply templates; bodies signed ahead (signing is the sender's cost).
public final class ResponderFixture: Sendable {
    public struct Body: Sendable {
        public var bytes: [UInt8]
        public var timestamp: String
        public var signature: String
    }

    static let secret = "benchmark-secret"
    public let webhook: InboundWebhook
    private let counter = Atomic<Int>(0)
    private let running = Mutex<(app: Task<Void, any Error>, port: Int)?>(nil)

    public init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("responder-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The store lives as long as the process (hundreds of MB after a run): removed when it exits. Left behind, runs
        // filled /tmp with tens of GB, and the file system's slowness showed in the p99.
        benchmarkDirectory.withLock { $0 = directory.path }
        atexit { benchmarkDirectory.withLock { if let path = $0 { try? FileManager.default.removeItem(atPath: path) } } }
        let path = directory.appendingPathComponent("crm.sqlite").path
        // As the daemon runs it: checkpoints every `WALCheckpointer.interval` from a connection of their own, never inside a
        // commit.
        let database = try CRMDatabase.open(path: path, policy: try MatchingPolicy(defaultCountry: "DE", ownDomains: ["ours.example"]),
                                            checkpointing: .background)
        let checkpointer = try WALCheckpointer(database: database)
        // `CHECKPOINT_INTERVAL_MS` (experiments only): another interval than the daemon's.
        let every = ProcessInfo.processInfo.environment["CHECKPOINT_INTERVAL_MS"].flatMap(Int.init).map(Duration.milliseconds) ?? WALCheckpointer.interval
        Thread {
            while true {
                _ = try? checkpointer.checkpoint()
                let interval = every.components
                Thread.sleep(forTimeInterval: Double(interval.seconds) + Double(interval.attoseconds) / 1e18)
            }
        }.start()
        let admin = try database.addUser(name: "Ada Admin", email: "ada@ours.example", role: .admin, actorId: nil).id!
        for n in 0..<1000 {
            let company = try database.addLead(NewLead(name: "Firm \(n)", domains: ["firm\(n).example"]), actorId: admin, force: true)
            _ = try database.addContact(companyId: company.id!, NewContact(firstName: "Kunde", lastName: "\(n)", language: n % 2 == 0 ? "de" : nil,
                                                                          emails: ["kunde@firm\(n).example"]), actorId: admin)
        }
        for language in ["en", "de"] {
            try database.addTemplate(name: "after-hours", language: language, subject: "Re: {{message.subject}}",
                                     body: "Dear {{contact.first_name}}, we answer tomorrow. ({{company.name}})", actorId: admin)
        }
        let settings = ResponderSettings(
            hours: try BusinessHours(timeZone: "Europe/Berlin", schedule: ["mon-fri 09:00-17:00"]),
            policy: AutoReplyPolicy(ownAddresses: ["info@ours.example"], ownDomains: ["ours.example"]), from: "info@ours.example")
        webhook = InboundWebhook(responder: Responder(settings: settings, database: database), signature: WebhookSignature(secret: Self.secret))
    }

    /// A new message each time: a new sender (so the per-sender limit never applies), dated on a Saturday night.
    public func nextBody() -> Body {
        let n = counter.add(1, ordering: .relaxed).newValue
        let json = #"{"from":"Kunde \#(n) <k\#(n)@firm\#(n % 1000).example>","to":"info@ours.example","subject":"Anfrage \#(n)","#
            + #""messageId":"<req.\#(n)@firm\#(n % 1000).example>","date":"2026-11-28T22:00:00+01:00","text":"Bitte um Rückruf."}"#
        let bytes = Array(json.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        return Body(bytes: bytes, timestamp: "\(timestamp)", signature: WebhookSignature(secret: Self.secret).sign(body: bytes, timestamp: timestamp))
    }

    /// The webhook behind hummingbird on loopback (started once, kept for every sample): the daemon's route without its
    /// logging, metrics and oversized-body handling, which the daemon's tests cover.
    public func server() async throws -> (port: Int, Void) {
        if let port = running.withLock({ $0?.port }) { return (port, ()) }
        let router = Router()
        let webhook = self.webhook
        let timestampField = HTTPField.Name(WebhookSignature.timestampHeader)!, signatureField = HTTPField.Name(WebhookSignature.signatureHeader)!
        router.post("/hooks/inbound") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: webhook.maxBodyBytes)
            do {
                _ = try await webhook.receive(body: Array(body.readableBytesView), contentType: request.headers[.contentType],
                                        timestamp: request.headers[timestampField], signatureHeader: request.headers[signatureField])
                return Response(status: .accepted)
            } catch let rejection as InboundWebhook.Rejection {
                return Response(status: .init(code: rejection.status))
            }
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
        })
        let task = Task { try await app.runService() }
        var iterator = stream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        running.withLock { $0 = (task, port) }
        return (port, ())
    }
}

/// The fixture's store directory, for the exit handler (a C function pointer cannot capture it).
private let benchmarkDirectory = Mutex<String?>(nil)
