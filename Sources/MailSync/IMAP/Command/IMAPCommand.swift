import NIOCore

/// A command the client sends (RFC 3501 §6 and the extensions the sync engine uses).
///
/// Mailbox names travel as the server spelled them in LIST (modified UTF-7 in IMAP4rev1), so they need no
/// re-encoding. ``description`` never shows a password, token or SASL data: commands get logged.
public enum IMAPCommand: Sendable, Hashable, CustomStringConvertible {
    case capability
    case noop
    case logout
    case startTLS
    case login(user: String, password: String)
    /// `AUTHENTICATE XOAUTH2 <base64>` with SASL-IR (RFC 4959), or without the initial response.
    case authenticate(mechanism: String, initialResponse: String?)
    /// `ENABLE CONDSTORE QRESYNC` (RFC 5161).
    case enable([String])
    /// `LIST "" "*"`, with `RETURN (SPECIAL-USE)` when the server has LIST-EXTENDED (RFC 6154).
    case list(reference: String, pattern: String, returnSpecialUse: Bool)
    /// `SELECT name (CONDSTORE)` or `EXAMINE` (read-only: sync never changes a flag).
    case select(mailbox: String, readOnly: Bool, condstore: Bool)
    case status(mailbox: String, items: [String])
    /// `UID FETCH set (items) (CHANGEDSINCE n)`.
    case uidFetch(IMAPSequenceSet, items: [String], changedSince: UInt64?)
    /// `UID SEARCH criteria` (criteria as written: `SINCE 1-Jan-2026`, `UID 100:*`).
    case uidSearch(String)
    case idle
    /// The untagged line that ends IDLE.
    case done

    public var description: String {
        switch self {
        case .login(let user, _): return "LOGIN \(user) <password>"
        case .authenticate(let mechanism, let response): return "AUTHENTICATE \(mechanism)\(response == nil ? "" : " <data>")"
        default:
            var encoder = IMAPCommandEncoder(literalPlus: true)
            return encoder.encode(self, tag: "").compactMap { part -> String? in
                if case .bytes(let buffer) = part { return String(buffer: buffer) } else { return nil }
            }.joined().trimmingNewline()
        }
    }
}

extension String {
    fileprivate func trimmingNewline() -> String {
        var text = self
        while text.last == "\r\n" || text.last == "\n" { text.removeLast() }
        if text.first == " " { text.removeFirst() }
        return text
    }
}
