import Foundation

/// A throw-away Dovecot IMAP server on loopback for the mail tests: its own configuration (`dovecot -c`, never
/// /etc/dovecot), a self-signed certificate, passwd-file users, Maildir folders laid out like a plain IMAP server
/// (INBOX, Sent with `\Sent`) and free ports. Started by ``start(users:)``, stopped by ``stop()``.
///
/// Each user `u` logs in with password `pass-u`, or with XOAUTH2 and the bearer token `token-u`.
public final class DovecotServer: @unchecked Sendable {
    public let directory: URL
    public let imapPort: Int
    public let imapsPort: Int
    public let users: [String]
    /// The uid:gid that owns mail (Dovecot refuses uid 0 for mail processes).
    public let mailOwner: String

    public var certificatePath: String { directory.appendingPathComponent("tls/cert.pem").path }
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/dovecot") }

    private init(directory: URL, imapPort: Int, imapsPort: Int, users: [String], mailOwner: String) {
        self.directory = directory
        self.imapPort = imapPort
        self.imapsPort = imapsPort
        self.users = users
        self.mailOwner = mailOwner
    }

    public func maildir(_ user: String) -> String { directory.appendingPathComponent("mail/\(user)/Maildir").path }

    /// Writes the configuration and starts `dovecot`; returns once both ports accept connections.
    public static func start(users: [String] = ["alice", "bob"], maxConnections: Int = 15, gmailCapabilities: Bool = false) throws -> DovecotServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dovecot-\(UUID().uuidString.prefix(8))")
        let ports = try freePorts(2)
        let root = getuid() == 0
        let owner = root ? "65534:65534" : "\(getuid()):\(getgid())"
        let server = DovecotServer(directory: directory, imapPort: ports[0], imapsPort: ports[1], users: users, mailOwner: owner)
        let fm = FileManager.default
        for sub in ["run", "state", "log", "tls", "mail"] {
            try fm.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.appendingPathComponent("mail").path)
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localhost",
                                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                     "-keyout", directory.appendingPathComponent("tls/key.pem").path,
                                     "-out", server.certificatePath])
        let ids = owner.split(separator: ":")
        var passwords = "", tokens = ""
        for user in users {
            let home = directory.appendingPathComponent("mail/\(user)").path
            passwords += "\(user):{PLAIN}pass-\(user):\(ids[0]):\(ids[1])::\(home)::\n"
            tokens += "\(user):{PLAIN}token-\(user):\(ids[0]):\(ids[1])::\(home)::\n"
            for folder in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
                try fm.createDirectory(atPath: server.maildir(user) + "/" + folder, withIntermediateDirectories: true)
            }
            fm.createFile(atPath: server.maildir(user) + "/.Sent/maildirfolder", contents: nil)
        }
        try passwords.write(to: directory.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        try tokens.write(to: directory.appendingPathComponent("tokens"), atomically: true, encoding: .utf8)
        try server.configuration(root: root, maxConnections: maxConnections, gmailCapabilities: gmailCapabilities)
            .write(to: directory.appendingPathComponent("dovecot.conf"), atomically: true, encoding: .utf8)
        try server.chownMail()
        // The master forks into the background and keeps its output open: to a file, or a pipe would never end.
        try run("/usr/sbin/dovecot", ["-c", directory.appendingPathComponent("dovecot.conf").path],
                output: directory.appendingPathComponent("log/master.out"))
        for _ in 0..<200 {
            if canConnect(server.imapPort) && canConnect(server.imapsPort) { return server }
            usleep(50_000)
        }
        server.stop()
        throw SetupError("dovecot did not open its ports; log: \(server.log)")
    }

    public var log: String { (try? String(contentsOf: directory.appendingPathComponent("log/dovecot.log"), encoding: .utf8)) ?? "" }

    /// Stops the server and removes its directory.
    public func stop() {
        if let pid = try? String(contentsOf: directory.appendingPathComponent("run/master.pid"), encoding: .utf8),
           let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(number, SIGTERM)
            for _ in 0..<100 where kill(number, 0) == 0 { usleep(20_000) }
            if kill(number, 0) == 0 { kill(number, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: mailbox contents

    /// Writes `count` generated messages (``MailboxManifest`` describes them) into the user's INBOX and Sent.
    /// With `live`, they go through tmp/ into new/ as an MTA delivers them, which wakes an IDLE client.
    @discardableResult
    public func generate(_ user: String, count: Int, startIndex: Int = 0, seed: Int = 1, live: Bool = false, bigEvery: Int = 0, receivedOnly: Bool = false) throws -> [MailboxManifest.Entry] {
        let manifest = directory.appendingPathComponent("manifest-\(user)-\(startIndex)-\(UUID().uuidString.prefix(6)).jsonl")
        var arguments = [Self.generator, "--maildir", maildir(user), "--count", String(count), "--seed", String(seed),
                         "--owner", user.contains("@") ? user : "\(user)@our-team.example", "--manifest", manifest.path, "--chown", mailOwner,
                         "--start-index", String(startIndex), "--big-every", String(bigEvery)]
        if live { arguments.append("--new") }
        if receivedOnly { arguments.append("--received-only") }
        FileManager.default.createFile(atPath: manifest.path, contents: nil)
        try Self.run("/usr/bin/python3", arguments)
        return try MailboxManifest.read(manifest)
    }

    /// Delivers one raw message into the user's INBOX as an MTA does (written to tmp/, renamed into new/, owned by the
    /// mail user), which wakes an IDLE client. The Maildir's folders are made as the generator makes them.
    public func deliver(_ user: String, raw: String) throws {
        let ids = mailOwner.split(separator: ":").compactMap { UInt32($0) }
        let name = "\(Int(Date().timeIntervalSince1970)).M\(UUID().uuidString.prefix(8)).connectord-test"
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: maildir(user) + "/" + folder, withIntermediateDirectories: true)
        }
        let temporary = maildir(user) + "/tmp/" + name
        try Data(raw.utf8).write(to: URL(fileURLWithPath: temporary))
        if ids.count == 2 { _ = chown(temporary, ids[0], ids[1]) }
        try FileManager.default.moveItem(atPath: temporary, toPath: maildir(user) + "/new/" + name)
    }

    /// `doveadm` against this server.
    @discardableResult
    public func doveadm(_ arguments: [String]) throws -> String {
        try Self.run("/usr/bin/doveadm", ["-c", directory.appendingPathComponent("dovecot.conf").path] + arguments)
    }

    /// Ends every IMAP session of this server as a crashing or restarting server would: its imap processes are
    /// killed and the login proxy closes the clients' connections. (`doveadm kick` finds nothing here: this set-up runs
    /// without the anvil connection tracking it relies on.)
    public func dropSessions() throws {
        _ = try? Self.run("/usr/bin/pkill", ["-KILL", "-f", "dovecot-connectord-test-\(imapPort)/imap$"])
    }

    /// Gives the folder a new UIDVALIDITY, as a server does after rebuilding its index: every UID changes meaning.
    public func bumpUIDValidity(_ user: String, folder: String = "INBOX") throws {
        let status = try doveadm(["mailbox", "status", "-u", user, "uidvalidity", folder])
        let current = UInt32(status.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "") ?? 1
        try doveadm(["mailbox", "update", "-u", user, "--uid-validity", String(current + 1), folder])
    }

    static let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools/make_mailbox.py").path

    // MARK: private

    private func chownMail() throws {
        try Self.run("/bin/chown", ["-R", mailOwner, directory.appendingPathComponent("mail").path])
    }

    private func configuration(root: Bool, maxConnections: Int, gmailCapabilities: Bool) -> String {
        let me = root ? nil : String(cString: getpwuid(getuid()).pointee.pw_name)
        let group = root ? nil : String(cString: getgrgid(getgid()).pointee.gr_name)
        let ids = mailOwner.split(separator: ":")
        let dir = directory.path
        let capabilities = gmailCapabilities
            ? "IMAP4rev1 SASL-IR UNSELECT IDLE NAMESPACE QUOTA ID CHILDREN UIDPLUS ENABLE MOVE CONDSTORE ESEARCH LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE"
            : "+ID"
        return """
        base_dir = \(dir)/run
        state_dir = \(dir)/state
        instance_name = connectord-test-\(imapPort)
        log_path = \(dir)/log/dovecot.log
        info_log_path = \(dir)/log/dovecot.log
        protocols = imap
        listen = 127.0.0.1
        default_internal_user = \(me ?? "dovecot")
        default_internal_group = \(group ?? "dovecot")
        default_login_user = \(me ?? "dovenull")
        first_valid_uid = 1
        mail_uid = \(ids[0])
        mail_gid = \(ids[1])
        ssl = yes
        ssl_cert = <\(dir)/tls/cert.pem
        ssl_key = <\(dir)/tls/key.pem
        ssl_min_protocol = TLSv1.2
        disable_plaintext_auth = no
        auth_mechanisms = plain login xoauth2 oauthbearer
        auth_failure_delay = 0
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u \(dir)/users
          mechanisms = plain login
        }
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u \(dir)/tokens
          mechanisms = xoauth2 oauthbearer
        }
        userdb {
          driver = passwd-file
          args = username_format=%u \(dir)/users
        }
        mail_location = maildir:~/Maildir
        mail_fsync = never
        mail_max_userip_connections = \(maxConnections)
        mailbox_idle_check_interval = 1 secs
        namespace inbox {
          inbox = yes
          separator = /
          prefix =
          mailbox Sent {
            special_use = \\Sent
            auto = subscribe
          }
          mailbox Trash {
            special_use = \\Trash
            auto = subscribe
          }
        }
        protocol imap {
          imap_capability = \(capabilities)
        }
        service imap-login {
          inet_listener imap {
            address = 127.0.0.1
            port = \(imapPort)
          }
          inet_listener imaps {
            address = 127.0.0.1
            port = \(imapsPort)
            ssl = yes
          }
          service_count = 0
          process_min_avail = 1
          \(root ? "" : "chroot =")
        }
        service anvil {
          \(root ? "" : "chroot =")
        }
        service auth {
          unix_listener auth-userdb {
            mode = 0666
          }
        }
        service stats {
          unix_listener stats-writer {
            mode = 0666
          }
        }

        """
    }

    /// Runs a program to its end (see ``Spawn``); returns its output. A non-zero exit throws with the output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], output file: URL? = nil) throws -> String {
        let outputPath = file?.path ?? FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)").path
        defer { if file == nil { try? FileManager.default.removeItem(atPath: outputPath) } }
        let succeeded = Spawn.wait(try Spawn.start([executable] + arguments, output: outputPath))
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard succeeded else { throw SetupError("\(executable) \(arguments.prefix(3).joined(separator: " ")) failed: \(output)") }
        return output
    }

    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = [], ports: [Int] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw SetupError("no free port") }
            sockets.append(fd)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What the generator wrote, decoded by Python's `email` package: the truth the sync is checked against.
public enum MailboxManifest {
    public struct Entry: Decodable, Sendable {
        public var index: Int
        public var messageId: String?
        public var sent: Bool
        public var bulk: Bool
        public var subject: String
        public var from: String
        public var fromName: String
        public var inReplyTo: String?
        /// The message's text (its plain-text part), as written.
        public var text: String?
    }

    public static func read(_ url: URL) throws -> [Entry] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }
}
