import AfterHours
import AfterHoursCapture
import AsyncHTTPClient
import Benchmark
import CRMCore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

// Issue #6: the webhook's decision path (verify the signature, parse, decide, remember and queue the reply in SQLite) at
// 5,000 requests/s on loopback with a p99 under 10 ms, memory flat. Every request is a different after-hours message
// from a different sender, so each one is answered: the full path, a reply queued, the message captured.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 100,
        maxDuration: .seconds(20),
        maxIterations: 20_000
    )

    // One request at a time, no HTTP: what the handler itself costs.
    Benchmark("Webhook decision path (verify, parse, decide, enqueue)", closure: { benchmark, fixture in
        let body = fixture.nextBody()
        benchmark.startMeasurement()
        let outcome = try fixture.webhook.receive(body: body.bytes, contentType: "application/json", timestamp: body.timestamp, signatureHeader: body.signature)
        benchmark.stopMeasurement()
        precondition(outcome.message.decision == .replied)
    }, setup: { try ResponderFixture() })

    // Through HTTP on loopback: 32 clients at once, 1,000 requests per sample; the figures are per request (p99 of the
    // requests' own latencies, and requests per second over the sample).
    Benchmark(
        "Webhook over HTTP on loopback, 32 concurrent clients, 1,000 requests",
        configuration: .init(metrics: [.custom("requests/s", polarity: .prefersLarger, useScalingFactor: false),
                                       .custom("p50 µs", useScalingFactor: false), .custom("p99 µs", useScalingFactor: false), .peakMemoryResident],
                             warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 20),
        closure: { benchmark, fixture in
            let server = try await fixture.server()
            let started = ContinuousClock.now
            let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        var own: [Duration] = []
                        for _ in 0..<(1000 / 32 + 1) {
                            let body = fixture.nextBody()
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/hooks/inbound")
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.headers.add(name: "X-Connectord-Timestamp", value: body.timestamp)
                            request.headers.add(name: "X-Connectord-Signature", value: body.signature)
                            request.body = .bytes(ByteBuffer(bytes: body.bytes))
                            let start = ContinuousClock.now
                            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            own.append(ContinuousClock.now - start)
                            precondition(response.status == .accepted, "\(response.status)")
                        }
                        return own
                    }
                }
                var all: [Duration] = []
                for try await part in group { all += part }
                return all.sorted()
            }
            let elapsed = ContinuousClock.now - started
            func micros(_ d: Duration) -> Int { Int(d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000) }
            benchmark.measurement(.custom("requests/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(latencies.count) / elapsed.seconds))
            benchmark.measurement(.custom("p50 µs", useScalingFactor: false), micros(latencies[latencies.count / 2]))
            benchmark.measurement(.custom("p99 µs", useScalingFactor: false), micros(latencies[latencies.count * 99 / 100]))
        }, setup: { try ResponderFixture() })
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A store with a team, 1,000 customer firms and the reply templates; bodies signed ahead (signing is the sender's cost).
final class ResponderFixture: Sendable {
    struct Body: Sendable {
        var bytes: [UInt8]
        var timestamp: String
        var signature: String
    }

    static let secret = "benchmark-secret"
    let webhook: InboundWebhook
    private let counter = Atomic<Int>(0)
    private let running = Mutex<(app: Task<Void, any Error>, port: Int)?>(nil)

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("responder-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try CRMDatabase.open(path: directory.appendingPathComponent("crm.sqlite").path,
                                            policy: try MatchingPolicy(defaultCountry: "DE", ownDomains: ["ours.example"]))
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
    func nextBody() -> Body {
        let n = counter.add(1, ordering: .relaxed).newValue
        let json = #"{"from":"Kunde \#(n) <k\#(n)@firm\#(n % 1000).example>","to":"info@ours.example","subject":"Anfrage \#(n)","#
            + #""messageId":"<req.\#(n)@firm\#(n % 1000).example>","date":"2026-11-28T22:00:00+01:00","text":"Bitte um Rückruf."}"#
        let bytes = Array(json.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        return Body(bytes: bytes, timestamp: "\(timestamp)", signature: WebhookSignature(secret: Self.secret).sign(body: bytes, timestamp: timestamp))
    }

    /// The webhook behind hummingbird on loopback, as the daemon serves it (started once, kept for every sample).
    func server() async throws -> (port: Int, Void) {
        if let port = running.withLock({ $0?.port }) { return (port, ()) }
        let router = Router()
        let webhook = self.webhook
        router.post("/hooks/inbound") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: webhook.maxBodyBytes)
            do {
                _ = try webhook.receive(body: Array(body.readableBytesView), contentType: request.headers[.contentType],
                                        timestamp: request.headers[HTTPField.Name("X-Connectord-Timestamp")!],
                                        signatureHeader: request.headers[HTTPField.Name("X-Connectord-Signature")!])
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
