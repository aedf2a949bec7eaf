/// One Asterisk channel as the event stream describes it, plus the links the tracker derives: which channel
/// dials it, which it dials, the other half of a Local channel, the bridge it sits in.
///
/// Channels point at each other, and the graph changes on every event; a reference type keeps that graph
/// cheap to walk. Channels never leave the tracker that owns them.
///
/// The links are strong, and the tracker unlinks a channel when it hangs up (``unlink()``) and a bridge when it is
/// destroyed. They were `weak` once, which gave every channel a side table: each retain and release then took the
/// runtime's slow path, 5 % of decoding + tracking. Unlinking by hand is what `weak` did implicitly: a channel that
/// hung up is no longer anyone's dialer, Local half or bridge member.
final class TrackedChannel {
    // Read and written on every event by the one tracker that owns the channel, never concurrently: the
    // dynamic exclusivity checks Swift makes on class properties were 6 % of decoding + tracking.
    let name: String
    let uniqueid: String
    @exclusivity(unchecked) var linkedid: String
    @exclusivity(unchecked) var state: Int
    @exclusivity(unchecked) var exten: String
    @exclusivity(unchecked) var accountCode: String
    @exclusivity(unchecked) var callerIDNum: String
    @exclusivity(unchecked) var callerIDName: String
    @exclusivity(unchecked) var connectedLineNum: String
    @exclusivity(unchecked) var connectedLineName: String
    let isLocal: Bool

    /// Local channels come in halves `;1` and `;2`; `LocalBridge` links the first to the second.
    @exclusivity(unchecked) var forwardLocal: TrackedChannel?
    @exclusivity(unchecked) var backwardLocal: TrackedChannel?
    /// The channel whose `Dial` is ringing this one, and the channels this one is dialing.
    @exclusivity(unchecked) var dialedBy: TrackedChannel?
    @exclusivity(unchecked) var dialing: [TrackedChannel] = []
    @exclusivity(unchecked) var bridge: Bridge?
    /// Created by an `Originate` (a dial with a destination but no source).
    @exclusivity(unchecked) var isOriginated = false
    /// The party that placed the call; a channel that created its own Linkedid starts out as one.
    @exclusivity(unchecked) var isCalling: Bool

    // What the tracker has already said about this channel, so each signal is given once.
    @exclusivity(unchecked) var ringingReported = false
    @exclusivity(unchecked) var dialReported = false
    @exclusivity(unchecked) var answerReported = false
    @exclusivity(unchecked) var hangupSuppressed = false
    /// A `BlindTransfer` arrived; the dial that follows is reported as the transfer.
    @exclusivity(unchecked) var pendingBlindTransferer: TrackedChannel?

    init(name: String, uniqueid: String, linkedid: String, state: Int, exten: String, accountCode: String,
         callerIDNum: String, callerIDName: String, connectedLineNum: String, connectedLineName: String) {
        self.name = name
        self.uniqueid = uniqueid
        self.linkedid = linkedid
        self.state = state
        self.exten = exten
        self.accountCode = accountCode
        self.callerIDNum = callerIDNum
        self.callerIDName = callerIDName
        self.connectedLineNum = connectedLineNum
        self.connectedLineName = connectedLineName
        self.isLocal = name.hasPrefix("Local/")
        self.isCalling = uniqueid == linkedid
    }

    /// The channel is gone: it leaves its bridge, its Local partner, its dialer and the channels it dials, and
    /// lets go of every channel it pointed at, so no reference cycle outlives it.
    func unlink() {
        bridge?.peers.removeAll { $0 === self }
        bridge = nil
        forwardLocal?.backwardLocal = nil
        backwardLocal?.forwardLocal = nil
        forwardLocal = nil
        backwardLocal = nil
        for target in dialing where target.dialedBy === self { target.dialedBy = nil }
        dialing.removeAll()
        dialedBy?.dialing.removeAll { $0 === self }
        dialedBy = nil
        pendingBlindTransferer = nil
    }

    /// How far the walks below follow dials, Local halves and bridges. A PBX's chains are a few hops long; a
    /// broken or hostile stream can make a loop (A dials B dials A), which must not hang the tracker.
    static let maximumHops = 32

    /// The channel on whose behalf this one rings: back through dials and Local halves to the origin.
    var dialingChannel: TrackedChannel {
        var current = self
        var hops = 0
        while var caller = current.dialedBy, hops < Self.maximumHops {
            if let back = caller.backwardLocal { caller = back }
            current = caller
            hops += 1
        }
        return current
    }

    /// Every real (non-Local) channel ringing on this channel's behalf, through Local halves.
    var dialedChannels: [TrackedChannel] {
        var result: [TrackedChannel] = []
        collectDialed(into: &result, hops: 0)
        return result
    }

    private func collectDialed(into result: inout [TrackedChannel], hops: Int) {
        guard hops < Self.maximumHops else { return }
        for target in dialing {
            if let next = target.forwardLocal {
                next.collectDialed(into: &result, hops: hops + 1)
            } else if !result.contains(where: { $0 === target }) {
                result.append(target)
            }
        }
    }

    /// The real channels that can hear this one: its bridge, and bridges reached through Local halves.
    var bridgePeers: [TrackedChannel] {
        var peers: [TrackedChannel] = []
        peers.reserveCapacity(4)
        collectBridgePeers(into: &peers, hops: 0)
        // Both Local halves, without an array of them (this runs for every channel entering a bridge).
        forwardLocal?.collectBridgePeers(into: &peers, hops: 1)
        backwardLocal?.collectBridgePeers(into: &peers, hops: 1)
        return peers
    }

    private func collectBridgePeers(into peers: inout [TrackedChannel], hops: Int) {
        guard let bridge, hops < Self.maximumHops else { return }
        func add(_ channel: TrackedChannel) { if !peers.contains(where: { $0 === channel }) { peers.append(channel) } }
        if !isLocal { add(self) }
        for peer in bridge.peers where peer !== self {
            if !peer.isLocal {
                add(peer)
            } else if let next = peer.forwardLocal {
                next.collectBridgePeers(into: &peers, hops: hops + 1)
            } else if let back = peer.backwardLocal {
                back.collectBridgePeers(into: &peers, hops: hops + 1)
            }
        }
    }

    var snapshot: ChannelSnapshot {
        ChannelSnapshot(name: name, uniqueid: uniqueid, linkedid: linkedid, state: state, exten: exten,
                        accountCode: accountCode, callerIDNum: callerIDNum, callerIDName: callerIDName,
                        connectedLineNum: connectedLineNum, connectedLineName: connectedLineName)
    }
}

/// An Asterisk bridge: the channels that hear each other.
final class Bridge {
    let uniqueid: String
    @exclusivity(unchecked) var peers: [TrackedChannel] = []
    init(uniqueid: String) { self.uniqueid = uniqueid }

    /// The bridge is gone: its members are in no bridge.
    func dissolve() {
        for peer in peers where peer.bridge === self { peer.bridge = nil }
        peers.removeAll()
    }
}
