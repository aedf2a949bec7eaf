import Foundation

/// `Tools/cutting_proxy.py`: a loopback TCP proxy whose first connection is cut after the server sent `cutAfter`
/// bytes — a connection dropping in the middle of a response. Later connections pass untouched.
public final class CuttingProxy: @unchecked Sendable {
    public let port: Int
    private let pid: pid_t
    private let output: String

    public init(targetPort: Int, cutAfter: Int) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString.prefix(8)).out").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools/cutting_proxy.py").path
        pid = try Spawn.start(["/usr/bin/python3", script, "--target-port", String(targetPort), "--cut-after", String(cutAfter)], output: output)
        port = try Spawn.announcedPort(pid, output: output, what: "the proxy")
    }

    public func stop() {
        Spawn.stop(pid)
        try? FileManager.default.removeItem(atPath: output)
    }
}
