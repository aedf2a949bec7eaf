import AfterHours
import CRMCore
import Foundation
import MailSync

/// `POST /hooks/inbound` without HTTP: checks the signature, reads the body (JSON or a raw RFC 5322 message) and hands
/// the message to the responder. Every refusal says precisely what was wrong, never echoing the secret.
public struct InboundWebhook: Sendable {
    public let responder: Responder
    public let signature: WebhookSignature
    /// Larger bodies are refused with 413. Default: 1 MiB.
    public let maxBodyBytes: Int

    public init(responder: Responder, signature: WebhookSignature, maxBodyBytes: Int = 1 << 20) {
        self.responder = responder
        self.signature = signature
        self.maxBodyBytes = maxBodyBytes
    }

    /// Why a request was refused: the HTTP status and a message for the caller (and the log).
    public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
        public var status: Int
        public var message: String
        /// A short label for the metrics (`signature`, `stale`, `too-large`, `media-type`, `malformed`).
        public var kind: String
        public var description: String { "\(status) \(message)" }

        public init(status: Int, message: String, kind: String) {
            self.status = status
            self.message = message
            self.kind = kind
        }
    }

    /// Handles one request. `contentType` decides the body's format: `application/json` or `message/rfc822`. The
    /// decision is recorded together with those of the requests arriving meanwhile (``Responder/decide(_:capture:)``).
    public func receive(body: [UInt8], contentType: String?, timestamp: String?, signatureHeader: String?,
                        now: Date = Date()) async throws(Rejection) -> ResponderOutcome {
        let message = try read(body: body, contentType: contentType, timestamp: timestamp, signatureHeader: signatureHeader, now: now)
        do {
            return try await responder.decide(message)
        } catch {
            throw Rejection(status: 503, message: "the message could not be stored; retry later", kind: "store")
        }
    }

    /// The request's message, once its size, signature and format are checked: no store involved.
    public func read(body: [UInt8], contentType: String?, timestamp: String?, signatureHeader: String?, now: Date = Date()) throws(Rejection) -> InboundMessage {
        guard body.count <= maxBodyBytes else {
            throw Rejection(status: 413, message: "the body is \(body.count) bytes; at most \(maxBodyBytes) are accepted", kind: "too-large")
        }
        do {
            try signature.verify(timestamp: timestamp, signature: signatureHeader, body: body, now: now)
        } catch {
            throw Rejection(status: 401, message: error.rawValue, kind: error == .stale ? "stale" : "signature")
        }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmedOfWhitespace.lowercased() } ?? ""
        do {
            switch mediaType {
            case "application/json": return try InboundMessage.parse(json: body)
            case "message/rfc822": return try InboundMessage.parse(rfc5322: body)
            default:
                throw Rejection(status: 415, message: "Content-Type must be application/json or message/rfc822, not '\(mediaType.isEmpty ? "none" : mediaType)'",
                                kind: "media-type")
            }
        } catch let error as Rejection {
            throw error
        } catch {
            throw Rejection(status: 422, message: "\(error)", kind: "malformed")
        }
    }
}
