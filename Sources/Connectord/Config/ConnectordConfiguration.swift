import AsteriskAMI
import Configuration
import CRMCore
import Foundation
import Logging
import SystemPackage
import Yams

/// The daemon's and CLI's settings, read once at start-up through one swift-configuration `ConfigReader`:
/// environment variables (`CONNECTORD_*`) over the YAML file over the defaults of ``ConfigSchema``.
struct ConnectordConfiguration: Sendable {
    var storePath: String
    var httpHost: String
    var httpPort: Int
    var logLevel: Logger.Level
    var policy: MatchingPolicy
    /// Call capture; nil when no PBX is configured.
    var pbx: PBXSettings?
    /// Mail capture; nil when no IMAP server is configured.
    var mail: MailSettings?
    /// Google grants and calendar capture; nil when no Google account is configured.
    var google: GoogleSettings?
    /// The after-hours responder; nil when neither its webhook nor its mailbox switch is on.
    var afterHours: AfterHoursSettings?
    /// The reader hummingbird (and later async-http-client) read their own sections from.
    var reader: ConfigReader

    /// Loads and validates the configuration. Unknown keys, values of the wrong type and a missing file that
    /// was asked for by name all throw ``ConnectordConfigError`` naming the key.
    ///
    /// - Parameters:
    ///   - filePath: the YAML file; when nil, `CONNECTORD_CONFIG` or else `config/connectord.yaml` if it exists.
    ///   - environment: the process environment (tests pass their own).
    static func load(filePath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ConnectordConfiguration {
        let explicitPath = filePath ?? environment["CONNECTORD_CONFIG"]
        let path = explicitPath ?? "config/connectord.yaml"
        var fileValues: [String: Any] = [:]
        if FileManager.default.fileExists(atPath: path) {
            fileValues = try parseYAML(path: path)
        } else if explicitPath != nil {
            throw ConnectordConfigError(key: "config", message: "configuration file \(path) does not exist")
        }
        for key in fileValues.keys where ConfigSchema.key(named: key) == nil {
            let hint = ConfigSchema.suggestion(for: key).map { " (did you mean '\($0)'?)" } ?? ""
            throw ConnectordConfigError(key: key, message: "unknown key in \(path)\(hint)")
        }

        // CONNECTORD_HTTP_PORT → HTTP_PORT, which swift-configuration's environment provider maps to http.port.
        var environmentValues: [String: String] = [:]
        let known = Dictionary(uniqueKeysWithValues: ConfigSchema.keys.map { (ConfigSchema.environmentName(of: $0.name), $0.name) })
        for (name, value) in environment where name.hasPrefix("CONNECTORD_") && !["CONNECTORD_CONFIG", "CONNECTORD_USER", "CONNECTORD_TOKEN", "CONNECTORD_BIN"].contains(name) {
            guard known[name] != nil else {
                let hint = ConfigSchema.suggestion(for: name, among: Array(known.keys)).map { " (did you mean \($0)?)" } ?? ""
                throw ConnectordConfigError(key: name, message: "unknown environment variable\(hint)")
            }
            environmentValues[String(name.dropFirst("CONNECTORD_".count))] = value
        }

        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environmentValues)]
        if !fileValues.isEmpty {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        }
        let reader = ConfigReader(providers: providers)

        func source(_ key: String) -> String? {
            let envName = ConfigSchema.environmentName(of: key)
            if environment[envName] != nil { return "environment variable \(envName)" }
            if fileValues[key] != nil { return path }
            return nil
        }
        func string(_ key: String) throws -> String {
            guard let from = source(key) else { return ConfigSchema.key(named: key)!.defaultValue ?? "" }
            do { return try reader.requiredString(forKey: ConfigKey(key)) } catch {
                throw ConnectordConfigError(key: key, message: "expected a string (from \(from))")
            }
        }
        func int(_ key: String) throws -> Int {
            guard let from = source(key) else { return Int(ConfigSchema.key(named: key)!.defaultValue ?? "0") ?? 0 }
            do { return try reader.requiredInt(forKey: ConfigKey(key)) } catch {
                throw ConnectordConfigError(key: key, message: "expected a whole number (from \(from))")
            }
        }
        func list(_ key: String) throws -> [String] {
            guard let from = source(key) else { return [] }
            do { return try reader.requiredStringArray(forKey: ConfigKey(key)).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } catch {
                throw ConnectordConfigError(key: key, message: "expected a list of strings (from \(from))")
            }
        }

