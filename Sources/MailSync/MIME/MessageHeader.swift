/// The header fields of a message, as `BODY.PEEK[HEADER.FIELDS (...)]` returns them.
///
/// Fields are split at line starts, unfolded, and looked up without case. Values stay bytes until asked for, so
/// each is decoded by its own rules: unstructured text (``text(_:)``) through RFC 2047, address lists
/// (``addresses(_:)``) mailbox by mailbox, message ids (``messageIDs(_:)``) not at all. A line that is not a
/// field (no colon, 8-bit garbage) is skipped, never fatal.
public struct MessageHeader: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        /// The name as written.
        public var name: String
        /// The value, unfolded, without the space after the colon.
        public var value: [UInt8]
    }

    public var fields: [Field]

    /// Where the header block of a message or MIME part ends and its body begins: at the empty line (CRLF or bare LF
    /// endings), or at once when the bytes start with it (no header at all). Nil when there is no empty line: the
    /// bytes are all header, or were cut before its end.
    public static func split<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> (headerEnd: Bytes.Index, bodyStart: Bytes.Index)? {
        let start = bytes.startIndex
        if bytes.first == 10 { return (start, bytes.index(after: start)) }
        if bytes.count >= 2, bytes[start] == 13, bytes[bytes.index(after: start)] == 10 { return (start, bytes.index(start, offsetBy: 2)) }
        var index = start
        while index < bytes.endIndex {
            if bytes[index] == 10 {
                let next = bytes.index(after: index)
                if next < bytes.endIndex, bytes[next] == 10 { return (next, bytes.index(after: next)) }
                if bytes.distance(from: next, to: bytes.endIndex) >= 2, bytes[next] == 13, bytes[bytes.index(after: next)] == 10 {
                    return (next, bytes.index(next, offsetBy: 2))
                }
            }
            index = bytes.index(after: index)
        }
        return nil
    }

    public init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        var fields: [Field] = []
        var line: [UInt8] = []
        func finishLine() {
            defer { line.removeAll(keepingCapacity: true) }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return }
            let name = line[..<colon]
            guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
            fields.append(Field(name: String(decoding: name, as: UTF8.self), value: Array(value)))
        }
        var atLineStart = true
        var iterator = bytes.makeIterator()
        var pending: UInt8? = nil
        while let byte = pending ?? iterator.next() {
            pending = nil
            if byte == UInt8(ascii: "\r") { continue }
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                continue
            }
            if atLineStart {
                atLineStart = false
                if byte == 0x20 || byte == 0x09 {
                    line.append(0x20) // a continuation line: folding becomes one space
                    continue
                }
                if !line.isEmpty { finishLine() }
            }
            line.append(byte)
        }
        if !line.isEmpty { finishLine() }
        self.fields = fields
    }

    /// The first field of that name (any case).
    public func value(_ name: String) -> [UInt8]? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Field names are ASCII (RFC 5322 §3.6.8): compared byte by byte, case folded, without making lower-case copies.
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A) }
    }

    /// Whether the message has that field at all (`List-Id`, `Auto-Submitted`).
    public func has(_ name: String) -> Bool { value(name) != nil }

    /// An unstructured field (Subject) with its encoded words decoded.
    public func text(_ name: String) -> String? { value(name).map(EncodedWords.decode) }

    /// An address field (From, To, Cc) as mailboxes.
    public func addresses(_ name: String) -> [MailAddress] {
        fields.filter { Self.sameName($0.name, name) }
            .flatMap { MailAddress.parseList(bytes: $0.value) }
    }

    /// The `<id>`s of Message-ID, In-Reply-To or References, in order, without angle brackets. A bare id without
    /// brackets (some mailers) is taken whole.
    public func messageIDs(_ name: String) -> [String] {
        guard let value = value(name) else { return [] }
        var ids: [String] = []
        var current: [UInt8]?
        for byte in value {
            switch byte {
            case UInt8(ascii: "<"): current = []
            case UInt8(ascii: ">"):
                if let id = current, !id.isEmpty { ids.append(String(decoding: id, as: UTF8.self)) }
                current = nil
            case 0x20, 0x09, 0x0D, 0x0A: break
            default: current?.append(byte)
            }
        }
        if ids.isEmpty {
            let text = String(decoding: value, as: UTF8.self)
            ids = text.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.contains("@") }
        }
        return ids
    }

}
