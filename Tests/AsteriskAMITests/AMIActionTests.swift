import AsteriskAMI
import NIOCore
import Testing

@Suite struct AMIActionTests {
    @Test func anActionIsWrittenInOrderAndDecodesBackToTheSameHeaders() throws {
        let originate = AMIAction("Originate", [
            "Channel": "PJSIP/201", "Exten": "+4930123456", "Context": "from-internal", "Priority": "1",
            "Async": "true", "ChannelId": "cd-17-a", "OtherChannelId": "cd-17-b", "Variable": "CRM_CONTACT=42", "Variable": "CRM_AGENT=7",
        ])
        var buffer = ByteBuffer()
        try originate.write(actionID: "cd-1", into: &buffer)
        #expect(String(buffer: buffer).hasPrefix("Action: Originate\r\nActionID: cd-1\r\nChannel: PJSIP/201\r\n"))
        #expect(String(buffer: buffer).hasSuffix("Variable: CRM_AGENT=7\r\n\r\n"))

        var decoder = AMIDecoder()
        guard case .message(let message) = try decoder.decode(buffer: &buffer) else { Issue.record("not decoded"); return }
        #expect(message.kind == .action("Originate"))
        #expect(message["ActionID"] == "cd-1")
        #expect(message.values("Variable") == ["CRM_CONTACT=42", "CRM_AGENT=7"])
    }

    @Test(arguments: ["201\r\nAction: Command\r\nCommand: core stop now", "x\ny", "x\r"])
    func aLineBreakInAValueIsRefusedNotSent(value: String) {
        var buffer = ByteBuffer()
        #expect(throws: AMIEncodingError.lineBreakInHeader(name: "Exten")) {
            try AMIAction("Originate", ["Exten": value]).write(actionID: "1", into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
        #expect(throws: AMIEncodingError.self) { try AMIAction("Ping").write(actionID: "a\r\nAction: Logoff", into: &buffer) }
        #expect(throws: AMIEncodingError.invalidHeaderName) { try AMIAction("Ping", ["Bad:Name": "x"]).write(actionID: "1", into: &buffer) }
    }
}
