/// The events the call tracker reads, told apart by the bytes of their `Event` header: no `String` is made and
/// one switch on the length decides, where a `switch` over strings compared the name with every case in turn.
/// Names are exact (Asterisk writes them so, and the tracker always matched them case-sensitively).
enum TrackedEvent {
    case newchannel, newstate, newCallerid, newConnectedLine, newAccountCode, localBridge
    case dialBegin, dialEnd, hangup
    case bridgeCreate, bridgeEnter, bridgeLeave, bridgeDestroy
    case attendedTransfer, blindTransfer
    case userEvent, queueCallerJoin, queueCallerAbandon, varSet

    /// nil for every event the tracker ignores.
    init?(name: UnsafeRawBufferPointer) {
        func matches(_ candidate: StaticString) -> Bool {
            // The caller picked `candidate` by length: compare the bytes.
            let expected = UnsafeRawBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
            var index = 0
            while index < expected.count {
                if expected[index] != name[index] { return false }
                index += 1
            }
            return true
        }
        switch name.count {
        case 6:
            if matches("Hangup") { self = .hangup } else if matches("VarSet") { self = .varSet } else { return nil }
        case 7:
            guard matches("DialEnd") else { return nil }
            self = .dialEnd
        case 8:
            guard matches("Newstate") else { return nil }
            self = .newstate
        case 9:
            if matches("DialBegin") { self = .dialBegin } else if matches("UserEvent") { self = .userEvent } else { return nil }
        case 10:
            guard matches("Newchannel") else { return nil }
            self = .newchannel
        case 11:
            if matches("BridgeEnter") {
                self = .bridgeEnter
            } else if matches("BridgeLeave") {
                self = .bridgeLeave
            } else if matches("NewCallerid") {
                self = .newCallerid
            } else if matches("LocalBridge") {
                self = .localBridge
            } else {
                return nil
            }
        case 12:
            guard matches("BridgeCreate") else { return nil }
            self = .bridgeCreate
        case 13:
            if matches("BridgeDestroy") { self = .bridgeDestroy } else if matches("BlindTransfer") { self = .blindTransfer } else { return nil }
        case 14:
            guard matches("NewAccountCode") else { return nil }
            self = .newAccountCode
        case 15:
            guard matches("QueueCallerJoin") else { return nil }
            self = .queueCallerJoin
        case 16:
            if matches("NewConnectedLine") {
                self = .newConnectedLine
            } else if matches("AttendedTransfer") {
                self = .attendedTransfer
            } else {
                return nil
            }
        case 18:
            guard matches("QueueCallerAbandon") else { return nil }
            self = .queueCallerAbandon
        default:
            return nil
        }
    }
}
