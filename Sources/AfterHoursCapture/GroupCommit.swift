import CRMCore
import Dispatch
import Synchronization

/// Group commit for the responder: the decisions of every message waiting are written in one transaction of the
/// store, off the caller's thread.
///
/// A webhook request's decision is a write transaction, and SQLite runs one writer at a time; taken one by one on
/// the HTTP server's event loops, they queue behind each other and each pays a commit. Here the first waiting
/// message starts a drain on a private queue; whatever arrives meanwhile waits for the next transaction, so under
/// load a transaction carries many messages and each caller waits for at most one transaction before its own.
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
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "connectord.responder.group-commit")

    init(database: CRMDatabase, maxBatch: Int = 256) {
        self.database = database
        self.maxBatch = max(1, maxBatch)
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
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let count = min(state.waiting.count, maxBatch)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
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

