import NIOCore

/// One complete server response (RFC 3501 §7, `response` of the formal syntax §9).
public enum IMAPResponse: Sendable, Hashable {
    /// `+ text` or `+ base64`: the server waits for the rest of a command (a literal, AUTHENTICATE data, IDLE).
    case continuation(String)
    /// `A1 OK [code] text`: the end of the command with that tag.
    case tagged(tag: String, IMAPCondition)
    /// `* ...`: data or a status the server sends whenever it likes.
    case untagged(IMAPUntagged)
}

/// A status response: `OK`, `NO`, `BAD`, `PREAUTH` or `BYE`, an optional response code and human text.
public struct IMAPCondition: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable { case ok = "OK", no = "NO", bad = "BAD", preauth = "PREAUTH", bye = "BYE" }
    public var status: Status
    public var code: IMAPResponseCode?
    public var text: String

    public init(_ status: Status, code: IMAPResponseCode? = nil, text: String) {
        self.status = status
        self.code = code
        self.text = text
    }
}

/// The bracketed response code of a status response (RFC 3501 §7.1, RFC 4315, RFC 5530, RFC 7162, Gmail).
public enum IMAPResponseCode: Sendable, Hashable {
    /// `[ALERT]`: the text must be shown to the user.
    case alert
    case capability([String])
    case parse
    case permanentFlags([String])
    case readOnly
    case readWrite
    case tryCreate
    case uidNext(UInt32)
    case uidValidity(UInt32)
    case unseen(UInt32)
    /// `[HIGHESTMODSEQ n]` (RFC 7162).
    case highestModSeq(UInt64)
    /// `[NOMODSEQ]`: the mailbox has no mod-sequences (RFC 7162).
    case noModSeq
    /// `[MODIFIED set]`: a conditional STORE was not applied to these (RFC 7162).
    case modified(IMAPSequenceSet)
    /// `[CLOSED]`: the previous mailbox was closed by this SELECT (RFC 7162).
    case closed
    /// `[APPENDUID validity uid]` (RFC 4315).
    case appendUID(validity: UInt32, uids: IMAPSequenceSet)
    /// `[COPYUID validity from to]` (RFC 4315).
    case copyUID(validity: UInt32, from: IMAPSequenceSet, to: IMAPSequenceSet)
    /// `[THROTTLED]`: Gmail slows this account down; back off.
    case throttled
    /// `[AUTHENTICATIONFAILED]` and the other RFC 5530 codes without arguments, and any unknown code, with its
    /// atom and raw argument text.
    case other(String, String?)
}

/// Untagged data (RFC 3501 §7.2–7.4 and the extensions the sync engine uses).
public enum IMAPUntagged: Sendable, Hashable {
    case condition(IMAPCondition)
    case capability([String])
    /// `* ENABLED CONDSTORE QRESYNC` (RFC 5161).
    case enabled([String])
    case flags([String])
    /// `* LIST (\HasNoChildren \All) "/" "[Gmail]/All Mail"` (and LSUB): attributes, delimiter, name.
    case list(IMAPMailboxInfo)
    /// `* STATUS name (MESSAGES 3 UIDNEXT 4 ...)`.
    case status(mailbox: String, [String: UInt64])
    /// `* SEARCH 2 84 882` (and `(MODSEQ n)` at the end with CONDSTORE).
    case search([UInt32], modSeq: UInt64?)
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    /// `* 12 FETCH (...)`: the message's sequence number and its attributes in the server's order.
    case fetch(sequence: UInt32, [IMAPFetchAttribute])
    /// `* VANISHED (EARLIER) 41,43:116` (RFC 7162 QRESYNC).
    case vanished(earlier: Bool, IMAPSequenceSet)
    /// Anything else the client did not ask about (`NAMESPACE`, `ID`, `QUOTA`, …): its keyword and the rest.
    case other(keyword: String, String)
}

/// A mailbox as `LIST` reports it.
public struct IMAPMailboxInfo: Sendable, Hashable {
    /// Attributes such as `\HasNoChildren`, `\Noselect`, and the SPECIAL-USE ones (`\All`, `\Sent`, …; RFC 6154).
    public var attributes: [String]
    public var delimiter: Character?
    /// The name as the server spells it (modified UTF-7 in IMAP4rev1; see ``IMAPMailboxName``).
    public var name: String

    public init(attributes: [String], delimiter: Character?, name: String) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
    }

    /// Whether the mailbox has this attribute (compared without case: servers differ).
    public func has(_ attribute: String) -> Bool { attributes.contains { $0.lowercased() == attribute.lowercased() } }
}
