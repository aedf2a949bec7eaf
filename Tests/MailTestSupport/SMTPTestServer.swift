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

    /// - Parameter port: 0 picks a free port; a fixed one lets a test start the server where a client already points.
    public init(tls: String = "starttls", failRecipient: String = "", port fixedPort: Int = 0) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try DovecotServer.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                                                   "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificatePath])
        let output = directory.appendingPathComponent("server.out").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools/smtp_server.py").path
        pid = try Spawn.start(["/usr/bin/python3", script, "--dir", directory.appendingPathComponent("out").path, "--cert", certificatePath,
                               "--key", key, "--tls", tls, "--fail-rcpt", failRecipient, "--port", "\(fixedPort)"], output: output)
        port = try Spawn.announcedPort(pid, output: output, what: "aiosmtpd")
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
        Spawn.stop(pid)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the server and keeps what it received (a test that brings SMTP down and up again).
    public func halt() { Spawn.stop(pid) }

    /// A port free right now on loopback, for a server started later.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects as the daemon would, and submits.
    public func send(_ message: OutgoingMessage, _ configuration: SMTPClientConfiguration,
                     beforeText: (@Sendable () async throws -> Void)? = nil) async throws -> SMTPReply {
        try await Self.submit(message, configuration, beforeText: beforeText)
    }

    /// Connects to `configuration`'s server as the daemon would, and submits.
    public static func submit(_ message: OutgoingMessage, _ configuration: SMTPClientConfiguration,
                              beforeText: (@Sendable () async throws -> Void)? = nil) async throws -> SMTPReply {
        let tls = try SMTPSubmission.makeTLSContext(configuration)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture { try SMTPSubmission.configure(channel, configuration: configuration, tls: tls) }
            }
        return try await SMTPSubmission.send(message, over: connection, configuration: configuration, tls: tls, clock: ContinuousClock(),
                                             beforeText: beforeText)
    }

    public func configuration(security: IMAPClientConfiguration.Security, credentials: IMAPClientConfiguration.Credentials?) throws -> SMTPClientConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        return SMTPClientConfiguration(host: "localhost", port: port, security: security, credentials: credentials, tls: tls, replyTimeout: .seconds(10))
    }
}
