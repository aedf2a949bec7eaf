import struct Foundation.Date
import struct Foundation.TimeInterval

/// One finished customer (or colleague) call: everything a CRM needs to file it.
public struct CallRecord: Sendable, Hashable, Codable {
    /// The call's id: the Linkedid Asterisk gave it when it began. It stays the id through transfers, even
    /// though Asterisk moves the channels to other Linkedids.
    public var id: String
    public var direction: CallDirection
    /// The customer's number (caller ID for inbound calls, the dialled number for outbound ones).
    public var externalNumber: String?
    public var externalName: String?
    /// The agent who placed the call (outbound and internal calls).
    public var placedBy: String?
    /// Every agent extension that rang, in order, once each.
    public var rang: [String]
    /// The first agent who answered (inbound and internal calls).
    public var answeredBy: String?
    /// Every agent who talked on the call, in order (the answerer, then transfer targets).
    public var agents: [String]
    public var outcome: CallOutcome
    public var hangupReason: HangupReason
    /// The Q.850 cause of the final hangup (16 normal clearing, 17 busy, 19 no answer …).
    public var hangupCause: Int
    public var queue: String?
    public var transfers: [CallTransfer]
    public var recordingFile: String?
    public var startedAt: Date
    public var answeredAt: Date?
    public var endedAt: Date
    /// Every channel Uniqueid of the call (a click-to-dial call is recognised by the ChannelId it preset).
    public var channelIDs: [String]

    public init(id: String, direction: CallDirection, externalNumber: String?, externalName: String?, placedBy: String?,
                rang: [String], answeredBy: String?, agents: [String], outcome: CallOutcome, hangupReason: HangupReason,
                hangupCause: Int, queue: String?, transfers: [CallTransfer], recordingFile: String?, startedAt: Date,
                answeredAt: Date?, endedAt: Date, channelIDs: [String]) {
        self.id = id
        self.direction = direction
        self.externalNumber = externalNumber
        self.externalName = externalName
        self.placedBy = placedBy
        self.rang = rang
        self.answeredBy = answeredBy
        self.agents = agents
        self.outcome = outcome
        self.hangupReason = hangupReason
        self.hangupCause = hangupCause
        self.queue = queue
        self.transfers = transfers
        self.recordingFile = recordingFile
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.channelIDs = channelIDs
    }

    /// From the first ring to the answer (or to the end, when nobody answered).
    public var ringTime: TimeInterval { (answeredAt ?? endedAt).timeIntervalSince(startedAt) }
    /// From the answer to the end.
    public var talkTime: TimeInterval { answeredAt.map { endedAt.timeIntervalSince($0) } ?? 0 }
    /// The agent the call belongs to: who answered it, else who placed it, else the first who rang.
    public var owner: String? { answeredBy ?? placedBy ?? rang.first }
}

public enum CallDirection: String, Sendable, Hashable, Codable {
    case inbound, outbound, `internal`
    /// Neither end is an agent we know (a trunk-to-trunk call); nothing to file.
    case external
}

public enum CallOutcome: String, Sendable, Hashable, Codable {
    /// Someone picked up.
    case answered
    /// Nobody picked up. A colleague of a ring group who did not answer while another did is not a miss.
    case missed
    /// The called side was busy or rejected the call.
    case busy
    /// The call could not be set up (congestion, unreachable, unknown number).
    case failed
    /// The caller gave up while waiting in a queue.
    case abandoned
}

/// A hand-over of the call from one party to another.
public struct CallTransfer: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The transferer talked to the target first.
        case attended
        /// The transferer sent the caller to an extension without talking to it.
        case blind
        /// An attended transfer completed while the target was still ringing.
        case blonde
    }
    public var kind: Kind
    /// Agent extension (or number) that made the transfer.
    public var by: String
    /// Agent extensions (or numbers) the call was sent to.
    public var to: [String]
}
