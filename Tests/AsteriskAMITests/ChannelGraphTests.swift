@testable import AsteriskAMI
import Foundation
import NIOCore
import Testing

/// The channel graph's links are strong and undone by hand (see `TrackedChannel`): what hung up must be freed, and
/// nothing may outlive the tracker, or a PBX running for months leaks every call.
@Suite(.timeLimit(.minutes(1))) struct ChannelGraphTests {
    private final class WeakChannel {
        weak var channel: TrackedChannel?
        let uniqueid: String
        init(_ channel: TrackedChannel) {
            self.channel = channel
            uniqueid = channel.uniqueid
        }
    }

    /// `share`: how much of the recording is fed; half a recording leaves calls in progress for the tracker's end.
    @Test("Channels that hung up are freed; the rest go with the tracker", arguments: Recordings.all, [0.5, 1.0])
    func goneChannelsAreFreed(_ recording: Recordings.Recording, share: Double) throws {
        var seen: [WeakChannel] = []
        var stillTracked = 0
        do {
            let tracker = ChannelTracker()
            var signals: [CallSignal] = []
            var decoder = AMIDecoder()
            let bytes = recording.bytes
            var buffer = ByteBuffer(bytes: bytes.prefix(Int(Double(bytes.count) * share)))
            while let frame = try decoder.decode(buffer: &buffer) {
                guard case .message(let message) = frame, let kind = message.withValue("Event", TrackedEvent.init(name:)), let kind else { continue }
                tracker.handle(message, kind, into: &signals)
                if kind == .newchannel, let id = message["Uniqueid"], let channel = tracker.channels[id] { seen.append(WeakChannel(channel)) }
            }
            #expect(!seen.isEmpty)
            // A blind transfer keeps its transferer (who hung up) until the transfer's target rings or fails.
            let transferers = tracker.channels.values.compactMap(\.pendingBlindTransferer)
            for entry in seen where entry.channel != nil {
                // Alive only while the tracker still follows it.
                #expect(tracker.channels[entry.uniqueid] === entry.channel || transferers.contains { $0 === entry.channel },
                        "\(entry.uniqueid) hung up but was not freed")
                stillTracked += 1
            }
        }
        #expect(seen.allSatisfy { $0.channel == nil }, "\(stillTracked) channel(s) outlived their tracker")
    }
}
