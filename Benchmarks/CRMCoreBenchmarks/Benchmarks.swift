import Benchmark
import CRMCore
import Foundation
import CaptureBenchmarkStore

// Figures of issue #2, on a store holding 200,000 companies and 1,000,000 contacts:
// - capture (match + write, batched): at least 20,000 activities per second;
// - a single match: under 50 µs median;
// - a duplicate check: under 20 ms per query.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(10),
        maxIterations: 1_000_000
    )

    // Backfills and imports may commit larger pages of activities; both sizes are measured.
    captureBenchmark(batchSize: 1_000, maxIterations: 200)
    captureBenchmark(batchSize: 5_000, maxIterations: 40)

    // Latency only: counting mallocs routes every allocation through the interposer (~110 per match).
    let latency = Benchmark.Configuration(metrics: [.wallClock, .throughput])

    Benchmark("Single match by phone (200k companies, 1M contacts)", configuration: latency) { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 7_919) % BenchmarkStore.contacts
            blackHole(try store.database.identify([.phone(BenchmarkStore.phone(ofContact: index))]))
        }
    }

    Benchmark("Single match by email domain (200k companies, 1M contacts)", configuration: latency) { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 7_919) % BenchmarkStore.companies
            blackHole(try store.database.identify([.email("someone.new@\(BenchmarkStore.domain(ofCompany: index))")]))
        }
    }

    Benchmark("Duplicate check: name + domain + phone (200k companies)") { benchmark in
        let store = BenchmarkStore.shared
        var index = 0
        for _ in benchmark.scaledIterations {
            index = (index &+ 104_729) % BenchmarkStore.companies
            blackHole(try store.database.checkDuplicates(LeadProbe(
                name: BenchmarkStore.name(ofCompany: index) + " LLC", domain: "www." + BenchmarkStore.domain(ofCompany: index), phone: "+1 212 555 0000"
            )))
        }
    }

    Benchmark("Duplicate check: name only, common words (200k companies)") { benchmark in
        let store = BenchmarkStore.shared
        for _ in benchmark.scaledIterations {
            blackHole(try store.database.checkDuplicates(LeadProbe(name: "Global Trading Systems")))
        }
    }
}

/// Capture (match + write) of `batchSize` activities per transaction; only the capture call is measured.
func captureBenchmark(batchSize: Int, maxIterations: Int) {
    Benchmark("Capture \(batchSize.formatted()) activities per transaction (200k companies, 1M contacts)",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxIterations: maxIterations)) { benchmark in
        let store = BenchmarkStore.shared
        for _ in benchmark.scaledIterations {
            let batch = store.nextBatch(size: batchSize)
            benchmark.startMeasurement()
            blackHole(try store.database.capture(batch))
            benchmark.stopMeasurement()
        }
    }
}

