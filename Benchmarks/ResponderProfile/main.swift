// `perf record` target for the webhook, without the benchmark runner:
// - `ResponderProfile N`: N requests one at a time through `InboundWebhook.receive`, no HTTP;
// - `ResponderProfile N open RATE`: N requests over loopback HTTP at RATE per second (open loop, 32 connections), as
//   the benchmark target sends them; prints the rate achieved and the latency percentiles; with `SAMPLES=K`, K runs of
//   N/K requests as the benchmark target's samples are (after one more, as its warm-up): each run's p99, their median,
//   the percentiles of all their requests together, and the process's CPU time per request (user + system, the load's
//   threads included: steadier than any latency on a shared machine);
// - `ResponderProfile N serve FILE`: writes N signed requests to FILE (one per line: timestamp, signature, body,
//   tab-separated), serves the webhook on loopback (the port is in the log line), for
//   `wrk -t2 -c32 -d10s -s Benchmarks/ResponderProfile/webhook.lua http://127.0.0.1:PORT -- FILE`.
import AfterHours
import Foundation
import ResponderBenchmarkFixture

let fixture = try ResponderFixture()
let arguments = Array(CommandLine.arguments.dropFirst())
let count = Int(arguments.first ?? "") ?? 5000
let mode = arguments.count > 1 ? arguments[1] : ""
let bodies = (0..<count).map { _ in fixture.nextBody() }

switch mode {
case "serve":
    let lines = bodies.map { "\($0.timestamp)\t\($0.signature)\t\(String(decoding: $0.bytes, as: UTF8.self))\n" }.joined()
    try lines.write(toFile: arguments.count > 2 ? arguments[2] : "requests.tsv", atomically: true, encoding: .utf8)
    _ = try await fixture.server()
    while true { try await Task.sleep(for: .seconds(3600)) }
case "open":
    let rate = Double(arguments.count > 2 ? arguments[2] : "") ?? 5000
    let port = try await fixture.server().port
    func request(_ body: ResponderFixture.Body) -> [UInt8] {
        OpenLoopLoad.encode(path: "/hooks/inbound", headers: [("Content-Type", "application/json"), (WebhookSignature.timestampHeader, body.timestamp),
                                                               (WebhookSignature.signatureHeader, body.signature)], body: body.bytes)
    }
    let requests = bodies.map(request)
    if let samples = ProcessInfo.processInfo.environment["SAMPLES"].flatMap(Int.init) {
        // As the benchmark target measures: `samples` runs of count/samples requests each, a p99 per run, their median.
        let size = count / max(1, samples)
        guard samples > 0, size > 0 else { fatalError("SAMPLES must be between 1 and N (\(count))") }
        var runs: [OpenLoopLoad.Result] = []
        func cpu() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
        }
        // The benchmark target's warm-up sample first (its `warmupIterations: 1`), not counted.
        let warmUp = (0..<size).map { _ in request(fixture.nextBody()) }
        _ = await OpenLoopLoad.run(port: port, rate: rate, connections: 32, requests: warmUp, expectedStatus: 202)
        let cpu0 = cpu()
        for s in 0..<samples {
            runs.append(await OpenLoopLoad.run(port: port, rate: rate, connections: 32, requests: Array(requests[(s * size)..<((s + 1) * size)]),
                                               expectedStatus: 202))
        }
        let p99s = runs.map { $0.percentile(0.99).seconds * 1000 }
        let sorted = p99s.sorted()
        let all = OpenLoopLoad.Result.merged(runs)
        print(String(format: "CPU per request: %.1f µs", (cpu() - cpu0) / Double(size * samples)))
        let ms = { (p: Double) in String(format: "%.1f", all.percentile(p).seconds * 1000) }
        print("all \(all.latencies.count) requests: p50 \(ms(0.5)), p90 \(ms(0.9)), p99 \(ms(0.99)), p99.9 \(ms(0.999)), max \(ms(1)) ms")
        print("samples p99 ms: \(p99s.map { String(format: "%.1f", $0) }.joined(separator: " ")); median \(String(format: "%.1f", (sorted[(samples - 1) / 2] + sorted[samples / 2]) / 2))")
        // A failed request is not a fast one: a run with any is no measurement.
        guard all.errors == 0 else {
            print("\(all.errors) requests failed or were not answered 202")
            exit(1)
        }
        exit(0)
    }
    let result = await OpenLoopLoad.run(port: port, rate: rate, connections: 32, requests: requests, expectedStatus: 202)
    print("offered \(Int(rate))/s: achieved \(Int(result.requestsPerSecond))/s; p50 \(result.percentile(0.5)), p90 \(result.percentile(0.9)), "
          + "p99 \(result.percentile(0.99)), max \(result.latencies.last ?? .zero); errors \(result.errors)")
default:
    let start = ContinuousClock.now
    for body in bodies {
        _ = try await fixture.webhook.receive(body: body.bytes, contentType: "application/json", timestamp: body.timestamp, signatureHeader: body.signature)
    }
    let elapsed = ContinuousClock.now - start
    print("\(count) requests in \(elapsed): \(Int(Double(count) / elapsed.seconds)) per second")
}
