import AsteriskAMI
import CRMCore
import Foundation

/// From AMI events to the activities capture files: the call tracker, the click-to-dial calls waiting for
/// their record, and the mapping of each finished call. A value without I/O; the daemon's PBX service keeps
/// one behind a lock, the socket-to-SQLite benchmark drives one directly.
public struct CallPipeline {
    public let pbxId: String
    private var tracker: CallTracker
    /// Click-to-dial calls waiting for their record, by the `ChannelId` preset in their Originate.
    private var dials: [String: ClickToDial] = [:]
    private var finished: [CallRecord] = []

    /// How long a click-to-dial waits for its record before it is forgotten (a longer call is still captured,
    /// only without the click-to-dial mark).
    public static let dialMemory: TimeInterval = 12 * 3_600

    public init(pbxId: String, directory: AgentDirectory) {
        self.pbxId = pbxId
        self.tracker = CallTracker(directory: directory)
        finished.reserveCapacity(4)
    }

    public var callsInProgress: Int { tracker.callsInProgress }
    public var directory: AgentDirectory { tracker.directory }

    public mutating func update(directory: AgentDirectory) {
        tracker.update(directory: directory)
    }

    /// One event; the calls it finished, ready to capture (usually none).
    public mutating func receive(_ event: AMIMessage, at time: Date) -> [CapturedActivity] {
        tracker.receive(event, at: time, finished: &finished)
        guard !finished.isEmpty else { return [] }
        defer { finished.removeAll(keepingCapacity: true) }
        return file(finished, now: time)
    }

    /// After a (re)login: the calls whose channels all ended while we were away.
    public mutating func reconcile(activeChannels: Set<String>, at time: Date) -> [CapturedActivity] {
        file(tracker.reconcile(activeChannels: activeChannels, at: time), now: time)
    }

    /// A click-to-dial call is on its way: its record will carry `dial.channelId`.
    public mutating func expect(_ dial: ClickToDial) {
        dials[dial.channelId] = dial
    }

    private mutating func file(_ calls: [CallRecord], now: Date) -> [CapturedActivity] {
        if !dials.isEmpty { dials = dials.filter { now.timeIntervalSince($0.value.requestedAt) < Self.dialMemory } }
        return calls.compactMap { call in
            var dial: ClickToDial?
            if !dials.isEmpty {
                for id in [call.id] + call.channelIDs where dial == nil { dial = dials.removeValue(forKey: id) }
            }
            return CapturedActivity(call: call, pbxId: pbxId, clickToDial: dial)
        }
    }
}
