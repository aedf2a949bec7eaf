import NIOCore

/// What the connection sends: bytes, and, after a synchronizing literal's `{n}`, a wait for the server's `+`.
public enum IMAPCommandPart: Sendable, Hashable {
    case bytes(ByteBuffer)
    case waitForContinuation
}

/// Encodes commands with their tag (RFC 3501 §9). Strings go out as atoms when they can, as quoted strings when
/// they are printable ASCII, and as literals otherwise (8-bit text, CR or LF, long values): `{n+}` without a wait
/// when the server has LITERAL+ or LITERAL- (for up to 4,096 bytes), else `{n}` and a wait for `+`.
public struct IMAPCommandEncoder: Sendable {
    public var literalPlus: Bool
    public var literalMinus: Bool

    public init(literalPlus: Bool = false, literalMinus: Bool = false) {
        self.literalPlus = literalPlus
        self.literalMinus = literalMinus
    }

    private var parts: [IMAPCommandPart] = []
    private var buffer = ByteBuffer()

    public mutating func encode(_ command: IMAPCommand, tag: String) -> [IMAPCommandPart] {
        parts = []
        buffer = ByteBuffer()
        if case .done = command {
            buffer.writeString("DONE\r\n")
            return finish()
        }
        buffer.writeString(tag)
        buffer.writeString(" ")
        switch command {
        case .capability: buffer.writeString("CAPABILITY")
        case .noop: buffer.writeString("NOOP")
        case .logout: buffer.writeString("LOGOUT")
        case .startTLS: buffer.writeString("STARTTLS")
        case .idle: buffer.writeString("IDLE")
        case .login(let user, let password):
            buffer.writeString("LOGIN ")
            writeAString(user)
            buffer.writeString(" ")
            writeAString(password)
        case .authenticate(let mechanism, let response):
            buffer.writeString("AUTHENTICATE \(mechanism)")
            if let response { buffer.writeString(" \(response.isEmpty ? "=" : response)") }
        case .enable(let capabilities):
            buffer.writeString("ENABLE " + capabilities.joined(separator: " "))
        case .list(let reference, let pattern, let returnSpecialUse):
            buffer.writeString("LIST ")
            writeAString(reference)
            buffer.writeString(" ")
            writeAString(pattern, listWildcards: true)
            if returnSpecialUse { buffer.writeString(" RETURN (SPECIAL-USE)") }
        case .select(let mailbox, let readOnly, let condstore):
            buffer.writeString(readOnly ? "EXAMINE " : "SELECT ")
            writeAString(mailbox)
            if condstore { buffer.writeString(" (CONDSTORE)") }
        case .status(let mailbox, let items):
            buffer.writeString("STATUS ")
            writeAString(mailbox)
            buffer.writeString(" (" + items.joined(separator: " ") + ")")
        case .uidFetch(let set, let items, let changedSince):
            buffer.writeString("UID FETCH \(set) (" + items.joined(separator: " ") + ")")
            if let changedSince { buffer.writeString(" (CHANGEDSINCE \(changedSince))") }
        case .uidSearch(let criteria):
            buffer.writeString("UID SEARCH " + criteria)
        case .done: break
        }
        buffer.writeString("\r\n")
        return finish()
    }

    private mutating func finish() -> [IMAPCommandPart] {
        parts.append(.bytes(buffer))
        return parts
    }

    /// `astring`: an atom, a quoted string or a literal, whichever carries the value exactly.
    private mutating func writeAString(_ value: String, listWildcards: Bool = false) {
        let bytes = Array(value.utf8)
        let isAtom = !bytes.isEmpty && bytes.allSatisfy { byte in
            IMAPResponseParser.isAtomChar(byte) || byte == UInt8(ascii: "]") || (listWildcards && (byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*")))
        } && value.uppercased() != "NIL"
        if isAtom {
            buffer.writeBytes(bytes)
        } else if bytes.count <= 1024, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            buffer.writeString("\"")
            for byte in bytes {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { buffer.writeString("\\") }
                buffer.writeInteger(byte)
            }
            buffer.writeString("\"")
        } else {
            let nonSynchronizing = literalPlus || (literalMinus && bytes.count <= 4096)
            buffer.writeString("{\(bytes.count)\(nonSynchronizing ? "+" : "")}\r\n")
            if !nonSynchronizing {
                parts.append(.bytes(buffer))
                parts.append(.waitForContinuation)
                buffer = ByteBuffer()
            }
            buffer.writeBytes(bytes)
        }
    }
}
