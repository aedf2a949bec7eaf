import AfterHours
import AfterHoursCapture
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

    // Through HTTP on loopback, as a provider sends: 5,000 requests/s offered (open loop: request i is due at i/5,000 s
    // whether or not the earlier ones were answered, its latency counted from then), 32 keep-alive connections,
    // 10,000 requests (2 s) per sample. The figures: the rate achieved and the latency percentiles of the sample.
    Benchmark(
        "Webhook over HTTP on loopback at 5,000 requests/s offered (open loop, 32 connections, 10,000 requests)",
        configuration: .init(metrics: [.custom("requests/s", polarity: .prefersLarger, useScalingFactor: false),
                                       .custom("p50 µs", useScalingFactor: false), .custom("p90 µs", useScalingFactor: false),
                                       .custom("p99 µs", useScalingFactor: false), .peakMemoryResident],
                             warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 12),
        closure: { benchmark, fixture in
            let server = try await fixture.server()
            let requests = (0..<10_000).map { _ in
                let body = fixture.nextBody()
                return OpenLoopLoad.encode(path: "/hooks/inbound", headers: [
                    ("Content-Type", "application/json"), (WebhookSignature.timestampHeader, body.timestamp),
                    (WebhookSignature.signatureHeader, body.signature),
                ], body: body.bytes)
            }
            benchmark.startMeasurement()
            let result = await OpenLoopLoad.run(port: server.port, rate: 5_000, connections: 32, requests: requests, expectedStatus: 202)
            benchmark.stopMeasurement()
            precondition(result.errors == 0, "\(result.errors) requests were not answered 202")
            func micros(_ d: Duration) -> Int { Int(d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000) }
            benchmark.measurement(.custom("requests/s", polarity: .prefersLarger, useScalingFactor: false), Int(result.requestsPerSecond))
            benchmark.measurement(.custom("p50 µs", useScalingFactor: false), micros(result.percentile(0.5)))
            benchmark.measurement(.custom("p90 µs", useScalingFactor: false), micros(result.percentile(0.9)))
            benchmark.measurement(.custom("p99 µs", useScalingFactor: false), micros(result.percentile(0.99)))
        }, setup: { try ResponderFixture() })
}
