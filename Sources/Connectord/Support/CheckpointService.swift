import CRMCore
import Dispatch
import Logging
import ServiceLifecycle

/// Copies the store's write-ahead log into the database file every `WALCheckpointer.interval`, from a connection of its own,
/// so capture commits never wait for a checkpoint (the daemon opens the store with `checkpointing: .background`).
struct CheckpointService: Service {
    let checkpointer: WALCheckpointer
    let logger: Logger
    var interval: Duration = WALCheckpointer.interval

    func run() async throws {
        var failures = 0
        // A checkpoint that keeps failing is logged when it starts and then every 30 seconds, whatever the interval.
        let warnEvery = max(1, Int((Duration.seconds(30) / interval).rounded()))
        while !Task.isCancelledOrShuttingDown {
            do {
                try await checkpointOffThePool()
                failures = 0
            } catch {
                failures += 1
                // A checkpoint that cannot run (disk full) is retried; the log keeps every commit meanwhile.
                if failures == 1 || failures % warnEvery == 0 {
                    logger.warning("store checkpoint failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
        // Last one on the way out: the next start opens a short log.
        _ = try? checkpointer.checkpoint()
    }

    /// A checkpoint under load copies and syncs for a few hundred milliseconds: on a thread of its own, not one of the
    /// cooperative pool's (two on a 2-core machine), which the HTTP handlers need meanwhile.
    private func checkpointOffThePool() async throws {
        let checkpointer = self.checkpointer
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Self.queue.async {
                continuation.resume(with: Result { try checkpointer.checkpoint() }.map { _ in () })
            }
        }
    }

    private static let queue = DispatchQueue(label: "connectord.checkpoint", qos: .utility)
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}
