@testable import AsteriskAMI
import AMITestSupport
import Foundation
import NIOCore
import NIOTestUtils
import Testing

/// The recorded corpus, copied into Tests with its licences.
enum Corpus {
    static let root = AMICorpus.root

    struct Stream: Sendable, CustomTestStringConvertible {
        var file: String
        var messages: Int
        var banner: String?
        var testDescription: String { file }
        var bytes: [UInt8] { [UInt8](FileManager.default.contents(atPath: Corpus.root.appendingPathComponent(file).path) ?? Data()) }
    }

    /// Every stream of the manifest, with its message count and banner as recorded (not as our decoder sees them).
    static let streams: [Stream] = {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent("MANIFEST.json").path),
              let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return entries.map { entry in
            Stream(file: "\(entry["source"]!)/\(entry["file"]!)", messages: (entry["events"] ?? entry["messages"]) as! Int,
                   banner: entry["banner"] as? String)
        }
    }()

    static func decodeAll(_ bytes: [UInt8], chunks: (Int) -> Int = { $0 }, limits: AMIDecoderLimits = AMIDecoderLimits()) throws -> [AMIFrame] {
        var decoder = AMIDecoder(limits: limits)
        var buffer = ByteBuffer()
        var frames: [AMIFrame] = []
        var offset = 0
        while offset < bytes.count {
            let size = max(1, min(chunks(bytes.count - offset), bytes.count - offset))
            buffer.writeBytes(bytes[offset..<offset + size])
            offset += size
            while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
        }
        while let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: true) { frames.append(frame) }
        return frames
    }
}

@Suite struct AMIDecoderCorpusTests {
    @Test func theCorpusIsThere() {
        #expect(Corpus.streams.count == 68)
    }

    @Test("Every recorded stream decodes to the recorded number of messages", arguments: Corpus.streams)
    func everyRecordedStreamDecodes(stream: Corpus.Stream) throws {
        let frames = try Corpus.decodeAll(stream.bytes)
        let messages = frames.filter { if case .message = $0 { true } else { false } }
        #expect(messages.count == stream.messages)
        #expect(!frames.contains { if case .skipped = $0 { true } else { false } })
        let banners = frames.compactMap { if case .banner(let version) = $0 { version } else { nil } }
        #expect(banners == (stream.banner.map { [String($0.dropFirst("Asterisk Call Manager/".count))] } ?? []))
    }

    @Test("Random chunks and single bytes give the same messages as one read", arguments: Corpus.streams.filter { $0.file.hasPrefix("cacofonisk") || $0.messages > 5 })
    func chunkingDoesNotChangeTheResult(stream: Corpus.Stream) throws {
        let bytes = stream.bytes
        let whole = try Corpus.decodeAll(bytes)
        var generator = SystemRandomNumberGenerator()
        #expect(try Corpus.decodeAll(bytes, chunks: { _ in Int.random(in: 1...700, using: &generator) }) == whole)
        if bytes.count < 60_000 {
            #expect(try Corpus.decodeAll(bytes, chunks: { _ in 1 }) == whole)
        }
    }

    @Test func aRecordedCallHasItsHeadersInOrder() throws {
        let stream = try #require(Corpus.streams.first { $0.file.hasSuffix("simple/ab_success_a_hangup.ami") })
        let frames = try Corpus.decodeAll(stream.bytes)
        guard case .message(let newchannel) = frames[2] else { Issue.record("no message"); return }
        #expect(newchannel.kind == .event("Newchannel"))
        #expect(newchannel["channel"] == "SIP/150010001-00000004")
        #expect(newchannel["CallerIDName"] == "Local Alice")
        #expect(newchannel.headers.prefix(3).map(\.name) == ["Event", "Privilege", "SystemName"])
    }
}

@Suite struct AMIDecoderFramingTests {
    func frames(_ text: String) throws -> [AMIFrame] { try Corpus.decodeAll(Array(text.utf8)) }

