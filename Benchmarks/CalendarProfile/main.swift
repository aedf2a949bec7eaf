import CalendarBenchmarkFixture
import Foundation

// `perf record` target: the calendar benchmark's full sync (20,000 events from the in-process fake into a fresh
// store), repeated, without the benchmark runner. `.build-bench/release/CalendarProfile [rounds]`.
let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 3
let fixture = try await CalendarFixture.shared()
for _ in 0..<rounds {
    let capture = fixture.capture(try fixture.freshStore())
    let start = ContinuousClock.now
    let cursor = try await capture.sync(now: fixture.now)
    print("full sync of \(cursor.eventsSynced) events: \(ContinuousClock.now - start)")
}
