/// How far a mailbox is synced, per folder; committed by the caller in the same transaction as the messages it
/// covers, so it never claims more than is stored.
public struct MailboxCursor: Sendable, Hashable, Codable {
    public var folders: [String: FolderCursor]

    public init(folders: [String: FolderCursor] = [:]) { self.folders = folders }

    /// Messages known in every folder (for `connectord status`).
    public var messagesSynced: Int { folders.values.reduce(0) { $0 + $1.messagesSynced } }

    /// Messages on the server not synced yet, as far as the last EXAMINE tells (for `connectord status`): 0 once
    /// every folder's backfill is complete; before that, what the server holds less what was handed over (an
    /// overestimate while a backfill date leaves older mail out).
    public var backlog: Int { folders.values.reduce(0) { $0 + $1.backlog } }
}

/// One folder's sync state. Every message with a UID in `lowestUID...highestUID` under `uidValidity` has been
/// committed: new mail grows the window upwards, the backfill (newest first) grows it downwards.
public struct FolderCursor: Sendable, Hashable, Codable {
    public var uidValidity: UInt32
    /// The highest UID covered (0: nothing yet).
    public var highestUID: UInt32
    /// The lowest UID covered; `highestUID + 1` while the window is empty.
    public var lowestUID: UInt32
    /// HIGHESTMODSEQ at the last sync (CONDSTORE), nil without it.
    public var highestModSeq: UInt64?
    /// The backfill reached UID 1 or the configured date: nothing older is wanted.
    public var backfillComplete: Bool
    /// Messages handed over under this UIDVALIDITY.
    public var messagesSynced: Int
    /// EXISTS at the last EXAMINE (nil in cursors written before it was kept).
    public var messagesOnServer: Int?

    /// See ``MailboxCursor/backlog``. New mail is fetched right after the EXAMINE that finds it, so only the backfill
    /// leaves a backlog that lasts.
    public var backlog: Int { backfillComplete ? 0 : max(0, (messagesOnServer ?? 0) - messagesSynced) }

    /// Whether the folder, as `status` (an EXAMINE) reports it, holds mail past what this cursor covers: mail delivered
    /// after the sync that wrote the cursor. IDLE never reports such mail (the EXAMINE counted it already), so a client
    /// that went on to IDLE would only see it at the next renewal. Another UIDVALIDITY is the next sync's business.
    public func missesMail(in status: FolderStatus) -> Bool {
        status.uidValidity == uidValidity && status.uidNext > highestUID &+ 1
    }

    public init(uidValidity: UInt32, highestUID: UInt32 = 0, lowestUID: UInt32 = 1, highestModSeq: UInt64? = nil,
                backfillComplete: Bool = false, messagesSynced: Int = 0, messagesOnServer: Int? = nil) {
        self.messagesOnServer = messagesOnServer
        self.uidValidity = uidValidity
        self.highestUID = highestUID
        self.lowestUID = lowestUID
        self.highestModSeq = highestModSeq
        self.backfillComplete = backfillComplete
        self.messagesSynced = messagesSynced
    }
}
