import AsteriskAMI
import CRMCore
import Foundation

/// A call the agent started from the CRM, waiting for its record: the record names it by the `ChannelId`
/// the daemon preset in the Originate.
public struct ClickToDial: Sendable, Hashable {
    public var channelId: String
    public var userId: Int64
    public var contactId: Int64?
    public var number: String
    public var requestedAt: Date

    public init(channelId: String, userId: Int64, contactId: Int64?, number: String, requestedAt: Date) {
        self.channelId = channelId
        self.userId = userId
        self.contactId = contactId
        self.number = number
        self.requestedAt = requestedAt
    }
}

extension CapturedActivity {
    /// Files a finished call: one activity per call, keyed `pbx:<pbxId>:<call id>`, so a replay, a reconnect
    /// or a CDR import of the same call changes nothing. Nil for a call no agent of ours took part in.
    public init?(call: CallRecord, pbxId: String, clickToDial: ClickToDial? = nil) {
        let direction: Direction
        switch call.direction {
        case .inbound: direction = .inbound
        case .outbound: direction = .outbound
        case .internal: direction = .internal
        case .external: return nil
        }
        let owner: Agent? = clickToDial.map { .userId($0.userId) } ?? call.owner.map { .extension($0) }
        // Everyone else on the call: who placed it, who talked (transfer targets). Agents who only rang are in
        // the details, not owners: a ring-group colleague who did not pick up did not have the conversation.
        var others: [String] = []
        for agent in [call.placedBy].compactMap({ $0 }) + call.agents where agent != call.owner && !others.contains(agent) {
            others.append(agent)
        }
        var participants: [Participant] = []
        if let number = call.externalNumber { participants.append(.phone(number)) }
        if direction == .internal {
            // Both colleagues: capture recognises them and keeps the call as internal.
            participants = ([call.placedBy] + call.agents + call.rang).compactMap { $0 }.map { .phone($0) }
        }

        var details: [String: String] = [
            "pbx": pbxId,
            "callId": call.id,
            "outcome": call.outcome.rawValue,
            "ringSeconds": String(Int(call.ringTime.rounded())),
            "talkSeconds": String(Int(call.talkTime.rounded())),
            "hangupCause": String(call.hangupCause),
            "hangupReason": call.hangupReason.rawValue,
        ]
        if let number = call.externalNumber { details["number"] = number }
        if let name = call.externalName, !name.isEmpty { details["callerName"] = name }
        if let placedBy = call.placedBy { details["placedBy"] = placedBy }
        if let answeredBy = call.answeredBy { details["answeredBy"] = answeredBy }
        if !call.rang.isEmpty { details["rang"] = call.rang.joined(separator: ",") }
        if !call.agents.isEmpty { details["agents"] = call.agents.joined(separator: ",") }
        if let queue = call.queue { details["queue"] = queue }
        if let file = call.recordingFile { details["recording"] = file }
        if !call.transfers.isEmpty {
            details["transfers"] = call.transfers.map { "\($0.kind.rawValue) by \($0.by) to \($0.to.joined(separator: "+"))" }.joined(separator: "; ")
        }
        if let clickToDial { details["clickToDial"] = clickToDial.channelId }

        self.init(
            kind: .call,
            sourceKey: "pbx:\(pbxId):\(call.id)",
            occurredAt: call.startedAt,
            agent: owner,
            coAgents: others.map { .extension($0) },
            contactId: clickToDial?.contactId,
            direction: direction,
            participants: participants,
            subject: Self.subject(call, direction: direction),
            details: details
        )
    }

    /// What a person reads in the activity list: "Missed call from +49 30 1234567", "Call to +31 26 0010001".
    private static func subject(_ call: CallRecord, direction: Direction) -> String {
        let number = call.externalNumber ?? "unknown number"
        switch (direction, call.outcome) {
        case (.inbound, .answered): return "Call from \(number)"
        case (.inbound, .abandoned): return "Abandoned call from \(number)" + (call.queue.map { " in queue \($0)" } ?? "")
        case (.inbound, _): return "Missed call from \(number)"
        case (.outbound, .answered): return "Call to \(number)"
        case (.outbound, .busy): return "Call to \(number) (busy)"
        case (.outbound, .failed): return "Call to \(number) (failed)"
        case (.outbound, _): return "Call to \(number) (no answer)"
        case (.internal, _): return "Internal call" + (call.placedBy.map { " from \($0)" } ?? "")
        }
    }
}
