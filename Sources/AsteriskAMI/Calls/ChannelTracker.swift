/// Follows channels, dials, Local halves and bridges through the AMI event stream and says, in
/// `CallSignal`s, who rings whom, who answers, who transfers, and how each call ends. No I/O.
///
/// The rules are those of cacofonisk (VoIPGRID's tracker, proven on the recordings our tests replay): a
/// caller's targets are found by walking dials through Local channel halves; a call is up when a bridge joins
/// a calling channel and one other real channel; `AttendedTransfer` with a bridge destination is attended,
/// with a `Dial` destination blonde; `BlindTransfer` is announced when the new target starts ringing.
///
/// Events about channels the tracker never saw (it connected mid-call) are counted and ignored.
final class ChannelTracker {
    // One owner, never shared across threads: no dynamic exclusivity checks on these hot properties.
    @exclusivity(unchecked) private(set) var channels = IdentifierTable<TrackedChannel>()
    @exclusivity(unchecked) private var bridges = IdentifierTable<Bridge>()
    /// Events that named a channel or bridge we do not know.
    @exclusivity(unchecked) private(set) var unknownReferences = 0

    private static let down = 0, ringing = 5, up = 6

    /// Everything in progress is forgotten: the PBX itself restarted (a reconnect reconciles instead).
    func reset() {
        for channel in channels.values { channel.unlink() }
        for bridge in bridges.values { bridge.dissolve() }
        channels.removeAll(keepingCapacity: true)
        bridges.removeAll(keepingCapacity: true)
    }

    // Channels and bridges point at each other strongly (see `TrackedChannel`): break the cycles.
    deinit { reset() }

    /// One event, whose name (`Event:`) the caller has read.
    func handle(_ event: AMIMessage, _ kind: TrackedEvent, into signals: inout [CallSignal]) {
        switch kind {
        case .newchannel: newChannel(event)
        case .newstate: newState(event, &signals)
        case .localBridge: localBridge(event)
        case .hangup: hangup(event, &signals)
        case .dialBegin: dialBegin(event, &signals)
        case .dialEnd: dialEnd(event, &signals)
        case .newCallerid:
            event.withValues("Uniqueid", "CallerIDNum", "CallerIDName") { id, number, name in
                guard let channel = channel(id: id) else { return }
                Self.update(&channel.callerIDNum, number)
                Self.update(&channel.callerIDName, name)
            }
        case .newConnectedLine:
            event.withValues("Uniqueid", "ConnectedLineNum", "ConnectedLineName") { id, number, name in
                guard let channel = channel(id: id) else { return }
                Self.update(&channel.connectedLineNum, number)
                Self.update(&channel.connectedLineName, name)
            }
        case .newAccountCode:
            event.withValues("Uniqueid", "AccountCode") { id, code, _ in
                guard let channel = channel(id: id) else { return }
                Self.update(&channel.accountCode, code)
            }
        case .attendedTransfer: attendedTransfer(event, &signals)
        case .blindTransfer: blindTransfer(event)
        case .bridgeCreate:
            guard let id = event["BridgeUniqueid"] else { return }
            bridges[id]?.dissolve()
            bridges[id] = Bridge(uniqueid: id)
        case .bridgeEnter: bridgeEnter(event, &signals)
        case .bridgeLeave:
            event.withValues("Uniqueid", "BridgeUniqueid") { id, bridgeID, _ in
                guard let channel = channel(id: id), let bridge = bridge(id: bridgeID) else { return }
                bridge.peers.removeAll { $0 === channel }
                channel.bridge = nil
            }
        case .bridgeDestroy:
            event.withValue("BridgeUniqueid") { id in
                bridges[id: id]?.dissolve()
                bridges.removeValue(forID: id)
            }
        case .userEvent:
            guard let channel = channel(event, "Uniqueid") else { return }
            signals.append(.userEvent(channel: channel.snapshot, name: event["UserEvent"] ?? ""))
        case .queueCallerAbandon:
            guard let channel = channel(event, "Uniqueid") else { return }
            signals.append(.queueAbandoned(caller: channel.snapshot, queue: event["Queue"]))
        case .queueCallerJoin, .varSet:
            return
        }
    }

