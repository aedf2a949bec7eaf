import Foundation
import MailSync

/// Which messages must never get an automatic answer: RFC 3834 §2 and the common practice of mail systems, so that no
/// auto-reply ever goes to a robot, a list, a bounce address or ourselves (the classic mail loop).
public struct AutoReplyPolicy: Sendable {
    /// Why a message is not answered.
    public enum Refusal: String, Sendable, Hashable, CaseIterable {
        /// Return-Path `<>`: a bounce or another auto-reply (RFC 3834 §2: MUST NOT).
        case nullSender = "null sender"
        /// MAILER-DAEMON, postmaster, noreply and their kin: nobody reads the answer.
        case systemSender = "system sender"
        /// `Auto-Submitted` other than `no` (RFC 3834 §2, RFC 3834 §5).
        case autoSubmitted = "auto-submitted"
        /// `Precedence: bulk | list | junk | auto_reply`.
        case bulk = "bulk precedence"
        /// `List-Id`, `List-Unsubscribe` or any `List-*` field (RFC 2369, RFC 2919).
        case mailingList = "mailing list"
        /// Exchange's `X-Auto-Response-Suppress` (All, OOF, AutoReply).
        case suppressed = "auto-response suppressed"
        /// One of our own addresses or domains: answering would talk to ourselves.
        case ownAddress = "our own address"
        /// The sender (or Return-Path) is no address at all: there is nobody to answer.
        case unusableSender = "no usable sender address"
    }

    /// Our addresses (the responder's own, every agent's) and our domains, lower-cased.
    public var ownAddresses: Set<String>
    public var ownDomains: Set<String>

    public init(ownAddresses: Set<String> = [], ownDomains: Set<String> = []) {
        self.ownAddresses = Set(ownAddresses.map { $0.lowercased() })
        self.ownDomains = Set(ownDomains.map { $0.lowercased() })
    }

    /// Local parts that belong to machines (RFC 3834 §2 names owner-*, *-request and MAILER-DAEMON; the rest is
    /// what bounce and notification senders use).
    static let systemLocalParts: Set<String> = [
        "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces",
        "notifications", "notification", "daemon", "listserv", "majordomo", "root",
    ]

    /// Why `message` must not be answered, or nil when it may be.
    public func refusal(for message: InboundMessage) -> Refusal? {
        if let returnPath = message.returnPath, returnPath.trimmedOfWhitespace.isEmpty { return .nullSender }
        let sender = (message.returnPath ?? message.from).lowercased()
        for address in Set([sender, message.from.lowercased()]) {
            guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex else {
                return .unusableSender
            }
            let local = String(address[..<at]), domain = String(address[address.index(after: at)...])
            if ownAddresses.contains(address) || ownDomains.contains(domain) { return .ownAddress }
            if Self.systemLocalParts.contains(local) || local.hasPrefix("owner-") || local.hasSuffix("-request") || local.hasPrefix("bounce") {
                return .systemSender
            }
        }
        if let value = message.header("Auto-Submitted"), value.split(separator: ";").first.map({ $0.trimmedOfWhitespace.lowercased() }) != "no" {
            return .autoSubmitted
        }
        if let value = message.header("Precedence")?.trimmedOfWhitespace.lowercased(), ["bulk", "list", "junk", "auto_reply"].contains(value) {
            return .bulk
        }
        if message.hasHeader(prefix: "List-") { return .mailingList }
        if let value = message.header("X-Auto-Response-Suppress")?.lowercased() {
            let kinds = value.split(separator: ",").map { $0.trimmedOfWhitespace }
            if kinds.contains(where: { ["all", "oof", "autoreply"].contains($0) }) { return .suppressed }
        }
        return nil
    }
}
