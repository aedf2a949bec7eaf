import Foundation
import MailSync

/// The `mail` section: the agents' mailboxes to capture email from. Present only when `mail.host` is set.
struct MailSettings: Sendable {
    struct Account: Sendable {
        /// The agent's address: the IMAP login, and who "sent" means.
        var address: String
        /// The IMAP password (for Gmail, an app password), resolved when the daemon starts; nil: XOAUTH2 with the
        /// account's Google grant (`google.accounts`).
        var secret: SecretReference?
    }

    var host: String
    var port: Int
    var security: IMAPClientConfiguration.Security
    var accounts: [Account]
    /// Nil: found by SPECIAL-USE (Gmail's All Mail, else INBOX and Sent).
    var folders: [String]?
    /// The backfill goes back to this moment; nil: everything.
    var backfillSince: Date?
    /// A PEM file of extra trusted certificates (a company CA, a test server); empty: the system's roots only.
    var caFile: String
    var batchSize: Int
    var idleRenewal: Duration

    /// `alice@firm.example=env:ALICE_IMAP_PASSWORD` entries, as `mail.accounts` lists them.
    static func parseAccounts(_ entries: [String]) throws -> [Account] {
        var accounts: [Account] = []
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].contains("@") else {
                throw ConnectordConfigError(key: "mail.accounts", message: "an entry is not ADDRESS=SECRET (for example alice@firm.example=env:ALICE_IMAP_PASSWORD)")
            }
            let address = parts[0].lowercased()
            guard !accounts.contains(where: { $0.address == address }) else {
                throw ConnectordConfigError(key: "mail.accounts", message: "\(address) is listed twice")
            }
            let secret = parts[1].lowercased() == "oauth" ? nil : try SecretReference(parsing: parts[1], key: "mail.accounts (\(address))")
            accounts.append(Account(address: address, secret: secret))
        }
        return accounts
    }

    static func parseSecurity(_ text: String) throws -> IMAPClientConfiguration.Security {
        switch text.lowercased() {
        case "tls": .implicitTLS
        case "starttls": .startTLS
        case "none": .none
        default: throw ConnectordConfigError(key: "mail.security", message: "'\(text)' is not tls, starttls or none")
        }
    }

    static func parseDate(_ text: String) throws -> Date? {
        guard !text.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else {
            throw ConnectordConfigError(key: "mail.backfillSince", message: "'\(text)' is not a date as YYYY-MM-DD")
        }
        return date
    }
}
