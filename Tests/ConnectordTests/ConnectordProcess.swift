import Foundation
import Testing

/// Runs the built `connectord` binary, as a user would, in a temporary directory with its own store.
struct ConnectordProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary next to the test bundle (`swift build --build-tests` builds both), or `$CONNECTORD_BIN`.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["CONNECTORD_BIN"] { return URL(fileURLWithPath: path) }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = me.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("connectord").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("connectord")
    }()

    let directory: URL
    var environment: [String: String]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("connectord-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Only what the test sets: nothing of the developer's own CONNECTORD_* leaks in.
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "CONNECTORD_STORE_PATH": directory.appendingPathComponent("var/connectord.sqlite").path,
            "CONNECTORD_CRM_DEFAULT_COUNTRY": "DE",
        ]
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Runs `connectord args…` to completion.
    @discardableResult
    func run(_ arguments: String..., environment extra: [String: String] = [:]) throws -> Result {
        try run(arguments, environment: extra)
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment.merging(extra) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so a chatty stderr cannot block the child.
        nonisolated(unsafe) var errorData = Data()
        let reader = Thread { errorData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Runs a command that must succeed and returns its stdout.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments)
        #expect(result.status == 0, "connectord \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }
}

/// A running `connectord run`, stopped with SIGTERM.
final class RunningDaemon: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let lock = NSLock()
    private var output = ""
    private let errors = LogBuffer()

    final class LogBuffer: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
        var value: String { lock.withLock { text } }
    }

    init(_ connectord: ConnectordProcess, environment extra: [String: String] = [:]) throws {
        process.executableURL = ConnectordProcess.binary
        process.arguments = ["run"]
        process.currentDirectoryURL = connectord.directory
        process.environment = connectord.environment.merging(["CONNECTORD_HTTP_PORT": "0"].merging(extra) { $1 }) { $1 }
        let out = Pipe()
        process.standardOutput = out
        let err = Pipe()
        process.standardError = err
        let lock = self.lock
        nonisolated(unsafe) var buffer = ""
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lock.withLock { buffer += String(decoding: data, as: UTF8.self) }
        }
        let errors = self.errors
        err.fileHandleForReading.readabilityHandler = { handle in errors.append(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while port == nil, Date() < deadline, process.isRunning {
            usleep(20_000)
            let text = lock.withLock { buffer }
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("connectord listening on ") }),
               let value = line.split(separator: ":").last.flatMap({ Int($0) }) {
                port = value
            }
        }
        guard let port else {
            process.terminate()
            throw DaemonError(message: "connectord run did not report its port: \(lock.withLock { buffer })")
        }
        self.port = port
    }

    struct DaemonError: Error { var message: String }

    /// Everything the daemon logged so far (stderr).
    var log: String { errors.value }

    /// Sends SIGTERM and waits (at most `timeout` seconds) for a clean exit; returns the exit status.
    func stop(timeout: TimeInterval = 10) -> Int32? {
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); return nil }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
