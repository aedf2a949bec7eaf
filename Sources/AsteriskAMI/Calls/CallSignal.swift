/// A channel as it was when something happened to it.
public struct ChannelSnapshot: Sendable, Hashable {
    public var name: String
    public var uniqueid: String
    public var linkedid: String
    /// Asterisk's channel state: 4 ring (caller hears ringback), 5 ringing, 6 up.
    public var state: Int
    /// The extension the channel dialled (for a caller) or `s` (for a channel being rung).
    public var exten: String
    public var accountCode: String
    public var callerIDNum: String
    public var callerIDName: String
    public var connectedLineNum: String
    public var connectedLineName: String

    /// The device part of the name: `SIP/150010001` of `SIP/150010001-0000002c`, `PJSIP/201` of `PJSIP/201-00000a1b`.
    public var device: Substring { AgentDirectory.device(ofChannel: name) }
}

/// What happened to a call, in the words of the people on it. The tracker emits these in event order; they
/// follow the callbacks of cacofonisk (the proven Python tracker whose recordings our tests replay).
public enum CallSignal: Sendable, Hashable {
    /// `targets` start ringing for `caller`.
    case ringing(caller: ChannelSnapshot, targets: [ChannelSnapshot])
    /// A target stops ringing: `answer`, `busy`, `noanswer`, `cancel`, `congestion`, `chanunavail`.
    case ringingEnded(caller: ChannelSnapshot, target: ChannelSnapshot, dialStatus: String)
    /// `caller` and `target` are talking.
    case answered(caller: ChannelSnapshot, target: ChannelSnapshot)
    /// `transferer` joined `caller` to `target`, after talking to `target` first.
    case attendedTransfer(caller: ChannelSnapshot, transferer: ChannelSnapshot, target: ChannelSnapshot)
    /// `transferer` sent `caller` to an extension that now rings `targets`.
    case blindTransfer(caller: ChannelSnapshot, transferer: ChannelSnapshot, targets: [ChannelSnapshot])
    /// `transferer` completed an attended transfer while `targets` were still ringing.
    case blondeTransfer(caller: ChannelSnapshot, transferer: ChannelSnapshot, targets: [ChannelSnapshot])
    /// The caller hung up while waiting in a queue.
    case queueAbandoned(caller: ChannelSnapshot, queue: String?)
    /// A dialplan `UserEvent` on a channel.
    case userEvent(channel: ChannelSnapshot, name: String)
    /// The call is over for `caller`.
    case hungUp(caller: ChannelSnapshot, reason: HangupReason, cause: Int)
}

/// How a call ended, from the Q.850 cause Asterisk reports and whether the caller's channel was up.
public enum HangupReason: String, Sendable, Hashable, Codable {
    case completed
    case noAnswer = "no-answer"
    case busy
    case answeredElsewhere = "answered-elsewhere"
    case rejected
    case cancelled
    case failed

    init(cause: Int, callerWasUp: Bool) {
        switch cause {
        case 16: self = callerWasUp ? .completed : .noAnswer            // normal clearing
        case 17: self = .busy                                            // user busy
        case 18, 19: self = .noAnswer                                    // no user response, no answer
        case 26: self = .answeredElsewhere
        case 21: self = .rejected
        case 0, 127: self = callerWasUp ? .completed : .cancelled        // unknown / interworking: Asterisk left it unset
        default: self = .failed
        }
    }
}