    /// The channel an event names in `header`, looked up by the header's bytes. A missing header is nil; an id we
    /// do not know is nil and counted.
    @inline(__always)
    private func channel(_ event: AMIMessage, _ header: StaticString) -> TrackedChannel? {
        event.withValue(header) { channel(id: $0) } ?? nil
    }

    private func bridge(_ event: AMIMessage, _ header: StaticString) -> Bridge? {
        event.withValue(header) { bridge(id: $0) } ?? nil
    }

    @inline(__always)
    private func channel(id: UnsafeRawBufferPointer?) -> TrackedChannel? {
        guard let id else { return nil }
        guard let found = channels[id: id] else {
            unknownReferences += 1
            return nil
        }
        return found
    }

    @inline(__always)
    private func bridge(id: UnsafeRawBufferPointer?) -> Bridge? {
        guard let id else { return nil }
        guard let found = bridges[id: id] else {
            unknownReferences += 1
            return nil
        }
        return found
    }

    /// A header's new value for a channel's field; a string is made only when the value changed.
    @inline(__always)
    private static func update(_ field: inout String, _ value: UnsafeRawBufferPointer?) {
        guard let value, !field.utf8Equals(value) else { return }
        field = String(decoding: value, as: UTF8.self)
    }


    // MARK: call set-up

    private func newChannel(_ event: AMIMessage) {
        // Ten headers: read in one pass over the event rather than ten searches.
        var headers = NewchannelHeaders()
        event.forEachHeader { name, value in headers.take(name, value) }
        guard let name = headers.channel, let uniqueid = headers.uniqueid else { return }
        channels[uniqueid] = TrackedChannel(
            name: name, uniqueid: uniqueid, linkedid: headers.linkedid ?? uniqueid,
            state: Int(headers.channelState ?? "") ?? 0, exten: headers.exten ?? "",
            accountCode: headers.accountCode ?? "", callerIDNum: headers.callerIDNum ?? "",
            callerIDName: headers.callerIDName ?? "", connectedLineNum: headers.connectedLineNum ?? "",
            connectedLineName: headers.connectedLineName ?? "")
    }

    private func newState(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        let found = event.withValues("Uniqueid", "ChannelState") { id, state, _ in
            (channel(id: id), state.flatMap { Int(String(decoding: $0, as: UTF8.self)) })
        }
        guard let channel = found.0, let state = found.1 else { return }
        let old = channel.state
        channel.state = state
        guard !channel.isLocal, old == Self.down, state == Self.ringing || state == Self.up else { return }
        // A phone starts ringing (or answers at once): report it if we know who dials it.
        if channel.dialedBy != nil { reportRinging(channel, &signals) }
    }

    private func localBridge(_ event: AMIMessage) {
        let (one, two) = event.withValues("LocalOneUniqueid", "LocalTwoUniqueid") { one, two, _ in
            let first = channel(id: one)
            return (first, first == nil ? nil : channel(id: two))
        }
        guard let one, let two else { return }
        one.forwardLocal = two
        two.backwardLocal = one
    }

    private func dialBegin(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        let (destination, hasSource, source) = event.withValues("DestUniqueid", "Uniqueid") { destination, source, _ in
            let found = channel(id: destination)
            return (found, source != nil, found == nil ? nil : channel(id: source))
        }
        guard let destination else { return }
        guard hasSource else {
            // A dial without a source comes from an Originate.
            destination.isOriginated = true
            return
        }
        guard let caller = source else { return }
        caller.isCalling = true
        caller.dialing.append(destination)
        destination.dialedBy = caller
        if !destination.isLocal, destination.state == Self.ringing { reportRinging(destination, &signals) }
    }

