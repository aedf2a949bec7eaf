import Foundation
import MailSync
import NIOCore
import NIOPosix
import NIOSSL

/// A real aiosmtpd submission server on loopback (`Tools/smtp_server.py`): STARTTLS or implicit TLS, AUTH PLAIN
/// (`alice@our-team.example` / `smtp-pass`) and XOAUTH2 (token `smtp-token`); each accepted message is saved.
public final class SMTPTestServer: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    public let certificatePath: String
    private let pid: pid_t

    public static var isInstalled: Bool { (try? DovecotServer.run("/usr/bin/python3", ["-c", "import aiosmtpd"])) != nil }

    public init(tls: String = "starttls", failRecipient: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try DovecotServer.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                                                   "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificatePath])
        let output = directory.appendingPathComponent("server.out").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools/smtp_server.py").path
        let arguments = ["/usr/bin/python3", script, "--dir", directory.appendingPathComponent("out").path, "--cert", certificatePath,
                         "--key", key, "--tls", tls, "--fail-rcpt", failRecipient]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/python3", &actions, nil, argv, environ) == 0 else { throw SetupError("cannot start aiosmtpd") }
        self.pid = pid
        var found: Int?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: output, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) {
                found = Int(line.dropFirst(5))
                break
            }
            usleep(50_000)
        }
        guard let found else {
            kill(pid, SIGKILL)
            throw SetupError("aiosmtpd did not start: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// The messages accepted so far, in order: envelope and raw bytes.
    public func received() -> [(envelope: [String: Any], data: Data)] {
        var result: [(envelope: [String: Any], data: Data)] = []
        var n = 1
        let out = directory.appendingPathComponent("out")
        while let json = FileManager.default.contents(atPath: out.appendingPathComponent("\(n).json").path),
              let data = FileManager.default.contents(atPath: out.appendingPathComponent("\(n).eml").path) {
            result.append(((try? JSONSerialization.jsonObject(with: json) as? [String: Any]) ?? [:], data))
            n += 1
        }
        return result
    }

    public func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Connects as the daemon would, and submits.
    public func send(_ message: OutgoingMessage, _ configuration: SMTPClientConfiguration) async throws -> SMTPReply {
        let tls = try SMTPSubmission.makeTLSContext(configuration)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture { try SMTPSubmission.configure(channel, configuration: configuration, tls: tls) }
            }
        return try await SMTPSubmission.send(message, over: connection, configuration: configuration, tls: tls, clock: ContinuousClock())
    }

    public func configuration(security: IMAPClientConfiguration.Security, credentials: IMAPClientConfiguration.Credentials?) throws -> SMTPClientConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        return SMTPClientConfiguration(host: "localhost", port: port, security: security, credentials: credentials, tls: tls, replyTimeout: .seconds(10))
    }
}

/// `Tools/cutting_proxy.py`: a loopback TCP proxy whose first connection is cut after the server sent `cutAfter`
/// bytes — a connection dropping in the middle of a response. Later connections pass untouched.
public final class CuttingProxy: @unchecked Sendable {
    public let port: Int
    private let pid: pid_t
    private let output: String

    public init(targetPort: Int, cutAfter: Int) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString.prefix(8)).out").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools/cutting_proxy.py").path
        let arguments: [String] = ["/usr/bin/python3", script, "--target-port", String(targetPort), "--cut-after", String(cutAfter)]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/python3", &actions, nil, argv, environ) == 0 else { throw SetupError("cannot start the proxy") }
        self.pid = pid
        var found: Int?
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: output, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) {
                found = Int(line.dropFirst(5))
                break
            }
            usleep(50_000)
        }
        guard let found else { kill(pid, SIGKILL); throw SetupError("the proxy did not start") }
        port = found
    }

    public func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: output)
    }
}
