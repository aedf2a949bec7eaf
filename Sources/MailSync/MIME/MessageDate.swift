/// An RFC 5322 `Date:` (§3.3, with the obsolete forms of §4.3 that old mailers still send): a moment in time.
public struct MessageDate: Sendable, Hashable, Comparable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64

    public init(secondsSince1970: Int64) { self.secondsSince1970 = secondsSince1970 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }

    /// Parses `Tue, 1 Jul 2003 10:52:37 +0200`, `1 Jul 03 10:52 PDT`, comments, extra spaces. Nil when the text is not
    /// a date (the caller falls back to INTERNALDATE: a message is never dropped for its Date header).
    public init?(_ text: String) {
        // Comments out, commas to spaces, then whitespace-separated tokens. Every byte that matters is ASCII, so the
        // UTF-8 is scanned as bytes (this runs for every synced message).
        var tokens: [String] = []
        var token: [UInt8] = []
        var depth = 0
        func endToken() {
            if !token.isEmpty { tokens.append(String(decoding: token, as: UTF8.self)); token.removeAll(keepingCapacity: true) }
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "("): depth += 1; endToken()
            case UInt8(ascii: ")"): depth = max(0, depth - 1)
            case _ where depth > 0: continue
            case UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): endToken()
            default: token.append(byte)
            }
        }
        endToken()
        if let first = tokens.first, first.first?.isLetter == true { tokens.removeFirst() } // day of week
        guard tokens.count >= 4,
              let day = Int(tokens[0]), (1...31).contains(day),
              let month = Self.months[tokens[1].lowercased().prefix(3).description],
              var year = Int(tokens[2]) else { return nil }
        if tokens[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let time = tokens[3].split(separator: ":").map { Int($0) }
        guard time.count >= 2, time.count <= 3, time.allSatisfy({ $0 != nil }) else { return nil }
        let hour = time[0]!, minute = time[1]!, second = time.count == 3 ? time[2]! : 0
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let offset = tokens.count > 4 ? Self.zoneOffset(tokens[4]) : 0
        guard let offset else { return nil }
        let days = Self.daysSince1970(year: year, month: month, day: day)
        secondsSince1970 = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
    }

    private static let months = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]

    /// `+0200` / `-0430` in seconds east of UTC; the obsolete US zone names; military letters and unknown names are
    /// -0000 (RFC 5322 §4.3: their meaning was never reliable).
    private static func zoneOffset(_ zone: String) -> Int? {
        if let sign = zone.first, sign == "+" || sign == "-" {
            let digits = zone.dropFirst()
            guard digits.count == 4, let value = Int(digits) else { return nil }
            let seconds = (value / 100) * 3600 + (value % 100) * 60
            return sign == "-" ? -seconds : seconds
        }
        switch zone.uppercased() {
        case "UT", "UTC", "GMT", "Z": return 0
        case "EDT": return -4 * 3600
        case "EST", "CDT": return -5 * 3600
        case "CST", "MDT": return -6 * 3600
        case "MST", "PDT": return -7 * 3600
        case "PST": return -8 * 3600
        default: return zone.allSatisfy(\.isLetter) ? 0 : nil
        }
    }

    /// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