    private func dialEnd(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        let (caller, destination) = event.withValues("Uniqueid", "DestUniqueid") { source, destination, _ -> (TrackedChannel?, TrackedChannel?) in
            guard destination != nil, let caller = channel(id: source) else { return (nil, nil) }
            return (caller, channel(id: destination))
        }
        guard let caller, let destination else { return }
        if destination.dialReported, !destination.isLocal {
            let origin = destination.dialingChannel
            if !origin.isLocal {
                signals.append(.ringingEnded(caller: origin.snapshot, target: destination.snapshot,
                                             dialStatus: (event["DialStatus"] ?? "").lowercased()))
            }
        }
        caller.dialing.removeAll { $0 === destination }
        destination.dialedBy = nil
    }

    /// One `ringing` signal for all targets of a caller that ring at the same moment.
    private func reportRinging(_ channel: TrackedChannel, _ signals: inout [CallSignal]) {
        if channel.ringingReported {
            channel.ringingReported = false
            return
        }
        var caller = channel.dialingChannel

        if let transferer = caller.pendingBlindTransferer {
            caller.pendingBlindTransferer = nil
            let targets = caller.dialedChannels
            for target in targets {
                target.dialReported = true
                if target !== channel { target.ringingReported = true }
            }
            signals.append(.blindTransfer(caller: caller.snapshot, transferer: transferer.snapshot,
                                          targets: targets.map(\.snapshot)))
        } else if caller.isOriginated, let firstDial = caller.dialing.first, let forward = caller.forwardLocal {
            // An Originate calls the agent's phone first (the Local half's other side, in a bridge), then
            // dials the number: present it as the agent calling the number.
            guard let agent = forward.bridge?.peers.first(where: { !$0.isLocal }) else { return }
            caller = agent
            caller.exten = firstDial.exten
            caller.isCalling = true
            channel.dialReported = true
            signals.append(.ringing(caller: caller.snapshot, targets: [channel.snapshot]))
        } else if !caller.isLocal {
            let ringingTargets = caller.dialedChannels.filter { $0.state == Self.ringing && !$0.ringingReported }
            signals.append(.ringing(caller: caller.snapshot, targets: ringingTargets.map(\.snapshot)))
            for target in ringingTargets {
                target.ringingReported = true
                target.dialReported = true
            }
        }
    }

    // MARK: talking

    private func bridgeEnter(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        let (entering, entered) = event.withValues("Uniqueid", "BridgeUniqueid") { id, bridgeID, _ in
            let channel = channel(id: id)
            return (channel, channel == nil ? nil : bridge(id: bridgeID))
        }
        guard let channel = entering, let bridge = entered else { return }
        if !bridge.peers.contains(where: { $0 === channel }) { bridge.peers.append(channel) }
        channel.bridge = bridge

        let peers = channel.bridgePeers
        guard peers.count >= 2 else { return }
        // The caller is the calling peer; after some transfers two callers share a bridge, and then the oldest
        // channel stays the caller. (No filtered arrays: this runs for every channel entering a bridge.)
        var found: TrackedChannel?
        var callers = 0
        for peer in peers where peer.isCalling {
            callers += 1
            if let current = found, current.name.channelSequence <= peer.name.channelSequence { continue }
            found = peer
        }
        guard let caller = found else { return }
        if callers > 1 {
            for peer in peers where peer.isCalling && peer !== caller { peer.isCalling = false }
        }
        // Every other peer is a target; three or more parties (a conference) is not a two-party call.
        guard peers.count == 2 else { return }
        let target = peers[0] === caller ? peers[1] : peers[0]
        if !caller.answerReported {
            caller.answerReported = true
            signals.append(.answered(caller: caller.snapshot, target: target.snapshot))
        }
    }

    // MARK: transfers

