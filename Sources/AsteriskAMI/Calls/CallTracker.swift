import struct Foundation.Date

/// Turns the AMI event stream of one PBX into finished call records. A state machine without I/O: feed it
/// every event in order with the time it arrived, and it hands back the calls that just ended.
///
/// Events it cannot place (about channels that began before we connected) are counted, never fatal. Asterisk
/// does not resend what happened while we were away: after a reconnect, `reconcile(activeChannels:at:)` with
/// what `CoreShowChannels` reports; `reset()` only when the PBX itself restarted.
public struct CallTracker {
    public private(set) var directory: AgentDirectory
    private let channels = ChannelTracker()
    private var assembler: CallAssembler
    /// What the last event said about calls (tests compare these with cacofonisk's callbacks).
    private(set) var signals: [CallSignal] = []

    public init(directory: AgentDirectory) {
        self.directory = directory
        self.assembler = CallAssembler(directory: directory)
        signals.reserveCapacity(8)
    }

    /// Calls currently being tracked.
    public var callsInProgress: Int { assembler.callsInProgress }
    /// Events that named a channel or bridge the tracker never saw.
    public var unplacedEvents: Int { channels.unknownReferences }

    /// Agents joined or left the team: calls from now on are told inbound, outbound or internal by `directory`.
    public mutating func update(directory: AgentDirectory) {
        self.directory = directory
        assembler.directory = directory
    }

    public mutating func reset() {
        channels.reset()
        assembler.reset()
    }

    /// After a (re)login, `CoreShowChannels` lists the channels in progress: calls whose channels are all gone
    /// ended while we were disconnected and are finished now (hangup cause unknown), exactly once.
    public mutating func reconcile(activeChannels: Set<String>, at time: Date) -> [CallRecord] {
        var finished: [CallRecord] = []
        signals.removeAll(keepingCapacity: true)
        channels.reconcile(activeChannels: activeChannels, into: &signals)
        for signal in signals { assembler.apply(signal, at: time, finished: &finished) }
        assembler.finishOrphans(liveChannels: Set(channels.channels.keys), at: time, finished: &finished)
        return finished
    }

    /// Feeds one event; returns the calls it finished (usually none).
    public mutating func receive(_ event: AMIMessage, at time: Date) -> [CallRecord] {
        var finished: [CallRecord] = []
        receive(event, at: time, finished: &finished)
        return finished
    }

    /// Feeds one event, appending the calls it finished to `finished` (no allocation when none did).
    public mutating func receive(_ event: AMIMessage, at time: Date, finished: inout [CallRecord]) {
        // The event's name is read from its bytes once; events the tracker does not follow end here.
        guard let kind = event.withValue("Event", TrackedEvent.init(name:)), let kind else { return }
        var hungUp: String?
        switch kind {
        case .queueCallerJoin:
            if let uniqueid = event["Uniqueid"], let queue = event["Queue"] { assembler.queueJoined(uniqueid: uniqueid, queue: queue) }
        case .varSet:
            if event["Variable"] == "MIXMONITOR_FILENAME", let uniqueid = event["Uniqueid"], let file = event["Value"] {
                assembler.recordingStarted(uniqueid: uniqueid, linkedid: event["Linkedid"], file: file)
            }
        case .hangup:
            // The id as the tracker stored it (no new string), else as the event spells it.
            hungUp = event.withValue("Uniqueid") { channels.channels[id: $0]?.uniqueid ?? String(decoding: $0, as: UTF8.self) }
        default:
            break
        }
        signals.removeAll(keepingCapacity: true)
        channels.handle(event, kind, into: &signals)
        for signal in signals { assembler.apply(signal, at: time, finished: &finished) }
        if let hungUp {
            let live = channels.channels
            assembler.channelHungUp(hungUp, isLive: { live[$0] != nil }, at: time, finished: &finished)
        }
    }
}
