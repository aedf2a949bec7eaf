import struct Foundation.Date

/// Turns `CallSignal`s into finished `CallRecord`s: one per customer call, however many channels,
/// Linkedids and transfers it went through. No I/O.
///
/// A record is opened by the first signal about a caller and knows every channel that took part. A transfer
/// joins the records of its parties (the consultation call of an attended transfer becomes part of the
/// customer's call), and the record is finished when its caller hangs up.
struct CallAssembler {
    var directory: AgentDirectory

    /// A call being put together.
    private final class Draft {
        var id: String
        let openedAt: Date
        var callerAgent: String?
        var callerNumber: String?
        var callerName: String?
        var dialled: String?
        var rang: [String] = []
        var ringingExternal: String?
        var talked: [String] = []
        var answeredAt: Date?
        var abandoned = false
        var queue: String?
        var transfers: [CallTransfer] = []
        var recordingFile: String?
        var channelIDs: [String] = []
        var linkedIDs: Set<String> = []
        var dialStatuses: [String] = []

        init(id: String, openedAt: Date) {
            self.id = id
            self.openedAt = openedAt
        }
    }

    // Looked up for every signal and every hangup: tables hashed cheaply (see `IdentifierTable`).
    private var draftByChannel = IdentifierTable<Draft>()
    private var draftByLinkedid = IdentifierTable<Draft>()
    /// What was said about a channel before its call was opened: the queue it joined (QueueCallerJoin), the
    /// recording started on it (a MixMonitor before the Dial). Taken when the channel joins a call.
    private final class Early {
        var queue: String?
        var recordingFile: String?
    }
    private var earlyByChannel = IdentifierTable<Early>()
    /// Ids of the calls finished lately, so a late call of the same Linkedid gets an id of its own.
    private var finishedIDs = RecentSet(capacity: 4_096)

    init(directory: AgentDirectory) {
        self.directory = directory
    }

    var callsInProgress: Int { Set(draftByChannel.values.map(ObjectIdentifier.init)).count }

    mutating func reset() {
        finishedIDs = RecentSet(capacity: 4_096)
        draftByChannel.removeAll(keepingCapacity: false)
        draftByLinkedid.removeAll(keepingCapacity: false)
        earlyByChannel.removeAll(keepingCapacity: false)
    }

    mutating func queueJoined(uniqueid: String, queue: String) {
        if let draft = draftByChannel[uniqueid] { draft.queue = queue } else { early(uniqueid).queue = queue }
    }

    mutating func recordingStarted(uniqueid: String, linkedid: String?, file: String) {
        guard let draft = draftByChannel[uniqueid] ?? linkedid.flatMap({ draftByLinkedid[$0] }) else {
            early(uniqueid).recordingFile = file
            return
        }
        if draft.recordingFile == nil { draft.recordingFile = file }
    }

    /// What is known so far about a channel that is in no call yet.
    private mutating func early(_ uniqueid: String) -> Early {
        if let early = earlyByChannel[uniqueid] { return early }
        let early = Early()
        earlyByChannel[uniqueid] = early
        return early
    }

    mutating func apply(_ signal: CallSignal, at time: Date, finished: inout [CallRecord]) {
        switch signal {
        case .ringing(let caller, let targets):
            let draft = open(caller, at: time)
            for target in targets { rang(target, in: draft, dialledBy: caller) }
        case .ringingEnded(let caller, let target, let status):
            let draft = open(caller, at: time)
            attach(target, to: draft)
            draft.dialStatuses.append(status)
        case .answered(let caller, let target):
            let draft = draftByChannel[caller.uniqueid] ?? draftByChannel[target.uniqueid] ?? open(caller, at: time)
            attach(caller, to: draft)
            attach(target, to: draft)
            if draft.answeredAt == nil { draft.answeredAt = time }
            if let agent = directory.agent(of: target), !draft.talked.contains(agent) {
                draft.talked.append(agent)
            }
        case .attendedTransfer(let caller, let transferer, let target):
            let draft = merge([caller, transferer, target], at: time)
            let to = label(target)
            draft.transfers.append(CallTransfer(kind: .attended, by: label(transferer), to: [to]))
            if let agent = directory.agent(of: target), !draft.talked.contains(agent) {
                draft.talked.append(agent)
            }
        case .blindTransfer(let caller, let transferer, let targets):
            let draft = merge([caller, transferer], at: time)
            for target in targets { rang(target, in: draft, dialledBy: caller) }
            draft.transfers.append(CallTransfer(kind: .blind, by: label(transferer),
                                                to: targets.map { label($0, dialled: caller.exten) }))
        case .blondeTransfer(let caller, let transferer, let targets):
            let draft = merge([caller, transferer], at: time)
            for target in targets { rang(target, in: draft, dialledBy: caller) }
            draft.transfers.append(CallTransfer(kind: .blonde, by: label(transferer),
                                                to: targets.map { label($0, dialled: caller.exten) }))
        case .queueAbandoned(let caller, let queue):
            let draft = open(caller, at: time)
            draft.abandoned = true
            if let queue { draft.queue = queue }
        case .userEvent:
            return
        case .hungUp(let caller, let reason, let cause):
            let draft = draftByChannel[caller.uniqueid] ?? open(caller, at: time)
            finished.append(finish(draft, reason: reason, cause: cause, at: time))
        }
    }

