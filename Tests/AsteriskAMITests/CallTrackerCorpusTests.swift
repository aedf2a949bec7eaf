@testable import AsteriskAMI
import AMITestSupport
import Foundation
import NIOCore
import Testing

/// cacofonisk's recordings and what cacofonisk reported for each (`*.expected.json`, its callbacks in order).
enum Recordings {
    struct Recording: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
        var streamURL: URL { Corpus.root.appendingPathComponent("cacofonisk/replay/\(name).ami") }
        var bytes: [UInt8] { [UInt8](FileManager.default.contents(atPath: streamURL.path) ?? Data()) }

        /// cacofonisk's callbacks, reduced to what a call record is made of: who, whom, how it ended.
        var expected: [String] {
            let url = Corpus.root.appendingPathComponent("cacofonisk/replay/\(name).expected.json")
            guard let data = FileManager.default.contents(atPath: url.path),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let callbacks = root["callbacks"] as? [[Any]] else { return ["unreadable \(url.lastPathComponent)"] }
            return callbacks.map { entry in
                let name = entry[0] as! String
                let args = entry[1] as! [String: Any]
                func id(_ key: String) -> String { ((args[key] as? [String: Any])?["uniqueid"] as? String) ?? "?" }
                func exten(_ key: String) -> String { ((args[key] as? [String: Any])?["exten"] as? String) ?? "?" }
                func ids(_ key: String) -> String {
                    let list = (args[key] as? [[String: Any]]) ?? []
                    return list.map { $0["uniqueid"] as! String }.sorted().joined(separator: ",")
                }
                switch name {
                case "on_b_dial": return "ringing \(id("caller"))@\(exten("caller")) -> \(ids("targets"))"
                case "on_b_dial_end": return "ringingEnded \(id("caller")) -> \(ids("targets")) \(args["reason"]!)"
                case "on_up": return "answered \(id("caller")) -> \(id("target"))"
                case "on_attended_transfer":
                    return "attended \(id("caller"))@\(exten("caller")) by \(id("transferer")) -> \(id("target"))"
                case "on_blind_transfer":
                    return "blind \(id("caller"))@\(exten("caller")) by \(id("transferer")) -> \(ids("targets"))"
                case "on_blonde_transfer":
                    return "blonde \(id("caller"))@\(exten("caller")) by \(id("transferer")) -> \(ids("targets"))"
                case "on_queue_caller_abandon": return "abandoned \(id("caller"))"
                case "on_user_event":
                    return "userEvent \(id("caller")) \((args["event"] as? [String: Any])?["UserEvent"] as? String ?? "")"
                case "on_hangup": return "hangup \(id("caller"))@\(exten("caller")) \(args["reason"]!)"
                default: return "unknown callback \(name)"
                }
            }
        }
    }

    static let all: [Recording] = {
        let root = Corpus.root.appendingPathComponent("cacofonisk/replay")
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String]) ?? []
        return files.filter { $0.hasSuffix(".ami") }.sorted().map { Recording(name: String($0.dropLast(4))) }
    }()

    /// The team of the recordings: VoIPGRID accounts `SIP/1500100NN` are the phones of extensions `20N`.
    static let directory = AgentDirectory(devices: [
        "SIP/150010001": "201", "SIP/150010002": "202", "SIP/150010003": "203",
        "SIP/100060001": "201", "SIP/100060002": "202",
    ])
}