    private func attendedTransfer(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        guard let original = channel(event, "OrigTransfererUniqueid"),
              let second = channel(event, "SecondTransfererUniqueid") else { return }
        switch (event["DestType"], event["DestApp"]) {
        case ("Bridge", _): completeAttendedTransfer(event, original, second, &signals)
        case ("App", "Dial"): completeBlondeTransfer(event, original, second, &signals)
        default: return  // a transfer to a parking lot or an application: not a call to a person
        }
    }

    private func completeAttendedTransfer(_ event: AMIMessage, _ original: TrackedChannel, _ second: TrackedChannel,
                                          _ signals: inout [CallSignal]) {
        var transferee: TrackedChannel
        let target: TrackedChannel
        let named = event.withValues("TransfereeUniqueid", "TransferTargetUniqueid") { transfereeID, targetID, _ -> (TrackedChannel?, TrackedChannel?)? in
            guard transfereeID != nil, targetID != nil else { return nil }
            let found = channel(id: transfereeID)
            return (found, found == nil ? nil : channel(id: targetID))
        }
        if let named {
            guard let found = named.0, let foundTarget = named.1 else { return }
            transferee = found
            target = foundTarget
        } else {
            // Older Asterisk leaves the parties out: both are in the destination bridge, and the transferee
            // still carries the Linkedid of the call before the transfer.
            guard let bridge = bridge(event, "DestBridgeUniqueid"), bridge.peers.count >= 2 else { return }
            let one = bridge.peers[0], two = bridge.peers[1]
            let linkedid = event["OrigTransfererLinkedid"]
            if one.linkedid == linkedid {
                transferee = one
                target = two
            } else if two.linkedid == linkedid {
                transferee = two
                target = one
            } else {
                return
            }
        }
        if transferee.isLocal {
            // Local channels not yet optimised away: the real transferee is behind them.
            for peer in transferee.bridgePeers where peer !== target && peer !== second && peer !== original {
                transferee = peer
            }
        }
        transferee.isCalling = true
        if let exten = event["SecondTransfererExten"], !exten.isEmpty {
            transferee.exten = exten
        } else if let exten = event["OrigTransfererExten"], !exten.isEmpty {
            transferee.exten = exten
        } else {
            transferee.exten = event["TransferTargetCallerIDNum"] ?? ""
        }
        target.isCalling = false
        signals.append(.attendedTransfer(caller: transferee.snapshot, transferer: second.snapshot, target: target.snapshot))
        original.hangupSuppressed = true
        second.hangupSuppressed = true
    }

    private func completeBlondeTransfer(_ event: AMIMessage, _ original: TrackedChannel, _ second: TrackedChannel,
                                        _ signals: inout [CallSignal]) {
        guard let transferee = channel(event, "TransfereeUniqueid") else { return }
        transferee.answerReported = false
        transferee.isCalling = true
        transferee.exten = second.exten
        var targets = second.dialedChannels
        for other in transferee.dialedChannels where !targets.contains(where: { $0 === other }) { targets.append(other) }
        signals.append(.blondeTransfer(caller: transferee.snapshot, transferer: second.snapshot, targets: targets.map(\.snapshot)))
        original.hangupSuppressed = true
        second.hangupSuppressed = true
    }

    private func blindTransfer(_ event: AMIMessage) {
        guard let transferer = channel(event, "TransfererUniqueid"),
              let transferee = channel(event, "TransfereeUniqueid") else { return }
        // Reported when the new target starts ringing, so the signal can name the targets.
        transferee.pendingBlindTransferer = transferer
        transferee.answerReported = false
        transferer.hangupSuppressed = true
        transferee.isCalling = true
        let exten = event["Extension"] ?? ""
        transferee.exten = exten
        transferer.exten = exten
    }

    // MARK: the end

    private func hangup(_ event: AMIMessage, _ signals: inout [CallSignal]) {
        guard let channel = channel(event, "Uniqueid") else { return }
        hangUp(channel, cause: Int(event["Cause"] ?? "") ?? 0, &signals)
    }

