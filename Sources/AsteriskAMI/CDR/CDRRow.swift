import struct Foundation.Date
import struct Foundation.DateComponents
import struct Foundation.TimeZone
import struct Foundation.Calendar

/// One line of Asterisk's CDR CSV (`cdr_csv`, `Master.csv`): the 16 classic columns, then `uniqueid` when
/// `loguniqueid = yes`, `userfield` when `loguserfield = yes`, and `peeraccount, linkedid, sequence` when
/// `newcdrcolumns = yes`. No header line.
public struct CDRRow: Sendable, Hashable {
    public var accountCode: String
    /// Caller ID number.
    public var source: String
    /// The extension or number dialled.
    public var destination: String
    public var destinationContext: String
    /// Caller ID with name: `"Jan" <+31260010001>`.
    public var callerID: String
    public var channel: String
    public var destinationChannel: String
    public var lastApplication: String
    public var lastData: String
    public var start: Date
    public var answer: Date?
    public var end: Date
    public var duration: Int
    public var billableSeconds: Int
    /// `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED` (`CONGESTION` in some versions).
    public var disposition: String
    public var amaFlags: String
    public var uniqueid: String?
    public var userField: String?
    public var linkedid: String?
    public var sequence: Int?

    /// Parses the fields of one line. Dates are written `2026-11-23 10:00:00` in the PBX's time zone (UTC when
    /// `usegmtime = yes`); an empty answer time means the call was not answered.
    public init(fields: [String], timeZone: TimeZone) throws(CDRError) {
        guard [16, 17, 18, 21].contains(fields.count) else { throw .columnCount(fields.count) }
        accountCode = fields[0]
        source = fields[1]
        destination = fields[2]
        destinationContext = fields[3]
        callerID = fields[4]
        channel = fields[5]
        destinationChannel = fields[6]
        lastApplication = fields[7]
        lastData = fields[8]
        start = try Self.date(fields[9], column: "start", timeZone: timeZone)
        answer = fields[10].isEmpty ? nil : try Self.date(fields[10], column: "answer", timeZone: timeZone)
        end = try Self.date(fields[11], column: "end", timeZone: timeZone)
        guard let duration = Int(fields[12]), let billable = Int(fields[13]) else { throw .invalidValue(column: "duration", value: fields[12]) }
        self.duration = duration
        billableSeconds = billable
        disposition = fields[14].uppercased()
        amaFlags = fields[15]
        switch fields.count {
        case 17:
            // One optional column: a uniqueid looks like `1700000000.42` (optionally `<system name>-` before it).
            if Self.looksLikeUniqueid(fields[16]) { uniqueid = fields[16] } else { userField = fields[16] }
        case 18:
            uniqueid = fields[16]
            userField = fields[17]
        case 21:
            uniqueid = fields[16]
            userField = fields[17]
            linkedid = fields[19].isEmpty ? nil : fields[19]
            sequence = Int(fields[20])
        default:
            break
        }
        if uniqueid?.isEmpty == true { uniqueid = nil }
    }

    static func looksLikeUniqueid(_ text: String) -> Bool {
        let tail = text.split(separator: "-").last ?? ""
        let parts = tail.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    static func date(_ text: String, column: String, timeZone: TimeZone) throws(CDRError) -> Date {
        // `YYYY-MM-DD HH:MM:SS`, fixed width.
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { throw .invalidValue(column: column, value: text) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else {
            throw .invalidValue(column: column, value: text)
        }
        return date
    }
}

/// Why a CDR line was not read. The import reports it with the line number and goes on.
public enum CDRError: Error, Sendable, Hashable, CustomStringConvertible {
    case columnCount(Int)
    case invalidValue(column: String, value: String)
    case unterminatedQuote

    public var description: String {
        switch self {
        case .columnCount(let count): "\(count) columns; a CDR line has 16, 17, 18 or 21"
        case .invalidValue(let column, let value): "\(column) is not valid: '\(value.prefix(40))'"
        case .unterminatedQuote: "a quoted field is not closed"
        }
    }
}
