import AfterHours
import AfterHoursCapture
import AsyncHTTPClient
import Benchmark
import ResponderBenchmarkFixture
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
        let outcome = try await fixture.webhook.receive(body: body.bytes, contentType: "application/json", timestamp: body.timestamp, signatureHeader: body.signature)
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
                            request.headers.add(name: WebhookSignature.timestampHeader, value: body.timestamp)
                            request.headers.add(name: WebhookSignature.signatureHeader, value: body.signature)
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

