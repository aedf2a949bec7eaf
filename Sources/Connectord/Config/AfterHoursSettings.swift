import AfterHours
import AfterHoursCapture
import Foundation
import MailSync

/// The `afterHours` and `smtp` sections: the after-hours responder. Present when `afterHours.webhookSecret` is set
/// (the `POST /hooks/inbound` endpoint) or `afterHours.mailboxes` is `on` (mail the IMAP sync sees arrive).
struct AfterHoursSettings: Sendable {
    struct SMTP: Sendable {
        var host: String
        var port: Int
        var security: IMAPClientConfiguration.Security
        var username: String
        /// Nil: XOAUTH2 with `username`'s Google grant.
        var secret: SecretReference?
        var caFile: String
    }

    var responder: ResponderSettings
    /// Nil: no webhook endpoint.
    var webhookSecret: SecretReference?
    var maxBodyBytes: Int
    /// Answer mail the mailbox sync sees arrive after hours, as the webhook would.
    var answersMailboxes: Bool
    var retry: ReplyOutbox.Retry
    var smtp: SMTP

    static let defaultSchedule = ["mon-fri 09:00-17:00"]

    /// Reads the sections with the configuration's accessors (which name the key and its source on a wrong type).
    static func load(string: (String) throws -> String, int: (String) throws -> Int, list: (String) throws -> [String]) throws -> AfterHoursSettings? {
        let secretText = try string("afterHours.webhookSecret")
        let mailboxes = try flag(try string("afterHours.mailboxes"), key: "afterHours.mailboxes")
        guard !secretText.isEmpty || mailboxes else { return nil }
        let from = try string("afterHours.from").lowercased()
        guard from.contains("@") else { throw ConnectordConfigError(key: "afterHours.from", message: "required: the address replies come from (info@firm.example)") }

        let schedule = try list("afterHours.schedule")
        let zone = try string("afterHours.timeZone"), holidays = try list("afterHours.holidays")
        var hours = try converting { (key: inout String) throws(AfterHoursError) in
            key = "afterHours.timeZone"
            _ = try BusinessHours(timeZone: zone, schedule: [])
            key = "afterHours.holidays"
            _ = try BusinessHours(timeZone: zone, schedule: [], holidays: holidays)
            key = "afterHours.schedule"
            return try BusinessHours(timeZone: zone, schedule: schedule.isEmpty ? defaultSchedule : schedule, holidays: holidays)
        }
        let calendarPath = try string("afterHours.holidayCalendar")
        if !calendarPath.isEmpty {
            guard let data = FileManager.default.contents(atPath: calendarPath) else {
                throw ConnectordConfigError(key: "afterHours.holidayCalendar", message: "cannot read \(calendarPath)")
            }
            try converting { (key: inout String) throws(AfterHoursError) in
                key = "afterHours.holidayCalendar"
                try hours.addHolidays(iCalendar: String(decoding: data, as: UTF8.self))
            }
        }
        let limitDays = try int("afterHours.senderLimitDays")
        guard (0...365).contains(limitDays) else { throw ConnectordConfigError(key: "afterHours.senderLimitDays", message: "\(limitDays) is not between 0 and 365") }
        let repeatMinutes = try int("afterHours.urgentRepeatMinutes")
        guard (0...1440).contains(repeatMinutes) else { throw ConnectordConfigError(key: "afterHours.urgentRepeatMinutes", message: "\(repeatMinutes) is not between 0 and 1440") }
        let keywords = try list("afterHours.urgentKeywords")
        let urgency = UrgencyRules(
            keywords: keywords.isEmpty ? UrgencyRules.defaultKeywords : keywords, clientsAreUrgent: try flag(try string("afterHours.urgentClients"), key: "afterHours.urgentClients"),
            repeatCount: 1, repeatWindow: repeatMinutes == 0 ? nil : TimeInterval(repeatMinutes * 60))
        var rota: OnCallRota?
        let agents = try list("afterHours.onCall")
        if !agents.isEmpty {
            let since = try string("afterHours.onCallSince"), shiftDays = try int("afterHours.onCallShiftDays"), zone = hours.timeZone
            rota = try converting { (key: inout String) throws(AfterHoursError) in
                key = "afterHours.onCallShiftDays"
                _ = try OnCallRota(agents: agents, since: "2026-01-01", shiftDays: shiftDays, timeZone: zone)
                key = "afterHours.onCallSince"
                return try OnCallRota(agents: agents, since: since, shiftDays: shiftDays, timeZone: zone)
            }
        }
        let ownDomains = Set(try list("crm.ownDomains"))
        let responder = ResponderSettings(
            hours: hours, policy: AutoReplyPolicy(ownAddresses: [from], ownDomains: ownDomains), urgency: urgency, rota: rota, from: from,
            template: try string("afterHours.template"), defaultLanguage: try string("afterHours.defaultLanguage"),
            senderLimit: TimeInterval(limitDays * 86_400))

        let maxKB = try int("afterHours.maxBodyKB")
        guard (1...65_536).contains(maxKB) else { throw ConnectordConfigError(key: "afterHours.maxBodyKB", message: "\(maxKB) is not between 1 and 65536") }
        let retrySeconds = try int("afterHours.retrySeconds"), retryMax = try int("afterHours.retryMaxSeconds")
        guard retrySeconds >= 1, retryMax >= retrySeconds else {
            throw ConnectordConfigError(key: "afterHours.retrySeconds", message: "must be at least 1 and at most afterHours.retryMaxSeconds")
        }

        let smtpHost = try string("smtp.host")
        guard !smtpHost.isEmpty else { throw ConnectordConfigError(key: "smtp.host", message: "required when the after-hours responder is on (it sends the replies)") }
        let smtpPort = try int("smtp.port")
        guard (1...65535).contains(smtpPort) else { throw ConnectordConfigError(key: "smtp.port", message: "\(smtpPort) is not a TCP port") }
        let username = try string("smtp.username")
        let smtpSecret = try string("smtp.secret")
        var secret: SecretReference?
        if smtpSecret.lowercased() != "oauth" {
            guard !smtpSecret.isEmpty else { throw ConnectordConfigError(key: "smtp.secret", message: "required: env:VARIABLE, file:/path, or oauth (the Google grant of smtp.username)") }
            secret = try SecretReference(parsing: smtpSecret, key: "smtp.secret")
        }
        let security: IMAPClientConfiguration.Security
        switch try string("smtp.security").lowercased() {
        case "tls": security = .implicitTLS
        case "starttls": security = .startTLS
        case "none": security = .none
        case let other: throw ConnectordConfigError(key: "smtp.security", message: "'\(other)' is not tls, starttls or none")
        }
        return AfterHoursSettings(
            responder: responder, webhookSecret: secretText.isEmpty ? nil : try SecretReference(parsing: secretText, key: "afterHours.webhookSecret"),
            maxBodyBytes: maxKB << 10, answersMailboxes: mailboxes, retry: ReplyOutbox.Retry(initial: TimeInterval(retrySeconds), maximum: TimeInterval(retryMax)),
            smtp: SMTP(host: smtpHost, port: smtpPort, security: security, username: username.isEmpty ? from : username, secret: secret, caFile: try string("smtp.caFile")))
    }

    /// Runs `body`, turning its error into a configuration error of the key it was checking.
    private static func converting<T>(_ body: (inout String) throws(AfterHoursError) -> T) throws -> T {
        var key = "afterHours"
        do { return try body(&key) } catch { throw ConnectordConfigError(key: key, message: error.description) }
    }

    static func flag(_ text: String, key: String) throws -> Bool {
        switch text.lowercased() {
        case "on", "yes", "true": return true
        case "off", "no", "false", "": return false
        default: throw ConnectordConfigError(key: key, message: "'\(text)' is not on or off")
        }
    }
}
