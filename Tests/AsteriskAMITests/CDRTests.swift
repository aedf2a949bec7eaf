import AsteriskAMI
import Foundation
import Testing

/// Asterisk's CDR CSV, written by hand in `cdr_csv`'s format (the corpus has no CDRs): strings quoted,
/// numbers bare, `newcdrcolumns = yes` adding peeraccount, linkedid and sequence.
@Suite struct CDRTests {
    static let directory = AgentDirectory(extensions: ["201", "202"], devices: ["SIP/150010003": "203"])
    static let utc = TimeZone(identifier: "UTC")!

    /// accountcode … amaflags, uniqueid, userfield, peeraccount, linkedid, sequence.
    static func line(src: String, dst: String, clid: String = "", channel: String, dstChannel: String, app: String = "Dial",
                     start: String, answer: String = "", end: String, disposition: String, uniqueid: String, linkedid: String, sequence: Int) -> String {
        let duration = 30, billsec = answer.isEmpty ? 0 : 20
        let quoted = ["", src, dst, "from-trunk", clid, channel, dstChannel, app, "\(dstChannel),30"].map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }
        return (quoted + ["\"\(start)\"", "\"\(answer)\"", "\"\(end)\"", "\(duration)", "\(billsec)", "\"\(disposition)\"", "\"DOCUMENTATION\"",
                          "\"\(uniqueid)\"", "\"\"", "\"\"", "\"\(linkedid)\"", "\(sequence)"]).joined(separator: ",")
    }

    static let masterCSV = [
        // Jan rings the ring group 201+202; 202 picks up, 201's leg is not a missed call.
        line(src: "+31260010001", dst: "600", clid: "\"Jan \"the customer\" de Vries\" <+31260010001>", channel: "SIP/trunk-0000000a",
             dstChannel: "PJSIP/201-0000000b", start: "2025-11-23 09:00:00", end: "2025-11-23 09:00:10", disposition: "NO ANSWER",
             uniqueid: "1763888400.10", linkedid: "1763888400.10", sequence: 1),
        line(src: "+31260010001", dst: "600", clid: "\"Jan \"the customer\" de Vries\" <+31260010001>", channel: "SIP/trunk-0000000a",
             dstChannel: "PJSIP/202-0000000c", start: "2025-11-23 09:00:00", answer: "2025-11-23 09:00:08", end: "2025-11-23 09:03:00",
             disposition: "ANSWERED", uniqueid: "1763888400.10", linkedid: "1763888400.10", sequence: 2),
        // Alice (a desk phone named otherwise: SIP/150010003 is 203) calls a customer who is busy.
        line(src: "203", dst: "+4930123456", channel: "SIP/150010003-00000010", dstChannel: "SIP/trunk-00000011",
             start: "2025-11-23 10:00:00", end: "2025-11-23 10:00:05", disposition: "BUSY", uniqueid: "1763892000.20", linkedid: "1763892000.20", sequence: 3),
        "\"broken\",\"line", // an unterminated quote
        "\"too\",\"few\",\"columns\"",
        // 201 calls 202, answered.
        line(src: "201", dst: "202", channel: "PJSIP/201-00000012", dstChannel: "PJSIP/202-00000013", start: "2025-11-23 11:00:00",
             answer: "2025-11-23 11:00:03", end: "2025-11-23 11:01:00", disposition: "ANSWERED", uniqueid: "1763895600.30", linkedid: "1763895600.30", sequence: 4),
        // A stranger's call nobody answers.
        line(src: "+31612345678", dst: "600", channel: "SIP/trunk-00000014", dstChannel: "PJSIP/201-00000015", start: "2025-11-23 12:00:00",
             end: "2025-11-23 12:00:30", disposition: "NO ANSWER", uniqueid: "1763899200.40", linkedid: "1763899200.40", sequence: 5),
    ].joined(separator: "\r\n") + "\r\n"

    @Test func linesAreReadAsCdrCsvWritesThemAndBadOnesAreReportedByNumber() {
        let lines = Array(CDRReader(text: Self.masterCSV, timeZone: Self.utc))
        #expect(lines.count == 7)
        let failures = lines.compactMap { line -> String? in
            if case .failure(let error) = line.row { return "\(line.number): \(error)" } else { return nil }
        }
        #expect(failures == ["4: a quoted field is not closed", "5: 3 columns; a CDR line has 16, 17, 18 or 21"])
        guard case .success(let first) = lines[0].row else { Issue.record("first line unreadable"); return }
        #expect(first.callerID == "\"Jan \"the customer\" de Vries\" <+31260010001>")
        #expect(first.start == Date(timeIntervalSince1970: 1_763_888_400) && first.answer == nil && first.linkedid == "1763888400.10")
    }

    @Test func theLegsOfACallBecomeTheRecordTheLiveTrackerWouldMake() throws {
        let rows = CDRReader(text: Self.masterCSV, timeZone: Self.utc).compactMap { try? $0.row.get() }
        let calls = CDRCalls.calls(from: rows, directory: Self.directory)
        #expect(calls.map(\.id) == ["1763888400.10", "1763892000.20", "1763895600.30", "1763899200.40"])

        let ringGroup = calls[0]
        #expect(ringGroup.direction == .inbound && ringGroup.externalNumber == "+31260010001")
        #expect(ringGroup.externalName == "Jan \"the customer\" de Vries")
        #expect(ringGroup.rang == ["201", "202"] && ringGroup.answeredBy == "202" && ringGroup.outcome == .answered)
        #expect(ringGroup.ringTime == 8 && ringGroup.talkTime == 172)

        let busy = calls[1]
        #expect(busy.direction == .outbound && busy.placedBy == "203" && busy.externalNumber == "+4930123456" && busy.outcome == .busy)
        #expect(calls[2].direction == .internal && calls[2].placedBy == "201" && calls[2].answeredBy == "202")
        #expect(calls[3].direction == .inbound && calls[3].outcome == .missed && calls[3].answeredBy == nil)
    }

    @Test func withoutTheLinkedidColumnTheCallingChannelsUniqueidIsTheId() throws {
        // loguniqueid + loguserfield (18 columns): drop peeraccount, linkedid, sequence.
        let short = Self.masterCSV.split(separator: "\r\n").map { line -> String in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields.count == 21 ? fields.prefix(18).joined(separator: ",") : String(line)
        }.joined(separator: "\n")
        let rows = CDRReader(text: short, timeZone: Self.utc).compactMap { try? $0.row.get() }
        let calls = CDRCalls.calls(from: rows, directory: Self.directory)
        #expect(calls.map(\.id) == ["1763888400.10", "1763892000.20", "1763895600.30", "1763899200.40"])
        #expect(calls[0].answeredBy == "202")
    }

    @Test func timesAreReadInThePBXsTimeZone() throws {
        let amsterdam = try #require(TimeZone(identifier: "Europe/Amsterdam"))
        let line = try #require(Array(CDRReader(text: Self.masterCSV, timeZone: amsterdam)).first)
        // 09:00 in Amsterdam in November (CET) is 08:00 UTC.
        #expect(try line.row.get().start == Date(timeIntervalSince1970: 1_763_888_400 - 3_600))
    }
}

@Suite struct ChannelDeviceTests {
    @Test("The device is the channel name without Asterisk's sequence", arguments: [
        ("PJSIP/201-0000001a", "PJSIP/201"), ("SIP/150010001-0000002c", "SIP/150010001"),
        ("SIP/voipgrid-siproute-docker-00000009", "SIP/voipgrid-siproute-docker"), ("PJSIP/deadbeef-00000001", "PJSIP/deadbeef"),
        ("SIP/150010001-0000001d-i8", "SIP/150010001"), ("PJSIP/201", "PJSIP/201"), ("DAHDI/1-1", "DAHDI/1"), ("DAHDI/i1/5551234-1a", "DAHDI/i1/5551234"),
        ("Local/201@from-internal-00000012;1", "Local/201@from-internal"),
    ])
    func device(channel: String, device: String) {
        #expect(AgentDirectory.device(ofChannel: channel) == device)
    }
}