    /// After a reconnect: the PBX lists the channels still up; every other channel we track ended while we
    /// were away and is hung up now (cause 0, unknown), so its call is finished once instead of never.
    func reconcile(activeChannels: Set<String>, into signals: inout [CallSignal]) {
        let gone = channels.values.filter { !activeChannels.contains($0.uniqueid) }
        let theirBridges = gone.compactMap(\.bridge)
        // The callers last, so the call is complete when its hangup is reported.
        for channel in gone where !channel.isCalling || channel.isLocal { hangUp(channel, cause: 0, &signals) }
        for channel in gone where channel.isCalling && !channel.isLocal { hangUp(channel, cause: 0, &signals) }
        // Their BridgeDestroy was lost too: bridges they left empty go with them.
        for bridge in theirBridges where bridge.peers.isEmpty && bridges[bridge.uniqueid] === bridge {
            bridge.dissolve()
            bridges.removeValue(forKey: bridge.uniqueid)
        }
    }

    private func hangUp(_ channel: TrackedChannel, cause: Int, _ signals: inout [CallSignal]) {
        if !channel.isLocal {
            if let transferer = channel.pendingBlindTransferer {
                // The blind transfer's target could not be reached: no channel to it was ever made.
                channel.pendingBlindTransferer = nil
                let caller = transferer.isCalling ? transferer : channel
                signals.append(.hungUp(caller: caller.snapshot, reason: .completed, cause: cause))
            } else if channel.hangupSuppressed {
                // This leg was handed over by a transfer; the call goes on without it.
            } else if channel.isCalling {
                signals.append(.hungUp(caller: channel.snapshot,
                                       reason: HangupReason(cause: cause, callerWasUp: channel.state == Self.up),
                                       cause: cause))
            }
        }
        // Asterisk sends BridgeLeave first; after a reconnect gap it may never come.
        channel.unlink()
        channels.removeValue(forKey: channel.uniqueid)
    }
}

extension String {
    /// The sequence number Asterisk appends to channel names (`SIP/201-0000002c` → `0000002c`); hex of fixed
    /// width, so string order is creation order.
    var channelSequence: Substring {
        guard let dash = lastIndex(of: "-") else { return self[...] }
        return self[index(after: dash)...]
    }
}

/// The headers of a `Newchannel`, the first of each name (as the subscript reads them), from one pass.
private struct NewchannelHeaders {
    var channel, uniqueid, linkedid, channelState, exten, accountCode: String?
    var callerIDNum, callerIDName, connectedLineNum, connectedLineName: String?

    @inline(__always)
    mutating func take(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        func read(_ slot: inout String?) { if slot == nil { slot = String(decoding: value, as: UTF8.self) } }
        switch name.count {
        case 5 where name.equalsIgnoringCase("Exten"): read(&exten)
        case 7 where name.equalsIgnoringCase("Channel"): read(&channel)
        case 8 where name.equalsIgnoringCase("Uniqueid"): read(&uniqueid)
        case 8 where name.equalsIgnoringCase("Linkedid"):
            // A call's first channel is its own Linkedid: share the string rather than make a second one.
            if linkedid == nil, let uniqueid, uniqueid.utf8Equals(value) { linkedid = uniqueid } else { read(&linkedid) }
        case 11 where name.equalsIgnoringCase("AccountCode"): read(&accountCode)
        case 11 where name.equalsIgnoringCase("CallerIDNum"): read(&callerIDNum)
        case 12 where name.equalsIgnoringCase("ChannelState"): read(&channelState)
        case 12 where name.equalsIgnoringCase("CallerIDName"): read(&callerIDName)
        case 16 where name.equalsIgnoringCase("ConnectedLineNum"): read(&connectedLineNum)
        case 17 where name.equalsIgnoringCase("ConnectedLineName"): read(&connectedLineName)
        default: return
        }
    }
}
