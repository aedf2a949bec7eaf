import Foundation

/// Dates in the text form GRDB stores them ("yyyy-MM-dd HH:mm:ss.SSS", UTC), formatted with integer arithmetic.
///
/// GRDB encodes `Date` through Foundation's `DateFormatter`, which on Linux is ICU and costs tens of
/// microseconds; capture writes two or three dates per activity, so the hot path formats them here. The
/// text is identical, so GRDB reads these columns back as `Date` and comparisons in SQL stay correct.
enum DatabaseDate {
    static func string(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let msOfDay = milliseconds - days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int64, at offset: Int, width: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4); bytes[4] = 45 // -
        put(month, at: 5, width: 2); bytes[7] = 45
        put(day, at: 8, width: 2); bytes[10] = 32 // space
        put(msOfDay / 3_600_000, at: 11, width: 2); bytes[13] = 58 // :
        put(msOfDay / 60_000 % 60, at: 14, width: 2); bytes[16] = 58
        put(msOfDay / 1000 % 60, at: 17, width: 2); bytes[19] = 46 // .
        put(msOfDay % 1000, at: 20, width: 3)
        return String(decoding: bytes, as: UTF8.self)
    }
}
