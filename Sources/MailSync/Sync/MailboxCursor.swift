/// How far a mailbox is synced, per folder; committed by the caller in the same transaction as the messages it
/// covers, so it never claims more than is stored.
public struct MailboxCursor: Sendable, Hashable, Codable {
    public var folders: [String: FolderCursor]

    public init(folders: [String: FolderCursor] = [:]) { self.folders = folders }

    /// Messages known in every folder (for `connectord status`).
    public var messagesSynced: Int { folders.values.reduce(0) { $0 + $1.messagesSynced } }
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

    public init(uidValidity: UInt32, highestUID: UInt32 = 0, lowestUID: UInt32 = 1, highestModSeq: UInt64? = nil,
                backfillComplete: Bool = false, messagesSynced: Int = 0) {
        self.uidValidity = uidValidity
        self.highestUID = highestUID
        self.lowestUID = lowestUID
        self.highestModSeq = highestModSeq
        self.backfillComplete = backfillComplete
        self.messagesSynced = messagesSynced
    }
}
