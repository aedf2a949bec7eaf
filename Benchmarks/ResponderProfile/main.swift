// `perf record` target: the webhook's decision path without the benchmark runner.
// `ResponderProfile N`: N requests one at a time, no HTTP; `ResponderProfile N http`: N requests over loopback HTTP
// from 32 concurrent clients; `ResponderProfile N serve FILE`: writes N signed requests to FILE (one per line: timestamp,
// signature, body, tab-separated), serves the webhook on loopback and prints its port, for
// `wrk -s Benchmarks/ResponderProfile/webhook.lua` (see the README).
import AfterHours
import AsyncHTTPClient
import Foundation
import Synchronization
import NIOCore
import ResponderBenchmarkFixture

let fixture = try ResponderFixture()
let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 5000
let overHTTP = CommandLine.arguments.dropFirst(2).first == "http"
let bodies = (0..<count).map { _ in fixture.nextBody() }
if CommandLine.arguments.dropFirst(2).first == "serve", let file = CommandLine.arguments.dropFirst(3).first {
    let lines = bodies.map { "\($0.timestamp)\t\($0.signature)\t\(String(decoding: $0.bytes, as: UTF8.self))\n" }.joined()
    try lines.write(toFile: file, atomically: true, encoding: .utf8)
    print("port \(try await fixture.server().port)")
    while true { try await Task.sleep(for: .seconds(3600)) }
}
let start = ContinuousClock.now
if overHTTP {
    let port = try await fixture.server().port
    let next = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<32 {
            group.addTask {
                while let index = next.take(below: count) {
                    let body = bodies[index]
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/inbound")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: WebhookSignature.timestampHeader, value: body.timestamp)
                    request.headers.add(name: WebhookSignature.signatureHeader, value: body.signature)
                    request.body = .bytes(ByteBuffer(bytes: body.bytes))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 16)
                }
            }
        }
        try await group.waitForAll()
    }
} else {
    for body in bodies {
        _ = try await fixture.webhook.receive(body: body.bytes, contentType: "application/json", timestamp: body.timestamp, signatureHeader: body.signature)
    }
}
let elapsed = ContinuousClock.now - start
print("\(count) requests in \(elapsed): \(Int(Double(count) / elapsed.seconds)) per second")

final class Counter: Sendable {
    private let value = Synchronization.Atomic<Int>(0)
    func take(below limit: Int) -> Int? {
        let index = value.add(1, ordering: .relaxed).oldValue
        return index < limit ? index : nil
    }
}
