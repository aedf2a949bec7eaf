import Foundation

/// The `google` and `calendar` sections: the OAuth client, each agent's grant (refresh token), and calendar capture.
/// Present only when `google.accounts` lists someone.
struct GoogleSettings: Sendable {
    struct Account: Sendable {
        var address: String
        /// The refresh token, resolved when the daemon starts.
        var refreshToken: SecretReference
    }

    var clientId: String
    var clientSecret: SecretReference
    var tokenEndpoint: String
    var accounts: [Account]
    var calendarAPIBase: String
    /// Nil: no calendar capture (the grants serve mail's XOAUTH2 only).
    var pollInterval: Duration?
    var lookBackDays: Int
    var horizonDays: Int

    static func parseAccounts(_ entries: [String]) throws -> [Account] {
        var accounts: [Account] = []
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].contains("@") else {
                throw ConnectordConfigError(key: "google.accounts", message: "an entry is not ADDRESS=SECRET (for example alice@firm.example=file:/etc/connectord/alice.token)")
            }
            let address = parts[0].lowercased()
            guard !accounts.contains(where: { $0.address == address }) else { throw ConnectordConfigError(key: "google.accounts", message: "\(address) is listed twice") }
            accounts.append(Account(address: address, refreshToken: try SecretReference(parsing: parts[1], key: "google.accounts (\(address))")))
        }
        return accounts
    }

    static func validateURL(_ text: String, key: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme, ["https", "http"].contains(scheme), url.host != nil else {
            throw ConnectordConfigError(key: key, message: "'\(text)' is not an http(s) URL")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
