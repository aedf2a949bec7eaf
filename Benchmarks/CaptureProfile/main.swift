import CaptureBenchmarkStore
import Foundation

// A plain loop for `perf record` (the benchmark runner needs its host): capture batches of 1,000 into the store of
// CRMCoreBenchmarks. `CAPTURE_SEED=/tmp/capture-seed.sqlite` keeps the seeded store between runs.
let batches = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 300
let store = BenchmarkStore.shared
let clock = ContinuousClock()
var times: [Duration] = []
let start = clock.now
for _ in 0..<batches {
    let batch = store.nextBatch(size: 1_000)
    let began = clock.now
    _ = try store.database.capture(batch)
    times.append(clock.now - began)
}
let elapsed = clock.now - start
times.sort()
func ms(_ d: Duration) -> String { String(format: "%.1f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3) }
print("\(batches) batches of 1,000 in \(elapsed): p50 \(ms(times[times.count / 2])), p99 \(ms(times[times.count * 99 / 100])), max \(ms(times.last!))")
