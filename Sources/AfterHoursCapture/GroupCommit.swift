import CRMCore
import Dispatch
import Foundation
import Synchronization

/// Group commit for the responder: the decisions of every message waiting are written in one transaction of the
/// store, off the caller's thread.
///
/// A webhook request's decision is a write transaction, and SQLite runs one writer at a time; taken one by one on
/// the HTTP server's event loops, they queue behind each other and each pays a commit. Here the first waiting
/// message starts a drain on a private queue; whatever arrives meanwhile waits for the next transaction, so under
/// load a transaction carries many messages and each caller waits for at most one transaction before its own.
///
/// Under load (the last transaction carried more than one message) the drain also waits `gatherWindow` before the
/// next transaction. Left to itself, at 5,000 requests/s it committed every 2.9 messages: each transaction writes its
/// own copy of every B-tree page it touches into the log (8 pages a message), and copying and syncing 40,000 pages a
/// second beside the writer set the p99 (12–13 ms with checkpoints every 250 ms, 21–49 ms with one a second). Waiting
/// 250 µs makes transactions several times larger and the log a third as long: p99 7–8 ms. Longer waits cost more
/// than they save (1 ms: p99 ~10 ms). A lone message never waits. (Those figures predate checkpoints every 50 ms. Since,
/// windows of 100 µs to 1 ms measured alike in p99 on a quiet machine, and longer ones cost less CPU a request: 308, 271,
/// 238 and 221 µs at 100, 250, 500 and 1,000 µs, the server and the load together. Not yet measured on a noisy one.)
final class GroupCommit: Sendable {
    private struct Waiting {
        var job: ResponderJob
        var continuation: CheckedContinuation<ResponderOutcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var draining = false
    }

    private let database: CRMDatabase
    /// The most messages one transaction carries, so that one transaction stays short. Default: 256.
    private let maxBatch: Int
    /// How long a drain under load waits for more messages before its next transaction. Default: 250 µs.
    private let gatherWindow: Duration
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "connectord.responder.group-commit")

    init(database: CRMDatabase, maxBatch: Int = 256, gatherWindow: Duration = .microseconds(250)) {
        self.database = database
        self.maxBatch = max(1, maxBatch)
        self.gatherWindow = gatherWindow
    }

    /// Decides and records `job` together with the others waiting; returns when its transaction has committed.
    func submit(_ job: ResponderJob) async throws -> ResponderOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.waiting.append(Waiting(job: job, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    /// Runs transactions until nobody waits.
    private func drain() {
        var underLoad = false
        while true {
            if underLoad, gatherWindow > .zero, state.withLock({ $0.waiting.count }) < maxBatch {
                // This private queue is the writer's: blocking it here holds up no one but the messages it gathers.
                Thread.sleep(forTimeInterval: Double(gatherWindow.components.attoseconds) / 1e18 + Double(gatherWindow.components.seconds))
            }
            let batch = state.withLock { state -> [Waiting] in
                let count = min(state.waiting.count, maxBatch)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            underLoad = batch.count > 1
            do {
                let results = try database.respond(to: batch.map(\.job))
                for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
            } catch {
                // The transaction failed as a whole: nothing of it was recorded, every message in it reports the error.
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}

