import CRMCore
import Foundation
import MailSync

/// Turns synced messages of one agent's mailbox into captured email activities.
///
/// The source key is the message's identity, not the mailbox's: the same message in two agents' mailboxes (or in
/// INBOX and Sent of one) is one activity, linked to both agents. Only identities that mean something in one
/// mailbox alone (Gmail's X-GM-MSGID, a header digest for mail without Message-ID) carry the mailbox in the key.
public struct MailFiling: Sendable {
    /// The agent's address: the owner of the mailbox.
    public let account: String

    public init(account: String) { self.account = account.lowercased() }

    public func sourceKey(_ identity: String) -> String {
        identity.hasPrefix("gm:") || identity.hasPrefix("h:") ? "mail:\(account):\(identity)" : "mail:\(identity)"
    }

    /// The activity for one message, or nil for bulk mail (lists, newsletters, auto-replies), which is never captured.
    public func activity(for message: SyncedMessage, now: Date = Date()) -> CapturedActivity? {
        guard !message.isBulk else { return nil }
        let sent = message.from.contains { $0.address.lowercased() == account }
        var participants: [CapturedActivity.Participant] = []
        var seen: Set<String> = []
        for address in message.participants where seen.insert(address).inserted { participants.append(.email(address)) }
        var details = ["mailbox": account, "folder": message.folder]
        if let id = message.messageID { details["messageId"] = id }
        if let parent = message.inReplyTo.first { details["inReplyTo"] = parent }
        if let thread = message.gmailThreadID { details["gmailThreadId"] = String(thread) }
        if let snippet = message.snippet { details["snippet"] = snippet }
        // The thread, newest first: the message answered, then the References from the end.
        var thread: [String] = []
        for id in message.inReplyTo + message.references.reversed() where !thread.contains(sourceKey(id)) { thread.append(sourceKey(id)) }
        let date = message.date.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSince1970)) }
        return CapturedActivity(
            kind: .email, sourceKey: sourceKey(message.identity), occurredAt: date.flatMap(Self.plausible) ?? now,
            agent: .email(account), threadSourceKeys: thread, direction: sent ? .outbound : .inbound,
            participants: participants, subject: message.subject, details: details)
    }

    /// A Date header years off (a typo, a broken client) is not trusted; the capture time stands in.
    private static func plausible(_ date: Date) -> Date? {
        (Date(timeIntervalSince1970: 0)...Date().addingTimeInterval(86_400 * 2)).contains(date) ? date : nil
    }
}
