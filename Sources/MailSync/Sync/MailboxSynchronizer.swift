/// What to sync of a mailbox, and how much at a time.
public struct MailboxSyncSettings: Sendable, Hashable {
    /// The folders to sync; nil: found by the server's SPECIAL-USE attributes (Gmail's `\All`, else INBOX and the
    /// `\Sent` folder). Default: nil.
    public var folders: [String]?
    /// The backfill goes back to this moment (seconds since 1970); older mail is never captured. Default: nil
    /// (everything).
    public var backfillSince: Int64?
    /// Messages (UIDs) per FETCH and per commit. Default: 1,000.
    public var batchSize: Int

    public init(folders: [String]? = nil, backfillSince: Int64? = nil, batchSize: Int = 1000) {
        self.folders = folders
        self.backfillSince = backfillSince
        self.batchSize = max(1, batchSize)
    }
}

/// A folder's state as EXAMINE reports it.
public struct FolderStatus: Sendable, Hashable {
    public var uidValidity: UInt32
    public var uidNext: UInt32
    public var exists: UInt32
    public var highestModSeq: UInt64?
}

/// Brings a mailbox's folders up to date over an open session: new mail first (by UIDNEXT), then the backfill,
/// newest first, resumable at any batch. Each batch goes to `commit` with the cursor that covers it; only a
/// successful commit moves the cursor on, so a crash anywhere re-fetches at most one batch (and capture, keyed by
/// the message's identity, takes it once).
///
/// A UIDVALIDITY change starts the folder over; messages already captured come back with the same identity and
/// change nothing. Folders are only EXAMINEd (read-only): sync never sets a flag, not even `\Seen`.
public struct MailboxSynchronizer: Sendable {
    public var settings: MailboxSyncSettings

    public init(settings: MailboxSyncSettings = MailboxSyncSettings()) { self.settings = settings }

    /// The items fetched per message: only what capture needs (header fields, and the body's first bytes for the
    /// snippet, never more of it whatever the message's size).
    public static func fetchItems(gmail: Bool) -> [String] {
        var items = ["UID", "RFC822.SIZE", "INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (\(SyncedMessage.headerFields.joined(separator: " ")))]",
                     "BODY.PEEK[TEXT]<0.\(SyncedMessage.snippetBytes)>"]
        if gmail { items += ["X-GM-MSGID", "X-GM-THRID"] }
        return items
    }

    /// The folders to sync on this server.
    public func folders<C>(_ session: IMAPSession<C>) async throws -> [String] {
        if let folders = settings.folders { return folders }
        var mailboxes: [IMAPMailboxInfo] = []
        let specialUse = session.has("SPECIAL-USE") && session.has("LIST-EXTENDED")
        try await session.execute(.list(reference: "", pattern: "*", returnSpecialUse: specialUse)) { data in
            if case .list(let info) = data { mailboxes.append(info) }
        }
        let selectable = mailboxes.filter { !$0.has("\\Noselect") && !$0.has("\\NonExistent") }
        // Gmail's All Mail holds every message once (sent and received), under one UID space.
        if session.has("X-GM-EXT-1"), let all = selectable.first(where: { $0.has("\\All") }) { return [all.name] }
        var folders = ["INBOX"]
        if let sent = selectable.first(where: { $0.has("\\Sent") }), sent.name.uppercased() != "INBOX" { folders.append(sent.name) }
        return folders
    }

    /// EXAMINE: UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ.
    public func examine<C>(_ session: IMAPSession<C>, folder: String) async throws -> FolderStatus {
        var validity: UInt32?, next: UInt32?, exists: UInt32 = 0, modSeq: UInt64?
        do {
            try await session.execute(.select(mailbox: folder, readOnly: true, condstore: session.has("CONDSTORE"))) { data in
                switch data {
                case .condition(let condition):
                    switch condition.code {
                    case .uidValidity(let value)?: validity = value
                    case .uidNext(let value)?: next = value
                    case .highestModSeq(let value)?: modSeq = value
                    default: break
                    }
                case .exists(let count): exists = count
                default: break
                }
            }
        } catch let error as IMAPClientError where error.isCommandRefusal && !error.isThrottled {
            throw IMAPClientError.mailboxMissing("\(folder): \(error)")
        }
        guard let validity else { throw IMAPClientError.protocolViolation("EXAMINE \(folder) without UIDVALIDITY") }
        guard let next else { throw IMAPClientError.protocolViolation("EXAMINE \(folder) without UIDNEXT") }
        return FolderStatus(uidValidity: validity, uidNext: next, exists: exists, highestModSeq: modSeq)
    }