        let port = try int("http.port")
        guard (0...65535).contains(port) else { throw ConnectordConfigError(key: "http.port", message: "\(port) is not a TCP port") }
        let levelText = try string("log.level")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConnectordConfigError(key: "log.level", message: "'\(levelText)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let policy: MatchingPolicy
        do {
            policy = try MatchingPolicy(
                defaultCountry: try string("crm.defaultCountry"),
                ownDomains: Set(try list("crm.ownDomains")),
                freeMailDomains: MatchingPolicy.defaultFreeMailDomains.union(try list("crm.freeMailDomains")),
                blockedAddresses: Set(try list("crm.blockedAddresses")),
                blockedDomains: Set(try list("crm.blockedDomains"))
            )
        } catch let error as CRMError {
            throw ConnectordConfigError(key: "crm.defaultCountry", message: error.description)
        }
        let storePath = try string("store.path")
        guard !storePath.isEmpty else { throw ConnectordConfigError(key: "store.path", message: "must not be empty") }
        var pbx: PBXSettings?
        let amiHost = try string("ami.host")
        if !amiHost.isEmpty {
            let amiPort = try int("ami.port")
            guard (1...65535).contains(amiPort) else { throw ConnectordConfigError(key: "ami.port", message: "\(amiPort) is not a TCP port") }
            let username = try string("ami.username")
            guard !username.isEmpty else { throw ConnectordConfigError(key: "ami.username", message: "required when ami.host is set") }
            let secretText = try string("ami.secret")
            guard !secretText.isEmpty else { throw ConnectordConfigError(key: "ami.secret", message: "required when ami.host is set (env:VARIABLE or file:/path)") }
            let authenticationText = try string("ami.authentication")
            guard let authentication = AMIClientConfiguration.Authentication(rawValue: authenticationText.lowercased()) else {
                throw ConnectordConfigError(key: "ami.authentication", message: "'\(authenticationText)' is not md5 or plain")
            }
            let pbxId = try string("ami.pbxId")
            guard !pbxId.isEmpty, !pbxId.contains(":") else { throw ConnectordConfigError(key: "ami.pbxId", message: "must be a non-empty name without ':'") }
            let dialChannel = try string("ami.dialChannel")
            guard dialChannel.contains("{extension}") else {
                throw ConnectordConfigError(key: "ami.dialChannel", message: "must contain {extension} (for example PJSIP/{extension})")
            }
            pbx = PBXSettings(
                host: amiHost, port: amiPort, username: username, secret: try SecretReference(parsing: secretText, key: "ami.secret"),
                authentication: authentication, pbxId: pbxId, extensions: Set(try list("ami.extensions")),
                devices: try PBXSettings.parseDevices(try list("ami.devices")), dialChannel: dialChannel,
                dialContext: try string("ami.dialContext"), callerId: try string("ami.callerId")
            )
        }
        var mail: MailSettings?
        let mailHost = try string("mail.host")
        if !mailHost.isEmpty {
            let mailPort = try int("mail.port")
            guard (1...65535).contains(mailPort) else { throw ConnectordConfigError(key: "mail.port", message: "\(mailPort) is not a TCP port") }
            let accounts = try MailSettings.parseAccounts(try list("mail.accounts"))
            guard !accounts.isEmpty else { throw ConnectordConfigError(key: "mail.accounts", message: "required when mail.host is set") }
            let batchSize = try int("mail.batchSize")
            guard (1...10_000).contains(batchSize) else { throw ConnectordConfigError(key: "mail.batchSize", message: "\(batchSize) is not between 1 and 10000") }
            let renewal = try int("mail.idleRenewalSeconds")
            guard (1...1740).contains(renewal) else {
                throw ConnectordConfigError(key: "mail.idleRenewalSeconds", message: "\(renewal) is not between 1 and 1740 (servers end IDLE after 30 minutes)")
            }
            let folders = try list("mail.folders")
            mail = MailSettings(
                host: mailHost, port: mailPort, security: try MailSettings.parseSecurity(try string("mail.security")), accounts: accounts,
                folders: folders.isEmpty ? nil : folders, backfillSince: try MailSettings.parseDate(try string("mail.backfillSince")),
                caFile: try string("mail.caFile"), batchSize: batchSize, idleRenewal: .seconds(renewal)
            )
        }
        var google: GoogleSettings?
        let googleAccounts = try GoogleSettings.parseAccounts(try list("google.accounts"))
        if !googleAccounts.isEmpty {
            let clientId = try string("google.clientId")
            guard !clientId.isEmpty else { throw ConnectordConfigError(key: "google.clientId", message: "required when google.accounts is set") }
            let secretText = try string("google.clientSecret")
            guard !secretText.isEmpty else { throw ConnectordConfigError(key: "google.clientSecret", message: "required when google.accounts is set (env:VARIABLE or file:/path)") }
            let poll = try int("calendar.pollSeconds")
            guard poll >= 0 else { throw ConnectordConfigError(key: "calendar.pollSeconds", message: "\(poll) is negative") }
            let lookBack = try int("calendar.lookBackDays"), horizon = try int("calendar.horizonDays")
            guard (0...3650).contains(lookBack) else { throw ConnectordConfigError(key: "calendar.lookBackDays", message: "\(lookBack) is not between 0 and 3650") }
            guard (1...3650).contains(horizon) else { throw ConnectordConfigError(key: "calendar.horizonDays", message: "\(horizon) is not between 1 and 3650") }
            google = GoogleSettings(
                clientId: clientId, clientSecret: try SecretReference(parsing: secretText, key: "google.clientSecret"),
                tokenEndpoint: try GoogleSettings.validateURL(try string("google.tokenEndpoint"), key: "google.tokenEndpoint"), accounts: googleAccounts,
                calendarAPIBase: try GoogleSettings.validateURL(try string("calendar.apiBase"), key: "calendar.apiBase"),
                pollInterval: poll == 0 ? nil : .seconds(poll), lookBackDays: lookBack, horizonDays: horizon)
        }
        if let mail {
            for account in mail.accounts where account.secret == nil && !(google?.accounts.contains { $0.address == account.address } ?? false) {
                throw ConnectordConfigError(key: "mail.accounts", message: "\(account.address)=oauth needs that account in google.accounts")
            }
        }
        let afterHours = try AfterHoursSettings.load(string: string, int: int, list: list)
        if let afterHours {
            if afterHours.smtp.secret == nil, !(google?.accounts.contains { $0.address == afterHours.smtp.username } ?? false) {
                throw ConnectordConfigError(key: "smtp.secret", message: "oauth needs \(afterHours.smtp.username) in google.accounts")
            }
            if afterHours.answersMailboxes, mail == nil {
                throw ConnectordConfigError(key: "afterHours.mailboxes", message: "on needs mail capture (mail.host and mail.accounts)")
            }
        }
        return ConnectordConfiguration(
            storePath: storePath, httpHost: try string("http.host"), httpPort: port, logLevel: level, policy: policy, pbx: pbx, mail: mail,
            google: google, afterHours: afterHours, reader: reader
        )
    }

    /// The YAML file flattened to dotted keys ("http.port"); sequences are leaves.
    static func parseYAML(path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConnectordConfigError(key: "config", message: "cannot read \(path)")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConnectordConfigError(key: "config", message: "\(path) is not valid YAML: \(error)")
        }
        guard let root else { return [:] }
        guard let mapping = root as? [String: Any] else {
            throw ConnectordConfigError(key: "config", message: "\(path) must be a mapping of sections (store, http, crm, log)")
        }
        var flat: [String: Any] = [:]
        func walk(_ value: Any, prefix: String) {
            if let mapping = value as? [String: Any] {
                for (key, child) in mapping { walk(child, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") }
            } else {
                flat[prefix] = value
            }
        }
        walk(mapping, prefix: "")
        return flat
    }
}
