import CRMCore
import Logging
import ServiceLifecycle

/// Copies the store's write-ahead log into the database file once a second, from a connection of its own,
/// so capture commits never wait for a checkpoint (the daemon opens the store with `checkpointing: .background`).
struct CheckpointService: Service {
    let checkpointer: WALCheckpointer
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        var failures = 0
        while !Task.isCancelledOrShuttingDown {
            do {
                try checkpointer.checkpoint()
                failures = 0
            } catch {
                failures += 1
                // A checkpoint that cannot run (disk full) is retried; the log keeps every commit meanwhile.
                if failures == 1 || failures % 60 == 0 {
                    logger.warning("store checkpoint failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
        // Last one on the way out: the next start opens a short log.
        try? checkpointer.checkpoint()
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}
