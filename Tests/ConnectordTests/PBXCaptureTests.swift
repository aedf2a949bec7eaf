import AMITestSupport
import AsteriskAMI
import Foundation
import Testing

/// Call capture through the running daemon: a fake PBX replays recorded Asterisk sessions over loopback, and
/// what a user sees in `connectord activities` is checked.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PBXCaptureTests {
    static let secret = "s3cret-ami"

    /// A team of three agents whose desk phones are the VoIPGRID accounts of the recordings, and a customer,
    /// Jan at Gelderland BV, on the number the recordings call and are called from.
    struct Office {
        let connectord: ConnectordProcess
        let gelderland: Int64
        let jan: Int64
        let aliceToken: String

        init() throws {
            connectord = try ConnectordProcess()
            let c = connectord
            try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@ours.example", "--role", "admin")
            try c.ok("users", "add", "--as", "1", "--name", "Alice Agent", "--email", "alice@ours.example", "--role", "agent", "--extension", "201")
            try c.ok("users", "add", "--as", "1", "--name", "Bob Agent", "--email", "bob@ours.example", "--role", "agent", "--extension", "202")
            try c.ok("users", "add", "--as", "1", "--name", "Carol Agent", "--email", "carol@ours.example", "--role", "agent", "--extension", "203")
            gelderland = try Self.id(c.ok("leads", "add", "--as", "1", "--name", "Gelderland BV", "--json"))
            jan = try Self.id(c.ok("contacts", "add", "--as", "1", "--company", "\(gelderland)", "--first-name", "Jan",
                                   "--last-name", "de Vries", "--phone", "+31 26 0010001", "--json"))
            aliceToken = try c.ok("users", "token-create", "alice@ours.example", "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func id(_ json: String) throws -> Int64 {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            return try #require((object["id"] as? NSNumber)?.int64Value)
        }

        /// The daemon's settings for `server`; the secret travels by reference, as in production.
        func environment(_ server: FakeAMIServer, secret: String = PBXCaptureTests.secret) -> [String: String] {
            [
                "CONNECTORD_AMI_HOST": "127.0.0.1",
                "CONNECTORD_AMI_PORT": "\(server.port)",
                "CONNECTORD_AMI_USERNAME": "connectord",
                "CONNECTORD_AMI_SECRET": "env:TEST_AMI_SECRET",
                "TEST_AMI_SECRET": secret,
                "CONNECTORD_AMI_PBX_ID": "hq",
                "CONNECTORD_AMI_DEVICES": "SIP/150010001=201,SIP/150010002=202,SIP/150010003=203",
            ]
        }

        func calls() throws -> [[String: Any]] {
            let json = try connectord.ok("activities", "--kind", "call", "--limit", "1000", "--json")
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        }

        func calls(agent: String) throws -> [Int64] {
            let json = try connectord.ok("activities", "--kind", "call", "--agent", agent, "--json")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            return rows.compactMap { ($0["id"] as? NSNumber)?.int64Value }
        }
    }

    /// Four recorded calls as one PBX session: Jan's queue call that Alice hands to Bob (attended), an unknown
    /// caller giving up in the queue, Alice calling Bob, and Jan reaching Alice on a PBX shared with another
    /// tenant (whose outbound leg is none of our business).
    static let session = ["queue/queue_attn_xfer", "queue/queue_a_cancel", "simple/ab_success_a_hangup", "simple/ab_success_twoclients"]
        .flatMap { AMICorpus.bytes("cacofonisk/replay/\($0).ami") }

    /// Polls without blocking a thread of the cooperative pool (the fake PBX runs on it too).
    static func waitFor(_ condition: () throws -> Bool, seconds: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition(), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
    }

    func string(_ row: [String: Any], _ key: String) -> String? { row[key] as? String }
    func int(_ row: [String: Any], _ key: String) -> Int64? { (row[key] as? NSNumber)?.int64Value }
    func details(_ row: [String: Any]) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data((string(row, "details") ?? "{}").utf8)) as? [String: String]) ?? [:]
    }

    @Test func everyCallOfAReplayedSessionIsFiledOnceUnderTheRightFirmAndAgent() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        // The connection drops twice in the middle of the session; nothing may be lost or doubled.
        options.dropAt = [40, 170]
        let server = try await FakeAMIServer.start(script: Self.session, options: options)
        defer { Task { await server.stop() } }
        let daemon = try RunningDaemon(office.connectord, environment: office.environment(server))
        defer { _ = daemon.stop() }
        try await Self.waitFor { try server.position == server.scriptLength && office.calls().count >= 4 }
        try await Task.sleep(for: .milliseconds(300))

        let calls = try office.calls().sorted { (int($0, "id") ?? 0) < (int($1, "id") ?? 0) }
        #expect(server.logins == 3)
        #expect(calls.count == 4, "\(calls.map { string($0, "subject") ?? "" })")
        #expect(Set(calls.compactMap { string($0, "sourceKey") }).count == calls.count)
        #expect(calls.allSatisfy { string($0, "sourceKey")?.hasPrefix("pbx:hq:") == true })

        // Jan's call: his firm, his name, answered by Alice, who handed him to Bob.
        let transferred = try #require(calls.first { details($0)["transfers"] != nil })
        #expect(string(transferred, "status") == "matched")
        #expect(int(transferred, "companyId") == office.gelderland && int(transferred, "contactId") == office.jan)
        #expect(string(transferred, "direction") == "inbound" && string(transferred, "agentName") == "Alice Agent")
        #expect(details(transferred)["transfers"] == "attended by 201 to 202")
        #expect(details(transferred)["outcome"] == "answered" && details(transferred)["answeredBy"] == "201")
        #expect(try office.calls(agent: "bob@ours.example").contains(int(transferred, "id")!))

        // The unknown caller who gave up waiting: kept unmatched, marked abandoned.
        let abandoned = try #require(calls.first { details($0)["outcome"] == "abandoned" })
        #expect(string(abandoned, "status") == "unmatched")
        #expect(string(abandoned, "subject")?.hasPrefix("Abandoned call from +31150010001") == true)

        // Alice calling Bob: internal, on no company.
        let internalCall = try #require(calls.first { string($0, "direction") == "internal" })
        #expect(string(internalCall, "status") == "internal" && int(internalCall, "companyId") == nil)

        // Jan again, through the shared PBX: one call, the other tenant's leg not captured.
        let second = try #require(calls.first { $0["id"] as? NSNumber != transferred["id"] as? NSNumber && int($0, "contactId") == office.jan })
        #expect(string(second, "agentName") == "Alice Agent" && details(second)["outcome"] == "answered")

        // When the caller becomes a contact, the abandoned call moves to them (retroactive linking).
        try office.connectord.ok("contacts", "add", "--as", "1", "--company", "\(office.gelderland)", "--first-name", "Piet", "--phone", "+31 15 0010001")
        let relinked = try office.calls().first { $0["id"] as? NSNumber == abandoned["id"] as? NSNumber }
        #expect(relinked.map { string($0, "status") } == "matched")

        // The manager secret never reaches the log.
        #expect(!daemon.log.contains(Self.secret))
        #expect(daemon.log.contains("logged in to the PBX"))
        #expect(daemon.stop() == 0)
    }

    /// One `Master.csv` line as `cdr_csv` writes it with `newcdrcolumns = yes`.
    static func cdr(_ src: String, _ dst: String, channel: String, dstChannel: String, start: String, answer: String = "",
                    disposition: String, linkedid: String) -> String {
        let strings = ["", src, dst, "from-trunk", "\"\" <\(src)>", channel, dstChannel, "Dial", dstChannel].map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }
        return (strings + ["\"\(start)\"", "\"\(answer)\"", "\"\(start)\"", "60", answer.isEmpty ? "0" : "50", "\"\(disposition)\"",
                           "\"DOCUMENTATION\"", "\"\(linkedid)\"", "\"\"", "\"\"", "\"\(linkedid)\"", "1"]).joined(separator: ",")
    }

    @Test func aCDRImportAddsOnlyTheCallsTheDaemonMissed() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        let server = try await FakeAMIServer.start(script: Self.session, options: options)
        let environment = office.environment(server)
        let daemon = try RunningDaemon(office.connectord, environment: environment)
        try await Self.waitFor { try office.calls().count == 4 }
        #expect(daemon.stop() == 0)
        await server.stop()

        // The PBX's CDRs of the same hour: the four calls the daemon heard, and one it did not (it was down).
        let master = [
            Self.cdr("+31260010001", "+31150010001", channel: "SIP/voipgrid-siproute-docker-00000087", dstChannel: "SIP/150010001-00000088",
                     start: "2018-06-26 14:20:19", answer: "2018-06-26 14:20:25", disposition: "ANSWERED", linkedid: "f29ea68048f6-1530022819.2433"),
            Self.cdr("+31150010001", "+31150010004", channel: "SIP/voipgrid-siproute-docker-00000019", dstChannel: "SIP/150010002-0000001a",
                     start: "2020-03-27 14:15:45", disposition: "NO ANSWER", linkedid: "40a7a1f2a669-1585318545.326"),
            Self.cdr("201", "202", channel: "SIP/150010001-00000004", dstChannel: "SIP/150010002-00000005",
                     start: "2018-06-25 14:16:10", answer: "2018-06-25 14:16:14", disposition: "ANSWERED", linkedid: "195176c06ab8-1529936170.42"),
            // The other tenant's phone calling out (none of ours), and that call reaching Alice through the trunk.
            Self.cdr("260010001", "+31150010001", channel: "SIP/260010001-00000015", dstChannel: "Local/+31150010001@world_out-0000000c;1",
                     start: "2018-06-25 14:25:34", answer: "2018-06-25 14:25:38", disposition: "ANSWERED", linkedid: "195176c06ab8-1529936734.287"),
            Self.cdr("+31260010001", "+31150010001", channel: "SIP/voipgrid-siproute-docker-00000017", dstChannel: "SIP/150010001-00000018",
                     start: "2018-06-25 14:25:34", answer: "2018-06-25 14:25:38", disposition: "ANSWERED", linkedid: "195176c06ab8-1529936734.297"),
            Self.cdr("+31260010001", "+31150010001", channel: "SIP/voipgrid-siproute-docker-000000f0", dstChannel: "SIP/150010002-000000f1",
                     start: "2018-06-26 16:00:00", answer: "2018-06-26 16:00:05", disposition: "ANSWERED", linkedid: "f29ea68048f6-1530028800.9000"),
        ].joined(separator: "\n") + "\n"
        let file = try office.connectord.write("Master.csv", master)
        let first = try office.connectord.run(["import", "cdr", file, "--timezone", "UTC", "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"captured\" : 1") && first.stdout.contains("\"alreadyCaptured\" : 4")
                && first.stdout.contains("\"notOurs\" : 1"), "\(first.stdout)")

        let calls = try office.calls()
        #expect(calls.count == 5, "\(calls.map { string($0, "sourceKey") ?? "" })")
        let missed = try #require(calls.first { details($0)["source"] == "cdr" })
        #expect(int(missed, "contactId") == office.jan && string(missed, "agentName") == "Bob Agent" && string(missed, "direction") == "inbound")
        #expect(string(missed, "sourceKey") == "pbx:hq:f29ea68048f6-1530028800.9000")

        // The same file again changes nothing.
        let again = try office.connectord.run(["import", "cdr", file, "--timezone", "UTC", "--json"], environment: environment)
        #expect(again.stdout.contains("\"captured\" : 0") && again.stdout.contains("\"alreadyCaptured\" : 5"), "\(again.stdout)")
        #expect(try office.calls().count == 5)
    }

    @Test func aRestartedDaemonThatHearsTheSameCallsAgainDoublesNothing() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        for _ in 0..<2 {
            // The same session from the start, as if the PBX told it again: the same source keys.
            let server = try await FakeAMIServer.start(script: Self.session, options: options)
            let daemon = try RunningDaemon(office.connectord, environment: office.environment(server))
            try await Self.waitFor { server.position == server.scriptLength }
            try await Task.sleep(for: .milliseconds(500))
            #expect(daemon.stop() == 0)
            await server.stop()
        }
        #expect(try office.calls().count == 4)
    }

    @Test func hostileTimestampsAreIgnoredAndTheCallIsStillCaptured() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        // Every event of Alice calling Bob stamped with nonsense (`timestampevents = yes` on a broken PBX, or worse).
        let recorded = String(decoding: AMICorpus.bytes("cacofonisk/replay/simple/ab_success_a_hangup.ami"), as: UTF8.self)
        var stamps = ["nan", "1e300", "-inf", "garbage"].makeIterator()
        let hostile = recorded.components(separatedBy: "\r\nPrivilege: ").enumerated().map { index, part in
            index == 0 ? part : "\r\nTimestamp: \(stamps.next() ?? "nan")\r\nPrivilege: " + part
        }.joined()
        #expect(hostile.contains("Timestamp: 1e300"))
        let server = try await FakeAMIServer.start(script: Array(hostile.utf8), options: options)
        defer { Task { await server.stop() } }
        let daemon = try RunningDaemon(office.connectord, environment: office.environment(server))
        defer { _ = daemon.stop() }
        try await Self.waitFor { try office.calls().count == 1 }
        let call = try #require(try office.calls().first)
        #expect(string(call, "direction") == "internal")
        #expect(daemon.stop() == 0)  // still running, stops cleanly
    }

    @Test func aWrongSecretIsReportedWithoutRevealingIt() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        let server = try await FakeAMIServer.start(script: Self.session, options: options)
        defer { Task { await server.stop() } }
        let wrong = "not-the-secret-42"
        let daemon = try RunningDaemon(office.connectord, environment: office.environment(server, secret: wrong))
        defer { _ = daemon.stop() }
        try await Self.waitFor { daemon.log.contains("Authentication failed") }
        let status = try office.connectord.run("status", "--daemon", "http://127.0.0.1:\(daemon.port)", "--token", office.aliceToken, "--json")
        #expect(status.status == 0)
        #expect(status.stdout.contains("\"connected\" : false") && status.stdout.contains("Authentication failed"))
        #expect(!daemon.log.contains(wrong) && !status.stdout.contains(wrong))
        #expect(try server.logins == 0 && office.calls().isEmpty)
    }

    @Test func clickToDialRingsTheAgentThenFilesTheCallOnTheContact() async throws {
        let office = try Office()
        var options = FakeAMIServer.Options()
        options.secret = Self.secret
        // What Asterisk does after an Originate: a recorded click-to-dial from 201 to +31 26 0010001.
        options.unreachableNumber = "+31201111111"
        options.originateReplay = .init(recording: AMICorpus.bytes("cacofonisk/replay/originate/ctd-account-world.ami"),
                                        originatorUniqueid: "c4061ca6474c-1531990515.302", uniqueidPrefix: "c4061ca6474c-1531990515.")
        let server = try await FakeAMIServer.start(script: [], options: options)
        defer { Task { await server.stop() } }
        let daemon = try RunningDaemon(office.connectord, environment: office.environment(server))
        defer { _ = daemon.stop() }
        try await Self.waitFor { server.logins == 1 }
        #expect(server.logins == 1, "\(daemon.log)")
        try await Task.sleep(for: .milliseconds(200))

        let url = "http://127.0.0.1:\(daemon.port)"
        let dial = try office.connectord.run("dial", "--contact", "\(office.jan)", "--daemon", url, "--token", office.aliceToken)
        #expect(dial.status == 0, "\(dial.stderr)")
        #expect(dial.stdout.contains("calling +31260010001 from extension 201"))
        let originate = try #require(server.actionsReceived.first { $0["Action"] == "Originate" })
        #expect(originate["Channel"] == "PJSIP/201" && originate["Exten"] == "+31260010001" && originate["Async"] == "true")
        let channelId = try #require(originate["ChannelId"])
        #expect(channelId.hasPrefix("ctd-"))

        try await Self.waitFor { (try office.calls()).count == 1 }
        let call = try #require(try office.calls().first)
        #expect(string(call, "direction") == "outbound" && string(call, "agentName") == "Alice Agent")
        #expect(int(call, "contactId") == office.jan && int(call, "companyId") == office.gelderland)
        #expect(details(call)["clickToDial"] == channelId)
        #expect(string(call, "sourceKey") == "pbx:hq:\(channelId)")

        // A number that cannot be reached is reported, with a non-zero exit.
        let failed = try office.connectord.run("dial", "--to", "+31 20 111 1111", "--agent", "2", "--daemon", url, "--token", office.aliceToken)
        #expect(failed.status == 1 && failed.stdout.contains("the call did not start: Failure"))
        // Bob may not ring Alice's phone; an admin could.
        let bobToken = try office.connectord.ok("users", "token-create", "bob@ours.example", "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
        let hijack = try office.connectord.run("dial", "--agent", "alice@ours.example", "--to", "+31 26 0010001", "--daemon", url, "--token", bobToken)
        #expect(hijack.status != 0 && hijack.stderr.contains("only an admin"))
        #expect(server.actionsReceived.filter { $0["Action"] == "Originate" }.count == 2)
    }
}
