import AsteriskAMI
import Foundation
import NIOCore

// A plain loop for `perf record` (the benchmark runner needs its host): decode (+ track, with `track`) AMI_STREAM,
// `ROUNDS` times (default 1; more rounds make the file's loading a small part of a profile). `MEMORY=1` prints the
// process's private memory (`RssAnon`: the stream's two copies plus what decoding and tracking hold) every 100,000
// events, to show that tracking a long stream does not grow.
let data = FileManager.default.contents(atPath: ProcessInfo.processInfo.environment["AMI_STREAM"] ?? "/tmp/ami-1m.ami")!
let bytes = [UInt8](data)
let trackCalls = CommandLine.arguments.contains("track")
let showMemory = ProcessInfo.processInfo.environment["MEMORY"] != nil
let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 1
let directory = AgentDirectory(devices: ["SIP/150010001": "201", "SIP/150010002": "202", "SIP/150010003": "203"])

/// One pass over the stream; locals only, as in the benchmark (globals would add exclusivity checks).
func run() throws {
    var tracker = CallTracker(directory: directory)
    var calls: [CallRecord] = []
    var decoder = AMIDecoder()
    var buffer = ByteBuffer()
    buffer.reserveCapacity(256 << 10)
    var events = 0, total = 0
    var offset = 0
    let clock = ContinuousClock()
    let start = clock.now
    while offset < bytes.count {
        let size = min(65_536, bytes.count - offset)
        bytes.withUnsafeBytes { raw in _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size])) }
        offset += size
        let now = Date()
        while let frame = try decoder.decode(buffer: &buffer) {
            if case .message(let message) = frame {
                events += 1
                if showMemory, events % 100_000 == 0 { print("\(events) events: \(privateMemory())") }
                if trackCalls { tracker.receive(message, at: now, finished: &calls) }
                if calls.count > 1_000 { total += calls.count; calls.removeAll(keepingCapacity: true) }
            }
        }
        buffer.discardReadBytes()
    }
    let elapsed = clock.now - start
    print("\(events) events, \(total + calls.count) calls, \(elapsed), \(Int(Double(events) / (Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)))) events/s")
}

for _ in 0..<rounds { try run() }

/// `RssAnon` from /proc/self/status.
func privateMemory() -> String {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    return status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") }.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ") } ?? "?"
}
