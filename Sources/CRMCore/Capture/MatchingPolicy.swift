import Foundation

/// The settings of the matching rules: how numbers are read, which domains are ours, which are free-mail,
/// and which addresses are never captured.
public struct MatchingPolicy: Sendable, Hashable {
    public var phones: PhoneNormalizer
    /// Our own company's domains: an address there is a colleague, never a customer's firm.
    public var ownDomains: Set<String>
    /// Domains whose addresses say nothing about the firm (gmail.com, mail.ru …). Default: ``defaultFreeMailDomains``.
    public var freeMailDomains: Set<String>
    /// Addresses and domains that are never captured (a supplier's ticket system, a newsletter sender).
    public var blockedAddresses: Set<String>
    public var blockedDomains: Set<String>

    /// Default: country "US", no own domains, the built-in free-mail list, nothing blocked.
    public init(
        defaultCountry: String = "US",
        ownDomains: Set<String> = [],
        freeMailDomains: Set<String> = MatchingPolicy.defaultFreeMailDomains,
        blockedAddresses: Set<String> = [],
        blockedDomains: Set<String> = []
    ) throws(CRMError) {
        self.phones = try PhoneNormalizer(defaultCountry: defaultCountry)
        self.ownDomains = Set(ownDomains.map { EmailAddress.normalizeDomain($0) })
        self.freeMailDomains = Set(freeMailDomains.map { EmailAddress.normalizeDomain($0) })
        self.blockedAddresses = Set(blockedAddresses.map { $0.lowercased() })
        self.blockedDomains = Set(blockedDomains.map { EmailAddress.normalizeDomain($0) })
    }

    // A `try!` would be hidden in a default argument otherwise; "US" is in the table.
    public init() {
        self.phones = try! PhoneNormalizer(defaultCountry: "US")
        self.ownDomains = []
        self.freeMailDomains = Self.defaultFreeMailDomains
        self.blockedAddresses = []
        self.blockedDomains = []
    }

    public func isFreeMail(_ domain: String) -> Bool { freeMailDomains.contains(domain) }
    public func isOwn(_ domain: String) -> Bool { ownDomains.contains(domain) }

    public func isBlocked(email: String) -> Bool {
        blockedAddresses.contains(email) || EmailAddress.domain(of: email).map { blockedDomains.contains($0) } == true
    }

    /// Whether a domain can identify a customer's firm.
    public func isFirmDomain(_ domain: String) -> Bool { !isFreeMail(domain) && !isOwn(domain) && !domain.isEmpty }

    public static let defaultFreeMailDomains: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.co.uk",
        "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "mail.com", "zoho.com",
        "yandex.ru", "yandex.com", "ya.ru", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "rambler.ru",
        "ukr.net", "orange.fr", "free.fr", "laposte.net", "libero.it", "seznam.cz", "wp.pl", "onet.pl", "qq.com",
        "163.com", "126.com", "fastmail.com", "hey.com", "tutanota.com",
    ]
}

/// Email address helpers: lower-casing, domain extraction, and website → domain.
public enum EmailAddress {
    /// Lower-cased address without surrounding spaces and angle brackets, or nil when it has no "@".
    public static func normalize(_ raw: String) -> String? {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = String(text[text.index(after: open)..<close])
        }
        if text.lowercased().hasPrefix("mailto:") { text = String(text.dropFirst(7)) }
        let lowered = text.lowercased()
        guard let at = lowered.lastIndex(of: "@"), at != lowered.startIndex, lowered.index(after: at) != lowered.endIndex,
              !lowered.contains(" ")
        else { return nil }
        return lowered
    }

    public static func domain(of email: String) -> String? {
        guard let at = email.lastIndex(of: "@") else { return nil }
        return normalizeDomain(String(email[email.index(after: at)...]))
    }

    /// "https://www.Acme.com/contact" → "acme.com"; "ACME.COM." → "acme.com".
    public static func normalizeDomain(_ raw: String) -> String {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = String(text.dropFirst(scheme.count)) }
        if let slash = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { text = String(text[..<slash]) }
        if let colon = text.firstIndex(of: ":") { text = String(text[..<colon]) }
        if text.hasPrefix("www.") { text = String(text.dropFirst(4)) }
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