    /// Syncs `folders` (from ``folders(_:)``) and returns the cursor after the last commit.
    ///
    /// A batch's commit runs while the next batch is fetched (the store and the server work at the same time), but
    /// commits happen strictly in order, one at a time, and all of them have finished when this returns or throws.
    public func sync<C>(
        _ session: IMAPSession<C>, folders: [String], cursor start: MailboxCursor,
        commit: @escaping @Sendable ([SyncedMessage], MailboxCursor) async throws -> Void
    ) async throws -> MailboxCursor {
        var pending: Task<Void, any Error>?
        func commitInOrder(_ messages: [SyncedMessage], _ cursor: MailboxCursor) async throws {
            if let pending { try await pending.value }
            pending = Task { try await commit(messages, cursor) }
        }
        do {
            let cursor = try await syncFolders(session, folders: folders, cursor: start, commit: commitInOrder)
            try await pending?.value
            return cursor
        } catch {
            // Never return while a commit still runs: the caller may start the next sync (or stop) on return.
            _ = try? await pending?.value
            throw error
        }
    }

    private func syncFolders<C>(
        _ session: IMAPSession<C>, folders: [String], cursor start: MailboxCursor,
        commit: ([SyncedMessage], MailboxCursor) async throws -> Void
    ) async throws -> MailboxCursor {
        var cursor = start
        for folder in folders {
            try Task.checkCancellation()
            let status = try await examine(session, folder: folder)
            var state = cursor.folders[folder] ?? fresh(status)
            if state.uidValidity != status.uidValidity { state = fresh(status) }
            state.messagesOnServer = Int(status.exists)
            let changed = state != cursor.folders[folder]
            cursor.folders[folder] = state
            let gmail = session.has("X-GM-EXT-1")

            // New mail, oldest first, so the window only ever grows upwards from a committed edge.
            let top = status.uidNext &- 1
            while state.highestUID < top {
                try Task.checkCancellation()
                let upper = state.highestUID + min(width(status), top - state.highestUID)
                let messages = try await fetch(session, folder: folder, state.highestUID + 1...upper, gmail: gmail)
                state.highestUID = upper
                state.messagesSynced += messages.count
                cursor.folders[folder] = state
                try await commit(messages, cursor)
            }

            // Backfill, newest first, down to UID 1 or the configured date.
            while !state.backfillComplete {
                try Task.checkCancellation()
                guard state.lowestUID > 1 else {
                    state.backfillComplete = true
                    cursor.folders[folder] = state
                    try await commit([], cursor)
                    break
                }
                let lower = state.lowestUID > width(status) ? state.lowestUID - width(status) : 1
                let messages = try await fetch(session, folder: folder, lower...state.lowestUID - 1, gmail: gmail)
                let wanted = messages.filter(isWanted)
                state.lowestUID = lower
                state.messagesSynced += wanted.count
                // Past the date once a whole batch is older (UIDs follow arrival, dates only roughly do).
                if lower == 1 || (!messages.isEmpty && wanted.isEmpty) { state.backfillComplete = true }
                cursor.folders[folder] = state
                try await commit(wanted, cursor)
            }

            if state.highestModSeq != status.highestModSeq || changed {
                state.highestModSeq = status.highestModSeq
                cursor.folders[folder] = state
                try await commit([], cursor)
            }
        }
        return cursor
    }

    /// A folder seen for the first time (or under a new UIDVALIDITY): an empty window just below UIDNEXT, so the
    /// backfill starts with the newest mail.
    private func fresh(_ status: FolderStatus) -> FolderCursor {
        FolderCursor(uidValidity: status.uidValidity, highestUID: status.uidNext &- 1, lowestUID: status.uidNext,
                     highestModSeq: nil, backfillComplete: status.uidNext <= 1)
    }

    /// UIDs per batch: the batch size, widened where UIDs are sparse (Gmail's All Mail), so a batch still holds about
    /// `batchSize` messages.
    private func width(_ status: FolderStatus) -> UInt32 {
        let span = UInt64(max(status.uidNext, 2) - 1)
        let gap = status.exists > 0 ? max(1, span / UInt64(status.exists)) : 1
        return UInt32(min(UInt64(settings.batchSize) * min(gap, 64), UInt64(UInt32.max / 2)))
    }

    private func isWanted(_ message: SyncedMessage) -> Bool {
        guard let since = settings.backfillSince, let date = message.date else { return true }
        return date.secondsSince1970 >= since
    }

    private func fetch<C>(_ session: IMAPSession<C>, folder: String, _ uids: ClosedRange<UInt32>, gmail: Bool) async throws -> [SyncedMessage] {
        var messages: [SyncedMessage] = []
        messages.reserveCapacity(min(uids.count, settings.batchSize))
        try await session.execute(.uidFetch(IMAPSequenceSet(uids), items: Self.fetchItems(gmail: gmail), changedSince: nil)) { data in
            guard case .fetch(_, let attributes) = data, let message = SyncedMessage(folder: folder, attributes: attributes),
                  uids.contains(message.uid) else { return }
            messages.append(message)
        }
        return messages
    }
}
