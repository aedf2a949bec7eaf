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

    /// The HMAC with the key already absorbed: each request copies it (a value type) instead of hashing the key's two
    /// pads again.
    private let keyed: HMAC<SHA256>
    public let tolerance: TimeInterval

    public init(secret: String, tolerance: TimeInterval = 300) {
        keyed = HMAC(key: SymmetricKey(data: Data(secret.utf8)))
        self.tolerance = tolerance
    }

    /// Checks a request; throws which part failed (never echoing the secret or the expected signature).
    public func verify(timestamp: String?, signature: String?, body: [UInt8], now: Date = Date()) throws(Failure) {
        guard let timestamp, let seconds = Int64(timestamp.trimmedOfWhitespace) else { throw .missingTimestamp }
        guard let signature, signature.hasPrefix("sha256="), let mac = Self.hex(signature.dropFirst(7)), mac.count == 32 else {
            throw .missingSignature
        }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= tolerance else { throw .stale }
        // Constant-time comparison (swift-crypto's `==` between a code and bytes), so the signature cannot be guessed
        // byte by byte from timings.
        guard code(timestamp: seconds, body: body) == mac else { throw .mismatch }
    }

    /// The signature header value for `body` at `timestamp` (what a sender computes; the tests use it).
    public func sign(body: [UInt8], timestamp: Int64) -> String {
        let mac = code(timestamp: timestamp, body: body)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in mac { hex += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return "sha256=" + String(decoding: hex, as: UTF8.self)
    }

    /// The HMAC of `<timestamp>.<body>`, fed in parts: the body is not copied.
    private func code(timestamp: Int64, body: [UInt8]) -> HMAC<SHA256>.MAC {
        var hmac = keyed
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize()
    }

    private static func hex(_ text: Substring) -> [UInt8]? {
        // On the UTF-8 bytes: walking a Substring by Character cost more than the HMAC it guards.
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
