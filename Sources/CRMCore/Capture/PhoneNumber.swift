/// Normalises phone numbers to E.164 ("+4930123456") with a default country for national numbers.
///
/// This is deliberately small: it knows each country's calling code and trunk prefix, strips formatting,
/// and rejects what cannot be a phone number. It does not validate number plans (libphonenumber does);
/// matching only needs the same number written two ways to come out the same.
public struct PhoneNormalizer: Sendable, Hashable {
    public let defaultCountry: String
    let callingCode: String
    let trunkPrefix: String
    let internationalPrefixes: [String]

    /// - Parameter defaultCountry: ISO 3166 alpha-2 code ("DE", "US", "RU") used for numbers written without
    ///   a country code. Throws when the country is not known.
    public init(defaultCountry: String) throws(CRMError) {
        let code = defaultCountry.uppercased()
        guard let plan = Self.plans[code] else {
            throw .invalidInput("unknown default country '\(defaultCountry)': expected an ISO 3166 code such as \(Self.plans.keys.sorted().prefix(8).joined(separator: ", "))")
        }
        self.defaultCountry = code
        self.callingCode = plan.code
        self.trunkPrefix = plan.trunk
        self.internationalPrefixes = plan.exits
    }

    /// The E.164 form, or nil when the text is not a usable phone number (too short, letters, empty).
    /// Short digit strings (internal extensions) return nil: they are resolved against users, not contacts.
    public func normalize(_ raw: String) -> String? {
        // Bytes, not Characters: this runs for every participant of every captured call.
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var plus = false
        var index = 0
        for byte in raw.utf8 {
            defer { index += 1 }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            case UInt8(ascii: "+") where digits.isEmpty && !plus: plus = true
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "/"), 0x09, 0xC2, 0xA0:
                continue // formatting (0xC2 0xA0 is a no-break space)
            default:
                // "tel:" URIs; an extension written as ";ext=" or " x12" ends the number.
                if digits.isEmpty && !plus && index < 4 && "tel:".utf8.contains(byte) { continue }
                if !digits.isEmpty { return finish(digits: String(decoding: digits, as: UTF8.self), plus: plus) }
                return nil
            }
        }
        return finish(digits: String(decoding: digits, as: UTF8.self), plus: plus)
    }

    private func finish(digits: String, plus: Bool) -> String? {
        if plus { return valid(digits) }
        for exit in internationalPrefixes where digits.hasPrefix(exit) {
            return valid(String(digits.dropFirst(exit.count)))
        }
        guard digits.count >= 7 else { return nil } // an extension or a service number
        var national = Substring(digits)
        if !trunkPrefix.isEmpty, national.hasPrefix(trunkPrefix) {
            national = national.dropFirst(trunkPrefix.count)
        } else if national.hasPrefix(callingCode), digits.count >= 10 + callingCode.count - 1, callingCode.count > 1 {
            // Written with the country code but without "+" ("4930123456").
            return valid(String(national))
        }
        return valid(callingCode + national)
    }

    private func valid(_ digits: String) -> String? {
        guard (8...15).contains(digits.count), digits.first != "0" else { return nil }
        return "+" + digits
    }

    /// Calling code, trunk prefix and international (exit) prefixes per country.
    static let plans: [String: (code: String, trunk: String, exits: [String])] = [
        "US": ("1", "1", ["011"]), "CA": ("1", "1", ["011"]),
        "GB": ("44", "0", ["00"]), "IE": ("353", "0", ["00"]),
        "DE": ("49", "0", ["00"]), "AT": ("43", "0", ["00"]), "CH": ("41", "0", ["00"]),
        "FR": ("33", "0", ["00"]), "BE": ("32", "0", ["00"]), "NL": ("31", "0", ["00"]),
        "LU": ("352", "", ["00"]), "IT": ("39", "", ["00"]), "ES": ("34", "", ["00"]),
        "PT": ("351", "", ["00"]), "DK": ("45", "", ["00"]), "NO": ("47", "", ["00"]),
        "SE": ("46", "0", ["00"]), "FI": ("358", "0", ["00", "990"]), "PL": ("48", "", ["00"]),
        "CZ": ("420", "", ["00"]), "SK": ("421", "0", ["00"]), "HU": ("36", "06", ["00"]),
        "RO": ("40", "0", ["00"]), "BG": ("359", "0", ["00"]), "GR": ("30", "", ["00"]),
        "EE": ("372", "", ["00"]), "LV": ("371", "", ["00"]), "LT": ("370", "8", ["00"]),
        "UA": ("380", "0", ["00"]), "BY": ("375", "8", ["810"]), "RU": ("7", "8", ["810"]),
        "KZ": ("7", "8", ["810"]), "TR": ("90", "0", ["00"]), "IL": ("972", "0", ["00"]),
        "AE": ("971", "0", ["00"]), "IN": ("91", "0", ["00"]), "CN": ("86", "0", ["00"]),
        "JP": ("81", "0", ["010"]), "KR": ("82", "0", ["001"]), "AU": ("61", "0", ["0011"]),
        "NZ": ("64", "0", ["00"]), "BR": ("55", "0", ["00"]), "MX": ("52", "", ["00"]),
        "ZA": ("27", "0", ["00"]), "SG": ("65", "", ["000"]),
    ]
}
