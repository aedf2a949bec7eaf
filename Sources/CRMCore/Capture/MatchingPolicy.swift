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
///
/// These run for every participant of every captured email, so they work on UTF-8 directly instead of going
/// through Foundation's `NSString` bridging.
public enum EmailAddress {
    /// Lower-cased address without surrounding spaces, angle brackets or `mailto:`, or nil when it is not
    /// `local@domain`.
    public static func normalize(_ raw: String) -> String? {
        // The common case, a plain lower-case ASCII address, needs no work at all.
        var at = -1
        var plain = true
        var index = 0
        for byte in raw.utf8 {
            if byte == UInt8(ascii: "@") { at = index }
            if byte <= 0x20 || byte >= 0x80 || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: ":") {
                plain = false
                break
            }
            index += 1
        }
        if plain { return at > 0 && at < index - 1 ? raw : nil }
        var text = Substring(raw)
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = text[text.index(after: open)..<close]
        }
        text = trimmed(text)
        if text.utf8.count >= 7, text.prefix(7).lowercased() == "mailto:" { text = text.dropFirst(7) }
        guard let at = text.lastIndex(of: "@"), at != text.startIndex, text.index(after: at) != text.endIndex,
              !text.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
        else { return nil }
        return text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) ? text.lowercased() : String(text)
    }

    public static func domain(of email: String) -> String? {
        guard let at = email.utf8.lastIndex(of: UInt8(ascii: "@")) else { return nil }
        return normalizeDomain(String(email[email.index(after: at)...]))
    }

    /// "https://www.Acme.com/contact" → "acme.com"; "ACME.COM." → "acme.com".
    public static func normalizeDomain(_ raw: String) -> String {
        let isBare = raw.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
        if isBare && !raw.hasPrefix("www.") && !raw.hasSuffix(".") {
            return raw // already a bare lower-case domain
        }
        var text = trimmed(Substring(raw))
        if text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) { text = Substring(text.lowercased()) }
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        if let end = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == ":" }) { text = text[..<end] }
        if text.hasPrefix("www.") { text = text.dropFirst(4) }
        while text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.utf8.first, first <= 0x20 { text = text.dropFirst() }
        while let last = text.utf8.last, last <= 0x20 { text = text.dropLast() }
        return text
    }
}
