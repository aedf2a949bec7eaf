import NIOCore
import NIOSSL

/// How to reach and log in to a submission server (Gmail: smtp.gmail.com, 465 implicit TLS or 587 STARTTLS).
public struct SMTPClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// `.implicitTLS` (465), `.startTLS` (587; refused if the server does not offer it) or `.none` (loopback only).
    public var security: IMAPClientConfiguration.Security
    /// AUTH PLAIN with a password, or XOAUTH2 with a token from the provider; nil sends without AUTH.
    public var credentials: IMAPClientConfiguration.Credentials?
    /// Certificates are verified by default.
    public var tls: TLSConfiguration
    /// The name we give in EHLO. Default: `localhost`.
    public var heloName: String
    /// How long any reply may take. Default: 60 s (RFC 5321 §4.5.3.2 allows minutes after DATA; servers answer faster).
    public var replyTimeout: Duration

    public init(host: String, port: Int = 465, security: IMAPClientConfiguration.Security = .implicitTLS,
                credentials: IMAPClientConfiguration.Credentials?, tls: TLSConfiguration = .makeClientConfiguration(),
                heloName: String = "localhost", replyTimeout: Duration = .seconds(60)) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.tls = tls
        self.heloName = heloName
        self.replyTimeout = replyTimeout
    }
}

/// A message to submit: the envelope and the RFC 5322 text (headers and body, any line endings).
public struct OutgoingMessage: Sendable, Hashable {
    /// The envelope sender (`MAIL FROM`); empty for the null reverse-path `<>` of automatic responses and bounces.
    public var from: String
    public var recipients: [String]
    public var data: [UInt8]

    public init(from: String, recipients: [String], data: [UInt8]) {
        self.from = from
        self.recipients = recipients
        self.data = data
    }

    /// The DATA payload: every line ending (CRLF, LF or a lone CR) written as CRLF, leading dots doubled
    /// (RFC 5321 §4.5.2), ended by `CRLF.CRLF`.
    var wireData: ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(data.count + data.count / 40 + 5)
        var lineStart = 0
        var index = 0
        func writeLine(_ end: Int) {
            if end > lineStart, data[lineStart] == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            out.writeBytes(data[lineStart..<end])
            out.writeString("\r\n")
        }
        while index < data.count {
            switch data[index] {
            case UInt8(ascii: "\r"):
                writeLine(index)
                index += index + 1 < data.count && data[index + 1] == UInt8(ascii: "\n") ? 2 : 1
                lineStart = index
            case UInt8(ascii: "\n"):
                writeLine(index)
                index += 1
                lineStart = index
            default:
                index += 1
            }
        }
        if lineStart < data.count { writeLine(data.count) }
        out.writeString(".\r\n")
        return out
    }
}

/// Why a submission failed. `isPermanent` (a 5yz reply: a refused recipient, a refused login) means the same send
/// will fail again and must not be retried; anything else may be retried later.
public struct SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    public var stage: String
    /// The server's reply; nil when the connection itself failed.
    public var reply: SMTPReply?
    public var detail: String?

    /// The message text went out in full but no answer came back (the connection dropped, the reply timed out):
    /// the server may have queued it. Sending it again risks a duplicate.
    public var mayHaveBeenDelivered: Bool = false

    public init(stage: String, reply: SMTPReply?, detail: String?, mayHaveBeenDelivered: Bool = false) {
        self.stage = stage
        self.reply = reply
        self.detail = detail
        self.mayHaveBeenDelivered = mayHaveBeenDelivered
    }

    public var isPermanent: Bool { reply.map { $0.code >= 500 } ?? false }
    public var isAuthenticationFailure: Bool { stage == "AUTH" && isPermanent }

    public var description: String {
        if let reply { return "SMTP \(stage) refused: \(reply)" }
        return "SMTP \(stage) failed: \(detail ?? "connection closed")"
    }
}

/// A minimal submission client (RFC 6409): EHLO, STARTTLS, AUTH PLAIN or XOAUTH2, MAIL, RCPT, DATA, QUIT. One
/// message per connection; pipelining is not used.
public enum SMTPSubmission {
    public typealias Connection = NIOAsyncChannel<SMTPFrame, ByteBuffer>