    /// Finishes every call none of whose channels is still up (after a reconnect, the hangups that would
    /// have finished them were never seen). Each is finished once, with cause 0 (unknown).
    mutating func finishOrphans(liveChannels: Set<String>, at time: Date, finished: inout [CallRecord]) {
        var seen = Set<ObjectIdentifier>()
        for draft in draftByChannel.values where seen.insert(ObjectIdentifier(draft)).inserted {
            guard !draft.channelIDs.contains(where: liveChannels.contains) else { continue }
            finished.append(finish(draft, reason: HangupReason(cause: 0, callerWasUp: draft.answeredAt != nil), cause: 0, at: time))
        }
    }

    /// After a channel hung up: if its call has no channel left and no caller hangup finished it (the
    /// caller's hangup was lost in a reconnect gap, or a transfer left it without one), finish it now.
    mutating func channelHungUp(_ uniqueid: String, isLive: (String) -> Bool, at time: Date,
                                finished: inout [CallRecord]) {
        earlyByChannel.removeValue(forKey: uniqueid)
        guard let draft = draftByChannel[uniqueid], !draft.channelIDs.contains(where: isLive) else { return }
        finished.append(finish(draft, reason: HangupReason(cause: 0, callerWasUp: draft.answeredAt != nil), cause: 0, at: time))
    }

    // MARK: drafts

    private mutating func open(_ caller: ChannelSnapshot, at time: Date) -> Draft {
        if let draft = draftByChannel[caller.uniqueid] { return draft }
        // The call's id is its Linkedid, unless a call in progress already has that id (a colleague's second
        // call from inside the same linked call): then the caller's own Uniqueid, so no two calls share a
        // source key and capture never takes one for a repeat of the other.
        let linkedid = caller.linkedid.isEmpty ? caller.uniqueid : caller.linkedid
        let id = draftByLinkedid[linkedid] == nil && !finishedIDs.contains(linkedid) ? linkedid : caller.uniqueid
        let draft = Draft(id: id, openedAt: time)
        draft.callerAgent = directory.agent(of: caller)
        draft.callerNumber = caller.callerIDNum
        draft.callerName = caller.callerIDName
        draft.dialled = caller.exten
        attach(caller, to: draft)
        return draft
    }

    private mutating func attach(_ channel: ChannelSnapshot, to draft: Draft) {
        attach(id: channel.uniqueid, to: draft)
        if draft.linkedIDs.insert(channel.linkedid).inserted { draftByLinkedid[channel.linkedid] = draft }
    }

    private mutating func rang(_ target: ChannelSnapshot, in draft: Draft, dialledBy caller: ChannelSnapshot) {
        attach(target, to: draft)
        if let agent = directory.agent(of: target) {
            if !draft.rang.contains(agent) { draft.rang.append(agent) }
        } else if draft.ringingExternal == nil {
            draft.ringingExternal = caller.exten
        }
    }

