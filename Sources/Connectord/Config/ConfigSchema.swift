/// Every configuration key connectord knows, with its type, default and meaning. Start-up refuses any other
/// key (in the YAML file or as a `CONNECTORD_` environment variable), naming it and the closest known key.
enum ConfigSchema {
    enum ValueType: String, Sendable { case string, int, stringArray = "list of strings", secret = "secret reference" }

    struct Key: Sendable {
        let name: String
        let type: ValueType
        let defaultValue: String?
        let help: String
    }

    static let keys: [Key] = [
        Key(name: "store.path", type: .string, defaultValue: "./var/connectord.sqlite", help: "SQLite file of the CRM (WAL)"),
        Key(name: "http.host", type: .string, defaultValue: "127.0.0.1", help: "address the HTTP server binds"),
        Key(name: "http.port", type: .int, defaultValue: "8080", help: "port of the HTTP server (0 picks a free one)"),
        Key(name: "crm.defaultCountry", type: .string, defaultValue: "US", help: "ISO country for phone numbers without a country code"),
        Key(name: "crm.ownDomains", type: .stringArray, defaultValue: "", help: "our own mail domains: colleagues, never customers"),
        Key(name: "crm.freeMailDomains", type: .stringArray, defaultValue: "", help: "free-mail domains in addition to the built-in list"),
        Key(name: "crm.blockedAddresses", type: .stringArray, defaultValue: "", help: "addresses never captured"),
        Key(name: "crm.blockedDomains", type: .stringArray, defaultValue: "", help: "domains never captured"),
        Key(name: "ami.host", type: .string, defaultValue: "", help: "Asterisk host for call capture; empty: no PBX"),
        Key(name: "ami.port", type: .int, defaultValue: "5038", help: "Asterisk Manager Interface port"),
        Key(name: "ami.username", type: .string, defaultValue: "", help: "manager user (manager.conf) with read call,reporting and write originate"),
        Key(name: "ami.secret", type: .secret, defaultValue: "", help: "the manager secret, as env:VARIABLE or file:/path"),
        Key(name: "ami.authentication", type: .string, defaultValue: "md5", help: "md5 (challenge, the secret never crosses the wire) or plain"),
        Key(name: "ami.pbxId", type: .string, defaultValue: "pbx", help: "names this PBX in every call's source key; never change it once calls are captured"),
        Key(name: "ami.extensions", type: .stringArray, defaultValue: "", help: "agent extensions in addition to those of the users"),
        Key(name: "ami.devices", type: .stringArray, defaultValue: "", help: "phones not named after their extension, as DEVICE=EXTENSION (SIP/150010001=201)"),
        Key(name: "ami.dialChannel", type: .string, defaultValue: "PJSIP/{extension}", help: "click-to-dial: the agent's phone, rung first"),
        Key(name: "ami.dialContext", type: .string, defaultValue: "from-internal", help: "click-to-dial: dialplan context that dials the customer's number"),
        Key(name: "ami.callerId", type: .string, defaultValue: "", help: "click-to-dial: the caller ID the customer sees (our company's number)"),
        Key(name: "mail.host", type: .string, defaultValue: "", help: "IMAP server of the agents' mailboxes (imap.gmail.com); empty: no mail capture"),
        Key(name: "mail.port", type: .int, defaultValue: "993", help: "IMAP port (993 with tls, 143 with starttls)"),
        Key(name: "mail.security", type: .string, defaultValue: "tls", help: "tls (implicit), starttls, or none (loopback only)"),
        Key(name: "mail.accounts", type: .stringArray, defaultValue: "", help: "one mailbox per agent, as ADDRESS=SECRET (alice@firm.example=env:ALICE_IMAP_PASSWORD), or ADDRESS=oauth to log in with XOAUTH2 through the account's google.accounts grant"),
        Key(name: "mail.folders", type: .stringArray, defaultValue: "", help: "folders to sync; empty: Gmail's All Mail, else INBOX and Sent"),
        Key(name: "mail.backfillSince", type: .string, defaultValue: "", help: "first sync goes back to this date (YYYY-MM-DD); empty: all mail"),
        Key(name: "mail.caFile", type: .string, defaultValue: "", help: "PEM file of extra trusted certificates; certificates are always verified"),
        Key(name: "mail.batchSize", type: .int, defaultValue: "1000", help: "messages per fetch and per commit"),
        Key(name: "mail.idleRenewalSeconds", type: .int, defaultValue: "1500", help: "IDLE is re-issued after this long (servers drop it at 30 minutes); other folders are checked as often"),
        Key(name: "google.clientId", type: .string, defaultValue: "", help: "OAuth client id of connectord's Google Cloud project"),
        Key(name: "google.clientSecret", type: .secret, defaultValue: "", help: "the OAuth client secret, as env:VARIABLE or file:/path"),
        Key(name: "google.accounts", type: .stringArray, defaultValue: "", help: "one Google account per agent, as ADDRESS=REFRESH_TOKEN_REFERENCE (alice@firm.example=file:/etc/connectord/alice.token)"),
        Key(name: "google.tokenEndpoint", type: .string, defaultValue: "https://oauth2.googleapis.com/token", help: "OAuth token endpoint"),
        Key(name: "calendar.apiBase", type: .string, defaultValue: "https://www.googleapis.com/calendar/v3", help: "Calendar API v3 base URL"),
        Key(name: "calendar.pollSeconds", type: .int, defaultValue: "300", help: "each agent's calendar is synced this often (±25 % jitter); 0: no calendar capture"),
        Key(name: "calendar.lookBackDays", type: .int, defaultValue: "365", help: "the first sync captures meetings that ended up to this many days ago"),
        Key(name: "calendar.horizonDays", type: .int, defaultValue: "180", help: "recurring meetings are captured this far ahead"),
        Key(name: "afterHours.webhookSecret", type: .secret, defaultValue: "", help: "shared secret of POST /hooks/inbound (HMAC-SHA256), as env:VARIABLE or file:/path; empty: no webhook"),
        Key(name: "afterHours.mailboxes", type: .string, defaultValue: "off", help: "on: also answer mail the IMAP sync sees arrive after hours"),
        Key(name: "afterHours.from", type: .string, defaultValue: "", help: "the address automatic replies come from (info@firm.example)"),
        Key(name: "afterHours.timeZone", type: .string, defaultValue: "UTC", help: "IANA time zone of the business hours (Europe/Berlin)"),
        Key(name: "afterHours.schedule", type: .stringArray, defaultValue: "mon-fri 09:00-17:00", help: "opening hours, one line per interval (mon-fri 09:00-12:30, sat 10:00-14:00)"),
        Key(name: "afterHours.holidays", type: .stringArray, defaultValue: "", help: "closed days, YYYY-MM-DD"),
        Key(name: "afterHours.holidayCalendar", type: .string, defaultValue: "", help: "an iCalendar (.ics) file of holidays; its all-day events are closed days"),
        Key(name: "afterHours.template", type: .string, defaultValue: "after-hours", help: "the template of the reply, in one version per language"),
        Key(name: "afterHours.defaultLanguage", type: .string, defaultValue: "en", help: "the reply's language when the contact's is unknown"),
        Key(name: "afterHours.senderLimitDays", type: .int, defaultValue: "7", help: "one automatic reply per sender within this many days"),
        Key(name: "afterHours.maxBodyKB", type: .int, defaultValue: "1024", help: "larger webhook bodies are refused (413)"),
        Key(name: "afterHours.urgentKeywords", type: .stringArray, defaultValue: "", help: "words that make a message urgent; empty: urgent, emergency, asap, dringend, urgente, срочно …"),
        Key(name: "afterHours.urgentClients", type: .string, defaultValue: "on", help: "on: a message from a client company is urgent"),
        Key(name: "afterHours.urgentRepeatMinutes", type: .int, defaultValue: "30", help: "a second message from the same sender within this many minutes is urgent; 0: off"),
        Key(name: "afterHours.onCall", type: .stringArray, defaultValue: "", help: "the on-call rota: agents' addresses in turn order"),
        Key(name: "afterHours.onCallSince", type: .string, defaultValue: "", help: "the day (YYYY-MM-DD) the first agent's turn starts"),
        Key(name: "afterHours.onCallShiftDays", type: .int, defaultValue: "7", help: "days per turn on call"),
        Key(name: "afterHours.retrySeconds", type: .int, defaultValue: "30", help: "a failed send is retried after this long, doubling each time"),
        Key(name: "afterHours.retryMaxSeconds", type: .int, defaultValue: "3600", help: "the longest wait between send attempts"),
        Key(name: "smtp.host", type: .string, defaultValue: "", help: "submission server for automatic replies (smtp.gmail.com)"),
        Key(name: "smtp.port", type: .int, defaultValue: "465", help: "465 with tls, 587 with starttls"),
        Key(name: "smtp.security", type: .string, defaultValue: "tls", help: "tls (implicit), starttls, or none (loopback only)"),
        Key(name: "smtp.username", type: .string, defaultValue: "", help: "the SMTP login; empty: afterHours.from"),
        Key(name: "smtp.secret", type: .secret, defaultValue: "", help: "the SMTP password as env:VARIABLE or file:/path, or oauth (XOAUTH2 with the login's google.accounts grant)"),
        Key(name: "smtp.caFile", type: .string, defaultValue: "", help: "PEM file of extra trusted certificates; certificates are always verified"),
        Key(name: "log.level", type: .string, defaultValue: "info", help: "trace, debug, info, notice, warning, error or critical"),
    ]

    static func key(named name: String) -> Key? { keys.first { $0.name == name } }

    /// `http.port` → `CONNECTORD_HTTP_PORT`, `crm.ownDomains` → `CONNECTORD_CRM_OWN_DOMAINS` (swift-configuration's
    /// environment encoding, with our prefix).
    static func environmentName(of key: String) -> String {
        "CONNECTORD_" + key.split(separator: ".").map { component -> String in
            var out = ""
            var previous: Character?
            for char in component {
                if let previous, previous.isLowercase, char.isUppercase { out.append("_") }
                out.append(char)
                previous = char
            }
            return out.uppercased()
        }.joined(separator: "_")
    }

    /// The known key closest to `name`, for "did you mean" hints.
    static func suggestion(for name: String, among candidates: [String] = keys.map(\.name)) -> String? {
        let best = candidates.map { ($0, editDistance($0.lowercased(), name.lowercased())) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(3, name.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = a[i - 1] == b[j - 1] ? previous : min(previous, row[j], row[j - 1]) + 1
                previous = current
            }
        }
        return row[b.count]
    }
}
