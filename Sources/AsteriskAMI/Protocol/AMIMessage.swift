import NIOCore

/// One AMI message: an ordered list of `Key: Value` headers (keys repeat: `Output`, `ChanVariable`, `Variable`),
/// plus, for the old `Command` format, the raw output lines.
///
/// The message keeps the bytes it was decoded from (a slice of the connection's buffer, no copy) and the
/// positions of its fields; strings are made only for what a reader asks for. That is what lets the decoder
/// keep up with a PBX at millions of events per second.
public struct AMIMessage: Sendable {
    /// A header as read from the wire (value without the single space after the colon).
    public struct Header: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
        public var description: String { "\(name): \(value)" }
    }

    /// Where a field lies in `bytes`. A body line (old `Command` output) has `nameLength == 0`.
    struct Field: Sendable, Hashable {
        var nameStart: UInt32
        var nameLength: UInt16
        var valueStart: UInt32
        var valueLength: UInt32
    }

    let bytes: ByteBuffer
    private let store: AMIFieldStore
    private let fieldsStart: Int32
    private let fieldCount: Int32

    /// A message whose fields lie in `store` (the decoder's shared storage).
    init(bytes: ByteBuffer, store: AMIFieldStore, fieldsStart: Int, fieldCount: Int) {
        self.bytes = bytes
        self.store = store
        self.fieldsStart = Int32(fieldsStart)
        self.fieldCount = Int32(fieldCount)
    }

    init(bytes: ByteBuffer, fields: [Field]) {
        let store = AMIFieldStore(capacity: fields.count)
        let start = fields.withUnsafeBufferPointer { store.append($0) }!
        self.init(bytes: bytes, store: store, fieldsStart: start, fieldCount: fields.count)
    }

    /// The fields, read in place. The store lives as long as `self`, which the caller holds for the call.
    private var fields: UnsafeBufferPointer<Field> { store.fields(start: Int(fieldsStart), count: Int(fieldCount)) }

    /// Builds a message from headers (tests, the encoder, fake servers).
    public init(_ headers: [Header], outputLines: [String] = []) {
        var buffer = ByteBuffer()
        var fields: [Field] = []
        for header in headers {
            let nameStart = buffer.writerIndex
            let nameLength = buffer.writeString(header.name)
            buffer.writeStaticString(": ")
            let valueStart = buffer.writerIndex
            let valueLength = buffer.writeString(header.value)
            buffer.writeStaticString("\r\n")
            fields.append(Field(nameStart: UInt32(nameStart), nameLength: UInt16(nameLength), valueStart: UInt32(valueStart), valueLength: UInt32(valueLength)))
        }
        for line in outputLines {
            let start = buffer.writerIndex
            let length = buffer.writeString(line)
            buffer.writeStaticString("\r\n")
            fields.append(Field(nameStart: UInt32(start), nameLength: 0, valueStart: UInt32(start), valueLength: UInt32(length)))
        }
        self.init(bytes: buffer, fields: fields)
    }

    public init(_ headers: KeyValuePairs<String, String>) {
        self.init(headers.map { Header($0.key, $0.value) })
    }

    /// Every header in order (body lines excluded).
    public var headers: [Header] {
        fields.compactMap { $0.nameLength == 0 ? nil : Header(string(at: $0.nameStart, $0.nameLength), string(at: $0.valueStart, $0.valueLength)) }
    }

    /// The first value of a header; names compare case-insensitively (Asterisk writes `ActionID`, clients `Actionid`).
    public subscript(_ name: String) -> String? {
        // The hot path of call tracking: one pass over the fields with the bytes and the name in hand.
        var name = name
        return name.withUTF8 { key in
            bytes.withUnsafeReadableBytes { raw -> String? in
                for field in fields where Int(field.nameLength) == key.count && key.count > 0 {
                    guard Self.equalIgnoringCase(raw, Int(field.nameStart), key) else { continue }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart) + Int(field.valueLength)]),
                                  as: UTF8.self)
                }
                return nil
            }
        }
    }

    @inline(__always)
    private static func equalIgnoringCase(_ raw: UnsafeRawBufferPointer, _ start: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        // Eight bytes at a time (names like `Uniqueid`, `Linkedid`, `Priority` share a length and are compared
        // for every lookup); `| 0x20` folds ASCII case, as byte by byte.
        let fold: UInt64 = 0x2020_2020_2020_2020
        let source = raw.baseAddress! + start
        let name = UnsafeRawPointer(key.baseAddress!)
        var index = 0
        while index + 8 <= key.count {
            if source.loadUnaligned(fromByteOffset: index, as: UInt64.self) | fold != name.loadUnaligned(fromByteOffset: index, as: UInt64.self) | fold {
                return false
            }
            index += 8
        }
        while index < key.count {
            if source.load(fromByteOffset: index, as: UInt8.self) | 0x20 != key[index] | 0x20 { return false }
            index += 1
        }
        return true
    }

    /// The first value of a header as bytes in place, without making a `String`: the call tracker looks channels
    /// up by the bytes of their id. Names compare case-insensitively, as in the subscript.
    @inline(__always)
    func withValue<R>(_ name: StaticString, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        let key = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return bytes.withUnsafeReadableBytes { raw -> R? in
            for field in fields where Int(field.nameLength) == key.count {
                guard Self.equalIgnoringCase(raw, Int(field.nameStart), key) else { continue }
                return body(UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart) + Int(field.valueLength)]))
            }
            return nil
        }
    }

    /// The first values of two or three headers, found in one pass over the fields (an event's channel id comes
    /// near its end, after the dozen headers of Asterisk's channel snapshot: one pass instead of one per header).
    @inline(__always)
    func withValues<R>(_ first: StaticString, _ second: StaticString, _ third: StaticString? = nil,
                       _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> R) -> R {
        @inline(__always) func key(_ name: StaticString) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        }
        let one = key(first), two = key(second), three = third.map(key)
        return bytes.withUnsafeReadableBytes { raw in
            var values: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) = (nil, nil, nil)
            // Stop at the last wanted header: the first of each name counts, as in the subscript.
            let wanted = three == nil ? 2 : 3
            var found = 0
            for field in fields where field.nameLength > 0 {
                let length = Int(field.nameLength), start = Int(field.nameStart)
                let value = UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart) + Int(field.valueLength)])
                if values.0 == nil, length == one.count, Self.equalIgnoringCase(raw, start, one) {
                    values.0 = value
                } else if values.1 == nil, length == two.count, Self.equalIgnoringCase(raw, start, two) {
                    values.1 = value
                } else if values.2 == nil, let three, length == three.count, Self.equalIgnoringCase(raw, start, three) {
                    values.2 = value
                } else {
                    continue
                }
                found += 1
                if found == wanted { break }
            }
            return body(values.0, values.1, values.2)
        }
    }

    /// Calls `body` with the name and value bytes of every header, in order (one pass for a reader that needs many
    /// of them).
    @inline(__always)
    func forEachHeader(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeReadableBytes { raw in
            for field in fields where field.nameLength > 0 {
                body(UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameStart) + Int(field.nameLength)]),
                     UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart) + Int(field.valueLength)]))
            }
        }
    }

    /// Every value of a repeated header, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { $0.nameLength > 0 && nameMatches($0, name) ? string(at: $0.valueStart, $0.valueLength) : nil }
    }

    /// The output of a `Command` action in either format: `Output:` headers (Asterisk 14+) or the raw lines
    /// between the headers and `--END COMMAND--` (older servers), or body lines without a header.
    public var outputLines: [String] {
        let raw = bodyLines
        return raw.isEmpty ? values("Output") : raw
    }

    /// `Event`, `Response` or `Action` and its value. Asterisk writes `Response` and `Event` first; a client
    /// may put `Action` anywhere (Asterisk looks it up by name), so the other headers are searched when the
    /// first says nothing.
    public var kind: Kind {
        bytes.withUnsafeReadableBytes { raw in
            for field in fields where field.nameLength > 0 {
                let start = Int(field.nameStart)
                let value = { String(decoding: UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueStart) + Int(field.valueLength)]), as: UTF8.self) }
                switch field.nameLength {
                case 5 where Self.equalIgnoringCase(raw, start, "event"): return .event(value())
                case 8 where Self.equalIgnoringCase(raw, start, "response"): return .response(value())
                case 6 where Self.equalIgnoringCase(raw, start, "action"): return .action(value())
                default: continue
                }
            }
            return .other
        }
    }

    @inline(__always)
    private static func equalIgnoringCase(_ raw: UnsafeRawBufferPointer, _ start: Int, _ lowercased: StaticString) -> Bool {
        var index = start
        for byte in UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount) {
            if raw[index] | 0x20 != byte { return false }
            index += 1
        }
        return true
    }

    public enum Kind: Sendable, Hashable {
        case event(String)
        case response(String)
        case action(String)
        case other
    }

    /// The size of the message on the wire, in bytes.
    public var byteCount: Int { bytes.readableBytes }

    private func string(at start: UInt32, _ length: some BinaryInteger) -> String {
        // Invalid UTF-8 becomes U+FFFD: a PBX with a Latin-1 caller name must not stop capture.
        bytes.getString(at: bytes.readerIndex + Int(start), length: Int(length)) ?? ""
    }

    private func nameMatches(_ field: Field, _ name: String) -> Bool {
        guard Int(field.nameLength) == name.utf8.count else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            var index = Int(field.nameStart)
            for byte in name.utf8 {
                if raw[index] | 0x20 != byte | 0x20 { return false }
                index += 1
            }
            return true
        }
    }
}

extension AMIMessage: Hashable {
    /// Equal when the headers and the body lines are (the bytes they came from may differ: CRLF or LF).
    public static func == (lhs: AMIMessage, rhs: AMIMessage) -> Bool {
        lhs.headers == rhs.headers && lhs.bodyLines == rhs.bodyLines
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(headers)
        hasher.combine(bodyLines)
    }

    /// Lines without a header (old `Command` output, rows some modules print).
    private var bodyLines: [String] {
        fields.compactMap { $0.nameLength == 0 ? string(at: $0.valueStart, $0.valueLength) : nil }
    }
}

extension AMIMessage: CustomStringConvertible {
    public var description: String {
        (headers.map(\.description) + bodyLines).joined(separator: "\\r\\n")
    }
}

extension UnsafeRawBufferPointer {
    /// These bytes spell `name`, ignoring ASCII case (header names: Asterisk writes `ActionID`, clients `Actionid`).
    @inline(__always)
    func equalsIgnoringCase(_ name: StaticString) -> Bool {
        guard count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        var index = 0
        while index < count {
            if self[index] | 0x20 != expected[index] | 0x20 { return false }
            index += 1
        }
        return true
    }
}
