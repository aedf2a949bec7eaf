@testable import AsteriskAMI
import Foundation
import NIOCore
import Testing

/// Builds an AMI byte stream from events written out by hand, in Asterisk's wire format.
func amiStream(_ events: [KeyValuePairs<String, String>]) -> [UInt8] {
    var text = ""
    for event in events {
        for (name, value) in event { text += "\(name): \(value)\r\n" }
        text += "\r\n"
    }
    return Array(text.utf8)
}

/// A recording's events with extra ones inserted after the first event that satisfies `after`.
func recording(_ name: String, inserting extra: [KeyValuePairs<String, String>],
               after: (AMIMessage) -> Bool) throws -> [UInt8] {
    var decoder = AMIDecoder()
    var buffer = ByteBuffer(bytes: Recordings.Recording(name: name).bytes)
    var out: [UInt8] = []
    var inserted = false
    while let frame = try decoder.decode(buffer: &buffer) {
        guard case .message(let message) = frame else { continue }
        var text = ""
        for header in message.headers { text += "\(header.name): \(header.value)\r\n" }
        out += Array((text + "\r\n").utf8)
        if !inserted, after(message) {
            out += amiStream(extra)
            inserted = true
        }
    }
    return out
}

@Suite(.timeLimit(.minutes(1))) struct CallTrackerEdgeTests {
    @Test("A call that cannot be set up is failed, not busy or missed", arguments: [
        ("CHANUNAVAIL", "20", "Subscriber absent"), ("CONGESTION", "34", "Circuit/channel congestion"),
    ])
    func unreachableCalleeIsAFailedCall(dialStatus: String, cause: String, text: String) throws {
        // ab_dnd is 202 refusing 201 (BUSY, cause 17). The same call to a phone that is not registered, or
        // through a congested route, is what Asterisk reports with these statuses and causes instead.
        let recorded = String(decoding: Recordings.Recording(name: "simple/ab_dnd").bytes, as: UTF8.self)
        let unreachable = recorded.replacingOccurrences(of: "DialStatus: BUSY", with: "DialStatus: \(dialStatus)")
            .replacingOccurrences(of: "Cause: 17", with: "Cause: \(cause)")
            .replacingOccurrences(of: "Cause-txt: User busy", with: "Cause-txt: \(text)")
        #expect(unreachable != recorded)
        let records = try TrackedStream(Array(unreachable.utf8)).records
        #expect(records.map(CallRecordTests.line) == ["internal - placed:201 rang: answered:- agents:201 failed"])
        #expect(records.first?.hangupCause == Int(cause) && records.first?.hangupReason == .failed)
    }

    @Test func aQueueNameAndARecordingFileReachTheRecord() throws {
        let caller = "195176c06ab8-1529939196.518"
        let bytes = try recording("queue/queue_simple", inserting: [
            ["Event": "QueueCallerJoin", "Privilege": "agent,all", "Channel": "SIP/voipgrid-siproute-docker-00000025",
             "Uniqueid": caller, "Linkedid": caller, "Queue": "sales", "Position": "1", "Count": "1"],
            ["Event": "VarSet", "Privilege": "dialplan,all", "Channel": "SIP/voipgrid-siproute-docker-00000025",
             "Uniqueid": caller, "Linkedid": caller, "Variable": "MIXMONITOR_FILENAME",
             "Value": "/var/spool/asterisk/monitor/2018-06-26/in-sales-518.wav"],
        ], after: { $0["Event"] == "Newchannel" && $0["Uniqueid"] == caller })
        let record = try #require(TrackedStream(bytes).records.first)
        #expect(record.queue == "sales")
        #expect(record.recordingFile == "/var/spool/asterisk/monitor/2018-06-26/in-sales-518.wav")
        #expect(record.answeredBy == "202")
    }

    @Test func theAgentWhoTakesOverAnAttendedTransferIsOnTheCall() throws {
        // 202 calls 201; 203 calls 201 too; 201 joins 203 to 202. All three talked on the one call.
        let records = try TrackedStream(Recordings.Recording(name: "xfer_attended/xfer_abcbac").bytes).records
        #expect(records.map(CallRecordTests.line)
                == ["internal - placed:202 rang:201 answered:201 agents:202+201+203 answered [attended by 201 to 202]"])
    }

    @Test func aTrunkCallerPresentingAnAgentsExtensionIsStillACustomer() {
        let directory = AgentDirectory(extensions: ["201"], devices: ["SIP/150010002": "202"])
        let spoofed = ChannelSnapshot(name: "SIP/trunk-0000002c", uniqueid: "1.1", linkedid: "1.1", state: 4, exten: "202",
                                      accountCode: "", callerIDNum: "201", callerIDName: "Not Alice",
                                      connectedLineNum: "", connectedLineName: "")
        #expect(directory.agent(of: spoofed) == nil)
        var phone = spoofed
        phone.name = "PJSIP/201-0000002d"
        #expect(directory.agent(of: phone) == "201")
        phone.name = "SIP/150010002-0000002e"
        #expect(directory.agent(of: phone) == "202")
    }

    /// Two calls placed from inside one linked call share a Linkedid; they must not share a source key.
    @Test func twoCallsWithOneLinkedidGetTwoIDs() throws {
        func call(_ caller: String, _ target: String, _ device: String) -> [KeyValuePairs<String, String>] {
            // Asterisk's channel sequence: 8 hex digits.
            func sequence(_ id: String) -> String { "0000" + id.replacingOccurrences(of: ".", with: "00") }
            return [["Event": "Newchannel", "Channel": "PJSIP/\(device)-\(sequence(caller))", "ChannelState": "0", "CallerIDNum": device,
              "Exten": "+3120555\(caller)", "Uniqueid": caller, "Linkedid": "L"],
             ["Event": "Newchannel", "Channel": "PJSIP/trunk-\(sequence(target))", "ChannelState": "0", "CallerIDNum": "",
              "Exten": "s", "Uniqueid": target, "Linkedid": "L"],
             ["Event": "DialBegin", "Uniqueid": caller, "DestUniqueid": target],
             ["Event": "Newstate", "Uniqueid": target, "ChannelState": "5"]]
        }
        let bytes = amiStream(call("1.1", "1.2", "201") + call("1.3", "1.4", "202") + [
            ["Event": "DialEnd", "Uniqueid": "1.1", "DestUniqueid": "1.2", "DialStatus": "NOANSWER"],
            ["Event": "Hangup", "Uniqueid": "1.2", "Cause": "19"],
            ["Event": "Hangup", "Uniqueid": "1.1", "Cause": "19"],
            ["Event": "DialEnd", "Uniqueid": "1.3", "DestUniqueid": "1.4", "DialStatus": "NOANSWER"],
            ["Event": "Hangup", "Uniqueid": "1.4", "Cause": "19"],
            ["Event": "Hangup", "Uniqueid": "1.3", "Cause": "19"],
        ])
        let directory = AgentDirectory(extensions: ["201", "202"])
        let records = try TrackedStream(bytes, directory: directory).records
        #expect(records.map(\.placedBy) == ["201", "202"])
        #expect(records.map(\.id) == ["L", "1.3"])
        #expect(records.allSatisfy { $0.direction == .outbound && $0.outcome == .missed })
    }

    @Test func loopsInAHostileStreamDoNotHangTheTracker() throws {
        let bytes = amiStream([
            ["Event": "Newchannel", "Channel": "SIP/a-1", "ChannelState": "0", "Uniqueid": "a", "Linkedid": "a"],
            ["Event": "Newchannel", "Channel": "SIP/b-2", "ChannelState": "0", "Uniqueid": "b", "Linkedid": "b"],
            ["Event": "Newchannel", "Channel": "Local/x@ctx-1;1", "ChannelState": "0", "Uniqueid": "l", "Linkedid": "a"],
            // A dials B, B dials A; a Local half bridged to itself; both sides in one bridge.
            ["Event": "DialBegin", "Uniqueid": "a", "DestUniqueid": "b"],
            ["Event": "DialBegin", "Uniqueid": "b", "DestUniqueid": "a"],
            ["Event": "LocalBridge", "LocalOneUniqueid": "l", "LocalTwoUniqueid": "l"],
            ["Event": "DialBegin", "Uniqueid": "a", "DestUniqueid": "l"],
            ["Event": "Newstate", "Uniqueid": "b", "ChannelState": "5"],
            ["Event": "BridgeCreate", "BridgeUniqueid": "br"],
            ["Event": "BridgeEnter", "BridgeUniqueid": "br", "Uniqueid": "l"],
            ["Event": "BridgeEnter", "BridgeUniqueid": "br", "Uniqueid": "a"],
            ["Event": "BridgeEnter", "BridgeUniqueid": "br", "Uniqueid": "b"],
            ["Event": "Hangup", "Uniqueid": "a", "Cause": "16"],
            ["Event": "Hangup", "Uniqueid": "b", "Cause": "16"],
            ["Event": "Hangup", "Uniqueid": "l", "Cause": "16"],
        ])
        let stream = try TrackedStream(bytes)
        #expect(stream.tracker.callsInProgress == 0)
    }

    /// Found by the random test below: a blonde transfer opens a call for 4 (with 3), then 2 rings 4, which
    /// moves 4 to 2's call. The first call must end with its last own channel, 3, not wait for 4 forever.
    @Test func aChannelThatMovesToAnotherCallDoesNotLeaveItsFirstCallOpen() throws {
        let bytes = amiStream([
            ["Event": "Newchannel", "Channel": "SIP/201-2", "Uniqueid": "2"],
            ["Event": "Newchannel", "Channel": "SIP/201-2", "Uniqueid": "3"],
            ["Event": "Newchannel", "Channel": "SIP/201-3", "Uniqueid": "4", "ChannelState": "5"],
            ["Event": "AttendedTransfer", "OrigTransfererUniqueid": "2", "SecondTransfererUniqueid": "3", "TransfereeUniqueid": "4",
             "DestType": "App", "DestApp": "Dial"],
            ["Event": "DialBegin", "Uniqueid": "2", "DestUniqueid": "4"],
            ["Event": "Hangup", "Uniqueid": "2", "Cause": "16"],
            ["Event": "Hangup", "Uniqueid": "3", "Cause": "16"],
            ["Event": "Hangup", "Uniqueid": "4", "Cause": "16"],
        ])
        let stream = try TrackedStream(bytes, directory: AgentDirectory(extensions: ["201"]))
        #expect(stream.tracker.callsInProgress == 0)
        #expect(stream.records.count == 2)
    }

    /// Random events over a handful of ids, in any order, with missing and nonsense headers: the tracker
    /// always finishes, and once every channel has hung up no call is left open.
    @Test func randomEventsNeverHangOrLeaveACallOpen() throws {
        let names = ["Newchannel", "Newstate", "DialBegin", "DialEnd", "LocalBridge", "BridgeCreate", "BridgeEnter",
                     "BridgeLeave", "BridgeDestroy", "AttendedTransfer", "BlindTransfer", "QueueCallerAbandon",
                     "QueueCallerJoin", "VarSet", "UserEvent", "Hangup"]
        let ids = ["1", "2", "3", "4", "5"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var events: [KeyValuePairs<String, String>] = []
            for _ in 0..<60 {
                let name = names.randomElement(using: &generator)!
                let pick = { ids.randomElement(using: &generator)! }
                let channel = Bool.random(using: &generator) ? "SIP/201-\(pick())" : "Local/x@y-1;\(Int.random(in: 1...2, using: &generator))"
                events.append(["Event": name, "Channel": channel, "Uniqueid": pick(), "Linkedid": pick(),
                               "DestUniqueid": pick(), "LocalOneUniqueid": pick(), "LocalTwoUniqueid": pick(),
                               "BridgeUniqueid": pick(), "ChannelState": ["0", "4", "5", "6", "x"].randomElement(using: &generator)!,
                               "OrigTransfererUniqueid": pick(), "SecondTransfererUniqueid": pick(),
                               "TransfereeUniqueid": pick(), "TransferTargetUniqueid": pick(), "TransfererUniqueid": pick(),
                               "DestType": ["Bridge", "App"].randomElement(using: &generator)!, "DestApp": "Dial",
                               "DestBridgeUniqueid": pick(), "Cause": "16", "DialStatus": "ANSWER", "Queue": "q",
                               "Variable": "MIXMONITOR_FILENAME", "Value": "f.wav"])
            }
            for id in ids { events.append(["Event": "Hangup", "Uniqueid": id, "Cause": "16"]) }
            let stream = try TrackedStream(amiStream(events))
            #expect(stream.tracker.callsInProgress == 0)
        }
    }
}
