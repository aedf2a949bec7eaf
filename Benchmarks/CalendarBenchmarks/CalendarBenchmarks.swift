import Benchmark
import CalendarBenchmarkFixture
import CalendarCapture
import CalendarSync
import CRMCore
import Foundation
import GoogleTestSupport
import GRDB

// Issue #5: a full sync of a 20,000-event calendar (2,500 per page) from the fake Google into the store under 3 s; an
// incremental sync with 10 changes under 50 ms beyond the HTTP round trips. The fake runs in this process on
// loopback (its JSON encoding is part of the measured time, as Google's would be); each iteration syncs into a fresh
// copy of a store with 1,000 customer firms.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 10
    )

    // The fake and the store template are made in setup, outside the measurement; each sample syncs into a fresh store.
    Benchmark("Calendar full sync, 20,000 events in pages of 2,500, into the store", closure: { benchmark, fixture in
        let capture = fixture.capture(try fixture.freshStore())
        benchmark.startMeasurement()
        let cursor = try await capture.sync(now: fixture.now)
        benchmark.stopMeasurement()
        precondition(cursor.eventsSynced == CalendarFixture.count && cursor.syncToken != nil)
    }, setup: { try await CalendarFixture.shared() })

    Benchmark("Calendar incremental sync with 10 changes", configuration: .init(maxIterations: 50), closure: { benchmark, fixture in
        let capture = try await fixture.syncedCapture()
        fixture.change(10)
        let before = try capture.loadCursor().eventsSynced
        benchmark.startMeasurement()
        let cursor = try await capture.sync(now: fixture.now)
        benchmark.stopMeasurement()
        precondition(cursor.eventsSynced - before == 10, "saw \(cursor.eventsSynced - before) changes")
    }, setup: { try await CalendarFixture.shared() })

    // The HTTP round trip and the empty commit alone (an incremental sync with nothing new), to set the figure above against.
    Benchmark("Calendar incremental sync with no change (the round trip)", configuration: .init(maxIterations: 50), closure: { benchmark, fixture in
        let capture = try await fixture.syncedCapture()
        benchmark.startMeasurement()
        try await capture.sync(now: fixture.now)
        benchmark.stopMeasurement()
    }, setup: { try await CalendarFixture.shared() })
}

