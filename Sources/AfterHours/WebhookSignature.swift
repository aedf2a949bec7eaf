import Crypto
import Foundation
import MailSync

/// How a webhook request proves it comes from our mail provider: `X-Connectord-Timestamp` (Unix seconds) and
/// `X-Connectord-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the shared secret. A request
/// older than `tolerance` (default 5 minutes) or from the future by as much is refused: a captured request cannot be
/// replayed later.
public struct WebhookSignature: Sendable {
    public enum Failure: String, Error, Sendable, Equatable {
        case missingTimestamp = "the X-Connectord-Timestamp header is missing or not Unix seconds"
        case missingSignature = "the X-Connectord-Signature header is missing or not sha256=<hex>"
        case stale = "the request's timestamp is too far from now (a replayed or delayed request)"
        case mismatch = "the signature does not match the body"
    }

    /// The request headers a sender sets.
    public static let timestampHeader = "X-Connectord-Timestamp"
    public static let signatureHeader = "X-Connectord-Signature"

    private let key: SymmetricKey
    public let tolerance: TimeInterval

    public init(secret: String, tolerance: TimeInterval = 300) {
        key = SymmetricKey(data: Data(secret.utf8))
        self.tolerance = tolerance
    }

    /// Checks a request; throws which part failed (never echoing the secret or the expected signature).
    public func verify(timestamp: String?, signature: String?, body: [UInt8], now: Date = Date()) throws(Failure) {
        guard let timestamp, let seconds = Int64(timestamp.trimmedOfWhitespace) else { throw .missingTimestamp }
        guard let signature, signature.hasPrefix("sha256="), let mac = Self.hex(signature.dropFirst(7)), mac.count == 32 else {
            throw .missingSignature
        }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= tolerance else { throw .stale }
        // Constant-time comparison (swift-crypto), so the signature cannot be guessed byte by byte from timings.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(timestamp: seconds, body: body), using: key) else {
            throw .mismatch
        }
    }

    /// The signature header value for `body` at `timestamp` (what a sender computes; the tests use it).
    public func sign(body: [UInt8], timestamp: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(timestamp: timestamp, body: body), using: key)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in mac { hex += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return "sha256=" + String(decoding: hex, as: UTF8.self)
    }

    private static func message(timestamp: Int64, body: [UInt8]) -> [UInt8] { Array("\(timestamp).".utf8) + body }

    private static func hex(_ text: Substring) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