    /// Every decoder test goes through NIO's verifier: byte by byte, whole, and one message per buffer.
    func verify(_ pairs: [(String, [AMIFrame])]) throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: pairs.map { (ByteBuffer(string: $0.0), $0.1) },
            decoderFactory: { AMIDecoder() }
        )
    }

    @Test func bannerThenMessagesWithRepeatedHeadersInOrder() throws {
        try verify([
            ("Asterisk Call Manager/9.0.0\r\n", [.banner(version: "9.0.0")]),
            ("Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n",
             [.message(AMIMessage(["Response": "Success", "ActionID": "1", "Message": "Authentication accepted"]))]),
            ("Event: VarSet\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nValue: \r\n\r\n",
             [.message(AMIMessage(["Event": "VarSet", "ChanVariable": "A=1", "ChanVariable": "B=2", "Value": ""]))]),
        ])
        let message = try #require(frames("Event: VarSet\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n").first)
        guard case .message(let varSet) = message else { Issue.record(); return }
        #expect(varSet.values("chanvariable") == ["A=1", "B=2"])
        #expect(varSet["Nope"] == nil)
    }

    @Test func aUTF8CharacterSplitAcrossReadsIsWhole() throws {
        let text = "Event: Newchannel\r\nCallerIDName: Ольга Петрова ☎\r\n\r\n"
        try verify([(text, [.message(AMIMessage(["Event": "Newchannel", "CallerIDName": "Ольга Петрова ☎"]))])])
    }

    @Test func bothCommandOutputFormats() throws {
        let old = "Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\nChannel   State\r\n\r\n2 calls processed\r\n--END COMMAND--\r\n\r\n"
        let new = "Response: Success\r\nActionID: 8\r\nMessage: Command output follows\r\nOutput: Channel   State\r\nOutput: \r\nOutput: 2 calls processed\r\n\r\n"
        guard case .message(let oldMessage) = try frames(old).first, case .message(let newMessage) = try frames(new).first else { Issue.record(); return }
        #expect(oldMessage.outputLines == ["Channel   State", "", "2 calls processed"])
        #expect(newMessage.outputLines == oldMessage.outputLines)
        #expect(oldMessage["ActionID"] == "7" && oldMessage.kind == .response("Follows"))
        // Output and the end marker on one line (Asterisk 1.x without a trailing newline).
        guard case .message(let sameLine) = try frames("Response: Follows\r\nlast line--END COMMAND--\r\n\r\n").first else { Issue.record(); return }
        #expect(sameLine.outputLines == ["last line"])
        try verify([(old, [.message(oldMessage)]), (new, [.message(newMessage)])])
    }

    @Test func strayBlankLinesAndBodyRowsWithoutHeaders() throws {
        let stream = try #require(Corpus.streams.first { $0.file.hasPrefix("belirafon") } ?? Corpus.Stream(file: "belirafon/ami.dump", messages: 0))
        let frames = try Corpus.decodeAll(stream.bytes)
        let messages = frames.compactMap { if case .message(let m) = $0 { m } else { nil } }
        #expect(messages.first?.kind == .event("HangupRequest"))
        let rows = try #require(messages.first { $0.outputLines.first == "row 1 of extended response" })
        #expect(rows.outputLines == ["row 1 of extended response", "row 2 of extended response", "row 3 of extended response"])
        let follows = try #require(messages.first { $0.kind == .response("Follows") })
        #expect(follows.outputLines == ["first extended response, row 1", "first extended response, row 2", "", "first extended response, row 3"])
        #expect(messages.contains { $0["Value"] == "1254" })
    }

    @Test func anOversizedMessageIsSkippedAndTheStreamGoesOn() throws {
        let big = "Event: Huge\r\n" + String(repeating: "Variable: x=\(String(repeating: "y", count: 100))\r\n", count: 200) + "\r\n"
        let next = "Event: Hangup\r\nUniqueid: 1.2\r\n\r\n"
        let frames = try Corpus.decodeAll(Array((big + next).utf8), limits: AMIDecoderLimits(maxMessageBytes: 4096))
        #expect(frames.count == 2)
        guard case .skipped(let error) = frames[0] else { Issue.record("not skipped: \(frames[0])"); return }
        #expect(error.droppedBytes == big.utf8.count)
        #expect(error.description.hasPrefix("AMI message larger than the limit"))
        #expect(frames[1] == .message(AMIMessage(["Event": "Hangup", "Uniqueid": "1.2"])))

        // A line that never ends is not buffered without bound.
        let endless = "Event: X\r\nValue: " + String(repeating: "z", count: 10_000)
        let partial = try Corpus.decodeAll(Array((endless + "\r\n\r\n" + next).utf8), chunks: { _ in 1000 }, limits: AMIDecoderLimits(maxMessageBytes: 4096))
        #expect(partial.last == .message(AMIMessage(["Event": "Hangup", "Uniqueid": "1.2"])))
        #expect(partial.contains { if case .skipped = $0 { true } else { false } })
    }

    @Test func aMessageCutByADisconnectIsDropped() throws {
        let frames = try Corpus.decodeAll(Array("Event: Hangup\r\nUniqueid: 1.2\r\n\r\nEvent: Newchannel\r\nChannel: SIP/1".utf8))
        #expect(frames == [.message(AMIMessage(["Event": "Hangup", "Uniqueid": "1.2"]))])
    }

    /// Messages keep their fields in storage the decoder shares between many of them: every message, kept long
    /// after the decoder has moved on to new storage (and one with more fields than a whole store), still reads its
    /// own headers.
    @Test func messagesKeptPastManyStoresReadTheirOwnFields() throws {
        var text = ""
        for n in 0..<3_000 { text += "Event: Newstate\r\nUniqueid: 1530020288.\(n)\r\nChannelState: \(n % 7)\r\n\r\n" }
        text += "Response: Success\r\n" + (0..<5_000).map { "Output: line \($0)\r\n" }.joined() + "\r\n"
        text += "Event: Hangup\r\nUniqueid: last\r\n\r\n"
        let frames = try Corpus.decodeAll(Array(text.utf8), chunks: { _ in 1_000 })
        let messages = frames.compactMap { if case .message(let m) = $0 { m } else { nil } }
        #expect(messages.count == 3_002)
        for (n, message) in messages.prefix(3_000).enumerated() {
            guard message["Uniqueid"] == "1530020288.\(n)", message["ChannelState"] == "\(n % 7)" else {
                Issue.record("message \(n) reads \(message)")
                return
            }
        }
        #expect(messages[3_000].values("Output") == (0..<5_000).map { "line \($0)" })
        #expect(messages[3_001].headers == [AMIMessage.Header("Event", "Hangup"), AMIMessage.Header("Uniqueid", "last")])
    }

    /// The decoder is a value: a copy taken in the middle of a message (and of the storage its messages share)
    /// goes on on its own, and neither copy changes what the other's messages read.
    @Test func aDecoderCopiedMidMessageGoesOnOnItsOwn() throws {
        func message(_ frame: AMIFrame?) -> AMIMessage? { if case .message(let message)? = frame { message } else { nil } }
        var first = AMIDecoder()
        var start = ByteBuffer(string: "Event: Earlier\r\nA: 0\r\n\r\nEvent: One\r\nA: 1\r\n")
        let earlier = try #require(message(first.decode(buffer: &start)))
        #expect(try first.decode(buffer: &start) == nil)
        var second = first
        var firstBytes = start, secondBytes = start
        firstBytes.writeString("B: first\r\n\r\nEvent: Two\r\nX: x\r\n\r\n")
        secondBytes.writeString("C: second\r\nD: more\r\n\r\nEvent: Three\r\nY: y\r\n\r\n")
        // Interleaved, as two connections' handlers would run.
        let fromSecond = try #require(message(second.decode(buffer: &secondBytes)))
        let fromFirst = try #require(message(first.decode(buffer: &firstBytes)))
        let laterSecond = try #require(message(second.decode(buffer: &secondBytes)))
        let laterFirst = try #require(message(first.decode(buffer: &firstBytes)))
        typealias H = AMIMessage.Header
        #expect(earlier.headers == [H("Event", "Earlier"), H("A", "0")])
        #expect(fromFirst.headers == [H("Event", "One"), H("A", "1"), H("B", "first")])
        #expect(fromSecond.headers == [H("Event", "One"), H("A", "1"), H("C", "second"), H("D", "more")])
        #expect(laterFirst.headers == [H("Event", "Two"), H("X", "x")])
        #expect(laterSecond.headers == [H("Event", "Three"), H("Y", "y")])
    }

    /// The tracker's one-pass reader agrees with the subscript: the first of each name, names in any case, nil for a
    /// header that is missing.
    @Test func withValuesReadsWhatTheSubscriptReads() {
        let message = AMIMessage([.init("Event", "Hangup"), .init("uniqueid", "first"), .init("Cause", "16"), .init("Uniqueid", "second"),
                                  .init("Cause", "17")])
        func text(_ bytes: UnsafeRawBufferPointer?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        let three = message.withValues("Uniqueid", "Cause", "Channel") { [text($0), text($1), text($2)] }
        #expect(three == [message["Uniqueid"], message["Cause"], nil])
        #expect(three == ["first", "16", nil])
        let two = message.withValues("CAUSE", "Event") { [text($0), text($1), text($2)] }
        #expect(two == ["16", "Hangup", nil])
    }

    @Test func invalidUTF8NeverCrashes() throws {
        var bytes = Array("Event: Newchannel\r\nCallerIDName: ".utf8)
        bytes += [0xC3, 0x28, 0xFF, 0xFE]
        bytes += Array("\r\n\r\n".utf8)
        let frames = try Corpus.decodeAll(bytes)
        guard case .message(let message) = frames.first else { Issue.record(); return }
        #expect(message["CallerIDName"]?.contains("\u{FFFD}") == true)
    }
}