    /// Sets up a freshly connected channel, on its event loop (from the bootstrap's channel initializer).
    public static func configure(_ channel: any Channel, configuration: SMTPClientConfiguration, tls: NIOSSLContext?) throws -> Connection {
        if configuration.security == .implicitTLS, let tls {
            try channel.pipeline.syncOperations.addHandler(try IMAPChannel.makeTLSHandler(tls, host: configuration.host))
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
        return try Connection(wrappingChannelSynchronously: channel)
    }

    public static func makeTLSContext(_ configuration: SMTPClientConfiguration) throws -> NIOSSLContext? {
        configuration.security == .none ? nil : try NIOSSLContext(configuration: configuration.tls)
    }

    /// Submits `message` over `connection`; returns the server's final reply to DATA (`250 … queued as …`).
    ///
    /// `beforeText` runs once the server is ready for the text (after `354`), before any of it is written: a caller
    /// that must never send twice records there that from now on a failure may hide a delivery (see
    /// ``SMTPError/mayHaveBeenDelivered``). If it throws, the text is not sent.
    public static func send<C: Clock>(_ message: OutgoingMessage, over connection: Connection, configuration: SMTPClientConfiguration,
                                      tls: NIOSSLContext?, clock: C,
                                      beforeText: (@Sendable () async throws -> Void)? = nil) async throws -> SMTPReply where C.Duration == Duration {
        let channel = connection.channel
        let watchdog = Watchdog(clock: clock, timeout: configuration.replyTimeout, channel: channel)
        // Everything, the checks included, inside `executeThenClose`: a connection left without it crashes NIO
        // ("Deinited NIOAsyncWriter without calling finish()") — a hostile address once took the daemon down that way.
        return try await connection.executeThenClose { inbound, outbound in
            // Refused here as a server would (501: syntax error in parameters), so the caller sees a permanent failure.
            guard !message.recipients.isEmpty else { throw SMTPError(stage: "RCPT", reply: SMTPReply(code: 501, lines: ["no recipients"]), detail: nil) }
            for address in [message.from] + message.recipients where address.contains(where: { $0 == "<" || $0 == ">" || $0 == "\r" || $0 == "\n" }) {
                throw SMTPError(stage: "MAIL", reply: SMTPReply(code: 501, lines: ["an address contains <, > or a line break"]), detail: nil)
            }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watchdog.run() }
                defer { group.cancelAll() }
                var replies = inbound.makeAsyncIterator()
                func read(_ stage: String) async throws -> SMTPReply {
                    watchdog.arm()
                    defer { watchdog.rest() }
                    guard let frame = try await replies.next() else {
                        throw SMTPError(stage: stage, reply: nil, detail: watchdog.fired ? "no reply in time" : "connection closed")
                    }
                    switch frame {
                    case .reply(let reply): return reply
                    case .malformed(let reason): throw SMTPError(stage: stage, reply: nil, detail: reason)
                    }
                }
                func command(_ line: String, stage: String, expect: Int) async throws -> SMTPReply {
                    var buffer = ByteBuffer()
                    buffer.writeString(line + "\r\n")
                    try await outbound.write(buffer)
                    let reply = try await read(stage)
                    guard reply.code == expect else { throw SMTPError(stage: stage, reply: reply, detail: nil) }
                    return reply
                }
                do {
                    let greeting = try await read("greeting")
                    guard greeting.code == 220 else { throw SMTPError(stage: "greeting", reply: greeting, detail: nil) }
                    let extensions = try await command("EHLO \(configuration.heloName)", stage: "EHLO", expect: 250).lines.dropFirst()
                        .map { $0.uppercased() }
                    if configuration.security == .startTLS {
                        guard extensions.contains("STARTTLS"), let tls else { throw SMTPError(stage: "STARTTLS", reply: nil, detail: "not offered; refusing to send without TLS") }
                        _ = try await command("STARTTLS", stage: "STARTTLS", expect: 220)
                        try await IMAPChannel.startTLS(on: channel, context: tls, host: configuration.host)
                        // RFC 3207 §4.2: what was said before TLS no longer counts; the answer itself is not needed.
                        _ = try await command("EHLO \(configuration.heloName)", stage: "EHLO", expect: 250)
                    }
                    switch configuration.credentials {
                    case nil: break
                    case .password(let user, let password):
                        let blob = Base64.encode(Array("\u{0}\(user)\u{0}\(password)".utf8))
                        _ = try await command("AUTH PLAIN \(blob)", stage: "AUTH", expect: 235)
                    case .oauth2(let user, let token):
                        let bearer: String
                        do { bearer = try await token() } catch { throw SMTPError(stage: "AUTH", reply: nil, detail: "no access token: \(error)") }
                        let blob = Base64.encode(Array("user=\(user)\u{1}auth=Bearer \(bearer)\u{1}\u{1}".utf8))
                        _ = try await command("AUTH XOAUTH2 \(blob)", stage: "AUTH", expect: 235)
                    }
                    _ = try await command("MAIL FROM:<\(message.from)>", stage: "MAIL", expect: 250)
                    for recipient in message.recipients {
                        _ = try await command("RCPT TO:<\(recipient)>", stage: "RCPT", expect: 250)
                    }
                    _ = try await command("DATA", stage: "DATA", expect: 354)
                    if let beforeText { try await beforeText() }
                    try await outbound.write(message.wireData)
                    let accepted: SMTPReply
                    do {
                        accepted = try await read("DATA")
                    } catch var error as SMTPError {
                        error.mayHaveBeenDelivered = true
                        throw error
                    }
                    guard accepted.code == 250 else { throw SMTPError(stage: "DATA", reply: accepted, detail: nil) }
                    _ = try? await command("QUIT", stage: "QUIT", expect: 221)
                    return accepted
                } catch let error as SMTPError {
                    // XOAUTH2's failure is a 334 challenge with a JSON error: an empty line ends it, then 535 follows.
                    if error.stage == "AUTH", error.reply?.code == 334 {
                        var buffer = ByteBuffer()
                        buffer.writeString("\r\n")
                        try? await outbound.write(buffer)
                        let final = try? await read("AUTH")
                        throw SMTPError(stage: "AUTH", reply: final ?? SMTPReply(code: 535, lines: ["XOAUTH2 refused"]), detail: nil)
                    }
                    throw error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw SMTPError(stage: "connection", reply: nil, detail: String(describing: error))
                }
            }
        }
    }
}