    /// Joins the drafts the parties belong to; the oldest survives (its id is the call's id).
    private mutating func merge(_ parties: [ChannelSnapshot], at time: Date) -> Draft {
        var drafts: [Draft] = []
        for party in parties {
            if let draft = draftByChannel[party.uniqueid], !drafts.contains(where: { $0 === draft }) { drafts.append(draft) }
        }
        guard let survivor = drafts.min(by: { $0.openedAt < $1.openedAt }) else {
            let draft = open(parties[0], at: time)
            parties.dropFirst().forEach { attach($0, to: draft) }
            return draft
        }
        for other in drafts where other !== survivor {
            for id in other.channelIDs { attach(id: id, to: survivor) }
            for linkedid in other.linkedIDs where survivor.linkedIDs.insert(linkedid).inserted { draftByLinkedid[linkedid] = survivor }
            for agent in other.rang where !survivor.rang.contains(agent) { survivor.rang.append(agent) }
            // Whoever placed the other call (an agent calling in to take over) talked on this one.
            for agent in [other.callerAgent].compactMap({ $0 }) + other.talked where !survivor.talked.contains(agent) && agent != survivor.callerAgent {
                survivor.talked.append(agent)
            }
            survivor.ringingExternal = survivor.ringingExternal ?? other.ringingExternal
            survivor.transfers += other.transfers
            survivor.recordingFile = survivor.recordingFile ?? other.recordingFile
            survivor.queue = survivor.queue ?? other.queue
            if let answered = other.answeredAt, survivor.answeredAt == nil { survivor.answeredAt = answered }
        }
        parties.forEach { attach($0, to: survivor) }
        return survivor
    }

    private mutating func attach(id: String, to draft: Draft) {
        guard draftByChannel[id] !== draft else { return }
        // A channel belongs to one call: the one it leaves forgets it, so that call is finished when its own
        // last channel hangs up instead of waiting for this one, whose hangup now finishes the other call.
        if let previous = draftByChannel[id] { previous.channelIDs.removeAll { $0 == id } }
        draftByChannel[id] = draft
        draft.channelIDs.append(id)
        if let early = earlyByChannel.removeValue(forKey: id) {
            draft.queue = draft.queue ?? early.queue
            draft.recordingFile = draft.recordingFile ?? early.recordingFile
        }
    }

    private mutating func finish(_ draft: Draft, reason: HangupReason, cause: Int, at time: Date) -> CallRecord {
        for id in draft.channelIDs where draftByChannel[id] === draft { draftByChannel[id] = nil }
        for linkedid in draft.linkedIDs where draftByLinkedid[linkedid] === draft { draftByLinkedid[linkedid] = nil }
        finishedIDs.insert(draft.id)

        let agentInvolved = draft.callerAgent != nil || !draft.rang.isEmpty || !draft.talked.isEmpty
        let direction: CallDirection
        let externalNumber: String?
        if draft.callerAgent == nil {
            direction = agentInvolved ? .inbound : .external
            externalNumber = draft.callerNumber
        } else if draft.ringingExternal != nil || (draft.rang.isEmpty && !(draft.dialled.map(directory.extensions.contains) ?? false)) {
            direction = .outbound
            externalNumber = draft.ringingExternal ?? draft.dialled
        } else {
            direction = .internal
            externalNumber = nil
        }

        let answered = draft.answeredAt != nil
        let outcome: CallOutcome
        if answered {
            outcome = .answered
        } else if draft.abandoned {
            outcome = .abandoned
        } else if reason == .busy || reason == .rejected
                    || (!draft.dialStatuses.isEmpty && draft.dialStatuses.allSatisfy { $0 == "busy" }) {
            outcome = .busy
        } else if reason == .failed || (!draft.dialStatuses.isEmpty && draft.dialStatuses.allSatisfy { $0 == "congestion" || $0 == "chanunavail" }) {
            outcome = .failed
        } else {
            outcome = .missed
        }

        return CallRecord(
            id: draft.id, direction: direction, externalNumber: externalNumber,
            externalName: direction == .inbound ? draft.callerName : nil,
            placedBy: draft.callerAgent, rang: draft.rang,
            answeredBy: direction == .outbound ? nil : draft.talked.first,
            agents: ([draft.callerAgent].compactMap { $0 } + draft.talked).uniqued(), outcome: outcome, hangupReason: reason, hangupCause: cause,
            queue: draft.queue, transfers: draft.transfers, recordingFile: draft.recordingFile,
            startedAt: draft.openedAt, answeredAt: draft.answeredAt, endedAt: time, channelIDs: draft.channelIDs)
    }

    private func label(_ channel: ChannelSnapshot, dialled: String? = nil) -> String {
        directory.agent(of: channel) ?? dialled ?? channel.callerIDNum
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

/// A set that remembers only its last `capacity` members (oldest forgotten first).
struct RecentSet {
    private var members: Set<String> = []
    private var order: [String] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ member: String) -> Bool { members.contains(member) }

    mutating func insert(_ member: String) {
        guard members.insert(member).inserted else { return }
        if order.count < capacity {
            order.append(member)
        } else {
            members.remove(order[next])
            order[next] = member
            next = (next + 1) % capacity
        }
    }
}