@Suite struct AMIHeaderNameTests {
    @Test func theNameMasksAcceptExactlyLettersDigitsAndDashUnderscoreDotParentheses() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.()".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(AMIDecoder.isNameByte(byte) == allowed.contains(byte), "byte \(byte)")
        }
    }

    /// The eight-at-a-time test agrees with the byte test for every byte in every position, and on random words
    /// (where a carry between neighbouring bytes would show).
    @Test func theWordTestFlagsExactlyTheBytesThatAreNotNameBytes() {
        func expected(_ word: UInt64) -> UInt64 {
            (0..<8).reduce(0) { flags, position in
                AMIDecoder.isNameByte(UInt8(truncatingIfNeeded: word >> (8 * position))) ? flags : flags | 0x80 << (8 * position)
            }
        }
        for byte in UInt8.min...UInt8.max {
            for position in 0..<8 {
                let filler = UInt64(0x6161_6161_6161_6161) & ~(0xFF << (8 * position))
                let word = filler | UInt64(byte) << (8 * position)
                #expect(AMIDecoder.nonNameBytes(word) == expected(word), "byte \(byte) at \(position)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let word = generator.next() as UInt64
            #expect(AMIDecoder.nonNameBytes(word) == expected(word), "word \(String(word, radix: 16))")
        }
    }
}