extension CallSignal {
    /// The same reduction as `Recordings.Recording.expected`.
    var summary: String {
        func ids(_ list: [ChannelSnapshot]) -> String { list.map(\.uniqueid).sorted().joined(separator: ",") }
        switch self {
        case .ringing(let caller, let targets): return "ringing \(caller.uniqueid)@\(caller.exten) -> \(ids(targets))"
        case .ringingEnded(let caller, let target, let status): return "ringingEnded \(caller.uniqueid) -> \(target.uniqueid) \(status)"
        case .answered(let caller, let target): return "answered \(caller.uniqueid) -> \(target.uniqueid)"
        case .attendedTransfer(let caller, let transferer, let target):
            return "attended \(caller.uniqueid)@\(caller.exten) by \(transferer.uniqueid) -> \(target.uniqueid)"
        case .blindTransfer(let caller, let transferer, let targets):
            return "blind \(caller.uniqueid)@\(caller.exten) by \(transferer.uniqueid) -> \(ids(targets))"
        case .blondeTransfer(let caller, let transferer, let targets):
            return "blonde \(caller.uniqueid)@\(caller.exten) by \(transferer.uniqueid) -> \(ids(targets))"
        case .queueAbandoned(let caller, _): return "abandoned \(caller.uniqueid)"
        case .userEvent(let channel, let name): return "userEvent \(channel.uniqueid) \(name)"
        case .hungUp(let caller, let reason, _): return "hangup \(caller.uniqueid)@\(caller.exten) \(reason.rawValue)"
        }
    }
}

/// Runs a byte stream through the decoder and the tracker, in chunks of the given sizes.
struct TrackedStream {
    var signals: [String] = []
    var records: [CallRecord] = []
    var tracker: CallTracker

    init(_ bytes: [UInt8], directory: AgentDirectory = Recordings.directory, chunks: (Int) -> Int = { $0 }) throws {
        tracker = CallTracker(directory: directory)
        var decoder = AMIDecoder()
        var buffer = ByteBuffer()
        var offset = 0
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var eventNumber = 0
        func take(_ frame: AMIFrame) {
            guard case .message(let message) = frame else { return }
            eventNumber += 1
            // One second per event: ring and talk times are then counts of events, easy to reason about.
            tracker.receive(message, at: start.addingTimeInterval(Double(eventNumber)), finished: &records)
            signals += tracker.signals.map(\.summary)
        }
        while offset < bytes.count {
            let size = max(1, min(chunks(bytes.count - offset), bytes.count - offset))
            buffer.writeBytes(bytes[offset..<offset + size])
            offset += size
            while let frame = try decoder.decode(buffer: &buffer) { take(frame) }
        }
        while let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: true) { take(frame) }
    }
}

@Suite struct CallTrackerCorpusTests {
    @Test func everyRecordingIsThere() {
        #expect(Recordings.all.count == 51)
    }

    @Test("The tracker says what cacofonisk said about every recording", arguments: Recordings.all)
    func agreesWithCacofonisk(recording: Recordings.Recording) throws {
        let stream = try TrackedStream(recording.bytes)
        let expected = recording.expected
        // Two recordings are Originates the PBX refused: cacofonisk reported nothing for them.
        #expect(expected.isEmpty == ["originate/cmn-world-world-unaccepted", "originate/ctd-account-world-deny-a"].contains(recording.name))
        #expect(stream.signals == expected)
        #expect(stream.tracker.callsInProgress == 0)
    }
}

/// What a CRM user should see for the recordings: one line per call.
@Suite struct CallRecordTests {
    static func line(_ r: CallRecord) -> String {
        let transfers = r.transfers.map { "\($0.kind.rawValue) by \($0.by) to \($0.to.joined(separator: "+"))" }
        return "\(r.direction.rawValue) \(r.externalNumber ?? "-") placed:\(r.placedBy ?? "-") rang:\(r.rang.joined(separator: "+")) "
            + "answered:\(r.answeredBy ?? "-") agents:\(r.agents.joined(separator: "+")) \(r.outcome.rawValue)"
            + (transfers.isEmpty ? "" : " [\(transfers.joined(separator: "; "))]") + (r.queue.map { " queue:\($0)" } ?? "")
    }

