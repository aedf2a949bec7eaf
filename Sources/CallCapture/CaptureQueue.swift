import CRMCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Hands captured activities from the sources to the store in batches, so a source's read loop never waits
/// on the disk (Asterisk drops a manager session whose reader stalls for more than its 100 ms write timeout).
///
/// Nothing enqueued is lost while the daemon runs: a batch the store refuses is retried, and on shutdown the
/// queue drains before the store closes (it is the first service of the group, so it stops last). A single
/// activity the core rejects as invalid is logged, counted and left out; the rest of its batch is stored.
public final class CaptureQueue: Service, Sendable {
    struct Item: Sendable {
        var activity: CapturedActivity
        var source: String
    }

    private struct State {
        var pending: [Item] = []
        var capturing = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Largest batch written in one transaction: big enough to amortise the commit, small enough that
    /// a reader of the store never waits long.
    public static let batchSize = 2_000

    private let database: CRMDatabase
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeUp: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let depth = Gauge(label: "connectord_capture_queue_depth")
    private let errors = Counter(label: "connectord_capture_errors_total")

    public init(database: CRMDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
        (wakeUp, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues activities for capture; returns at once.
    public func enqueue(_ activities: [CapturedActivity], source: String) {
        guard !activities.isEmpty else { return }
        let count = state.withLock { state in
            state.pending.append(contentsOf: activities.map { Item(activity: $0, source: source) })
            return state.pending.count
        }
        depth.record(count)
        wake.yield()
    }

    /// Waits until everything enqueued so far is stored (tests and `import`).
    public func flushed() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                if state.pending.isEmpty && state.capturing == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    public func run() async throws {
        for await _ in wakeUp.cancelOnGracefulShutdown() {
            await drain()
        }
        // Shutting down: the sources have stopped (they stop first); store what they handed over. A store that
        // stays broken must not hold the daemon's exit forever: after a few attempts what is left is reported.
        await drain(maxFailures: Self.attemptsOnShutdown)
        logger.debug("capture queue drained")
    }

    /// Attempts at a failing batch once the daemon is stopping (about 6 s of backoff), before giving up on it.
    static let attemptsOnShutdown = 6

    private func drain(maxFailures: Int? = nil) async {
        var failures = 0
        while true {
            let batch: [Item] = state.withLock { state in
                let batch = Array(state.pending.prefix(Self.batchSize))
                state.pending.removeFirst(batch.count)
                state.capturing = batch.count
                return batch
            }
            if batch.isEmpty {
                let waiters = state.withLock { state in
                    state.capturing = 0
                    defer { state.waiters.removeAll() }
                    return state.waiters
                }
                waiters.forEach { $0.resume() }
                depth.record(0)
                return
            }
            do {
                try store(batch)
                failures = 0
            } catch {
                // The store is unavailable (disk full, locked): keep the batch at the head and try again.
                failures += 1
                errors.increment()
                logger.error("capture failed, retrying", metadata: ["error": "\(error)", "activities": "\(batch.count)", "attempt": "\(failures)"])
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                // A cancelled task's sleep returns at once: without a bound this would spin on a broken store.
                if Task.isCancelled || maxFailures.map({ failures >= $0 }) == true {
                    let lost = state.withLock { state in
                        defer { state.pending.removeAll() }
                        return state.pending.count
                    }
                    logger.critical("capture queue stopped with activities not stored", metadata: ["activities": "\(lost)", "error": "\(error)"])
                    let waiters = state.withLock { state in
                        state.capturing = 0
                        defer { state.waiters.removeAll() }
                        return state.waiters
                    }
                    waiters.forEach { $0.resume() }
                    return
                }
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }

    private func store(_ batch: [Item]) throws {
        do {
            record(try database.capture(batch.map(\.activity)), batch)
        } catch let error as CRMError {
            guard case .invalidInput = error else { throw error }
            // One bad activity must not hold back the others: store them one by one and leave it out.
            for item in batch {
                do {
                    record([try database.capture(item.activity)], [item])
                } catch let error as CRMError {
                    guard case .invalidInput = error else { throw error }
                    errors.increment()
                    logger.error("activity rejected", metadata: ["source": "\(item.source)", "key": "\(item.activity.sourceKey)", "error": "\(error)"])
                }
            }
        }
    }

    private func record(_ outcomes: [CaptureOutcome], _ batch: [Item]) {
        for (outcome, item) in zip(outcomes, batch) {
            Counter(label: "connectord_captured_total", dimensions: [("source", item.source), ("outcome", outcome.label)]).increment()
            logger.debug("captured", metadata: ["source": "\(item.source)", "key": "\(item.activity.sourceKey)", "outcome": "\(outcome.label)"])
        }
    }
}

extension CaptureOutcome {
    /// The metric and log label of an outcome.
    public var label: String {
        switch self {
        case .matched: "matched"
        case .unmatched: "unmatched"
        case .review: "review"
        case .internal: "internal"
        case .duplicate: "duplicate"
        case .ignored: "ignored"
        }
    }
}
