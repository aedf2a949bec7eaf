// `perf record` target: the webhook's decision path without the benchmark runner.
import Foundation
import ResponderBenchmarkFixture

let fixture = try ResponderFixture()
let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 5000
let bodies = (0..<count).map { _ in fixture.nextBody() }
let start = ContinuousClock.now
for body in bodies {
    _ = try fixture.webhook.receive(body: body.bytes, contentType: "application/json", timestamp: body.timestamp, signatureHeader: body.signature)
}
let elapsed = ContinuousClock.now - start
print("\(count) requests in \(elapsed): \(Int(Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))) per second")