    static let expectations: [(String, [String])] = [
        ("simple/ab_success_a_hangup", ["internal - placed:201 rang:202 answered:202 agents:201+202 answered"]),
        ("simple/ab_a_cancel", ["internal - placed:201 rang:202 answered:- agents:201 missed"]),
        ("simple/ab_reject", ["internal - placed:201 rang:202 answered:- agents:201 busy"]),
        ("simple/ab_dnd", ["internal - placed:201 rang: answered:- agents:201 busy"]),
        // A ring group where one colleague answers: answered, not missed for the other.
        ("simple/ab_callgroup", ["internal - placed:201 rang:202+203 answered:202 agents:201+202 answered"]),
        ("queue/queue_group", ["inbound +31150010001 placed:- rang:203+202 answered:202 agents:202 answered"]),
        ("queue/queue_a_cancel", ["inbound +31150010001 placed:- rang:202 answered:- agents: abandoned queue:670100-540100"]),
        ("originate/ctd-account-world", ["outbound +31260010001 placed:201 rang: answered:- agents:201 answered"]),
        ("originate/ctd-account-world-deny-b", ["outbound +31260010001 placed:201 rang: answered:- agents:201 busy"]),
        // The customer's call survives an attended transfer as one call, with its consultation folded in.
        ("xfer_attended/xfer_abbcac_anon", ["inbound +31260xxxxxx placed:- rang:201+203 answered:201 agents:201+203 answered [attended by 201 to 203]"]),
        ("queue/queue_attn_xfer", ["inbound +31260010001 placed:- rang:201+202 answered:201 agents:201+202 answered [attended by 201 to 202]"]),
        ("queue/queue_blind_xfer", ["inbound +31260010001 placed:- rang:201+202 answered:201 agents:201+202 answered [blind by 201 to 202]"]),
        ("xfer_blind/xfer_blind_group", ["inbound +31260010001 placed:- rang:201+203+202 answered:201 agents:201+203 answered [blind by 201 to 203+202]"]),
        ("xfer_blonde/xfer_blonde_abbcac", ["inbound +31260010001 placed:- rang:201+202 answered:201 agents:201+202 answered [blonde by 201 to 202]"]),
        ("originate/ctd-account-world-xfer-attn-abacbc", ["outbound +31260010001 placed:201 rang:203 answered:- agents:201+203 answered [attended by 201 to 203]"]),
        ("xfer_misc/sip_pickup", ["internal - placed:201 rang:202 answered:203 agents:201+203 answered"]),
        ("xfer_misc/call_forwarding_to_group", ["inbound +31260010001 placed:- rang:202+203 answered:203 agents:203 answered"]),
        // Two tenants of one PBX: our inbound call, and the other tenant's outbound leg that is none of our business.
        ("simple/ab_success_twoclients", ["inbound +31260010001 placed:- rang:201 answered:201 agents:201 answered",
                                          "external +31260010001 placed:- rang: answered:- agents: answered"]),
    ]

    @Test("Each recording gives the calls a user expects", arguments: expectations.map(\.0))
    func records(name: String) throws {
        let expected = Self.expectations.first { $0.0 == name }!.1
        let stream = try TrackedStream(Recordings.Recording(name: name).bytes)
        #expect(stream.records.map(Self.line) == expected)
    }

    @Test func ringAndTalkTimeComeFromTheEventTimes() throws {
        // One second per event in TrackedStream: ab_success_a_hangup rings for 13 events and talks for 11.
        let record = try #require(TrackedStream(Recordings.Recording(name: "simple/ab_success_a_hangup").bytes).records.first)
        #expect(record.ringTime == 13)
        #expect(record.talkTime == 11)
        #expect(record.hangupCause == 16)
        #expect(record.owner == "202")
    }

    @Test("Split into random chunks or byte by byte, a recording gives the same calls", arguments: Recordings.all)
    func chunkingDoesNotChangeCalls(recording: Recordings.Recording) throws {
        let bytes = recording.bytes
        let whole = try TrackedStream(bytes)
        var generator = SystemRandomNumberGenerator()
        let random = try TrackedStream(bytes, chunks: { _ in Int.random(in: 1...700, using: &generator) })
        let byteByByte = try TrackedStream(bytes, chunks: { _ in 1 })
        #expect(random.signals == whole.signals)
        #expect(random.records == whole.records)
        #expect(byteByByte.records == whole.records)
    }
}
