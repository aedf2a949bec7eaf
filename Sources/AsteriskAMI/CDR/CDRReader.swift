import struct Foundation.TimeZone

/// Reads `Master.csv` the way `cdr_csv` writes it: every string field in double quotes (a quote inside
/// doubled), numbers bare, one record per line. Lines that cannot be read are reported, never fatal.
public struct CDRReader: Sequence {
    public struct Line: Sendable {
        /// 1-based line number in the file.
        public var number: Int
        public var row: Result<CDRRow, CDRError>
    }

    private let text: String
    private let timeZone: TimeZone

    public init(text: String, timeZone: TimeZone) {
        self.text = text
        self.timeZone = timeZone
    }

    public func makeIterator() -> AnyIterator<Line> {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).makeIterator()
        var number = 0
        let timeZone = self.timeZone
        return AnyIterator {
            while let line = lines.next() {
                number += 1
                let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
                if trimmed.allSatisfy(\.isWhitespace) { continue }
                do throws(CDRError) {
                    let fields = try Self.fields(of: trimmed)
                    return Line(number: number, row: .success(try CDRRow(fields: fields, timeZone: timeZone)))
                } catch {
                    return Line(number: number, row: .failure(error))
                }
            }
            return nil
        }
    }

    /// The fields of one CSV line (RFC 4180 quoting).
    static func fields(of line: Substring) throws(CDRError) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var index = line.startIndex
        var atFieldStart = true
        while index < line.endIndex {
            let char = line[index]
            if quoted {
                if char == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        field.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(char)
                }
            } else if char == "\"" && atFieldStart {
                quoted = true
            } else if char == "," {
                fields.append(field)
                field = ""
                atFieldStart = true
                index = line.index(after: index)
                continue
            } else {
                field.append(char)
            }
            atFieldStart = false
            index = line.index(after: index)
        }
        if quoted { throw .unterminatedQuote }
        fields.append(field)
        return fields
    }
}
