import MailSync
import NIOCore
import Testing

/// The connection's state machine, driven by responses as Gmail documents them, without a socket.
@Suite struct IMAPConnectionStateMachineTests {
    func parse(_ line: String) throws -> IMAPResponse {
        var decoder = IMAPResponseDecoder()
        var buffer = ByteBuffer(string: line)
        guard case .response(let response)? = try decoder.decode(buffer: &buffer) else { throw Unexpected(line: line) }
        return response
    }
    struct Unexpected: Error { var line: String }

    func written(_ action: IMAPConnectionStateMachine.Action) -> String? {
        if case .write(let buffer) = action { return String(buffer: buffer) }
        return nil
    }

    @Test func xoauth2FailureAsGmailSendsIt() throws {
        var machine = IMAPConnectionStateMachine()
        #expect(machine.receive(try parse("* OK Gimap ready for requests from 192.0.2.1\r\n")) == .greeted(IMAPCondition(.ok, text: "Gimap ready for requests from 192.0.2.1")))
        #expect(written(machine.send(.authenticate(mechanism: "XOAUTH2", initialResponse: "dXNlcj1...")))?.hasPrefix("A1 AUTHENTICATE XOAUTH2 ") == true)
        // Gmail's documented failure: a challenge with a base64 JSON error, an empty answer, then NO.
        let challenge = "eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ=="
        #expect(machine.receive(try parse("+ \(challenge)\r\n")) == .challenge(challenge))
        #expect(written(machine.answerChallenge("")) == "\r\n")
        guard case .failed(let error, _) = machine.receive(try parse("A1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n")) else {
            Issue.record("no failure"); return
        }
        #expect(error.isAuthenticationFailure)
        #expect(machine.isReady)
    }

    @Test func throttledIsAFailureToBackOffFromNotAnAuthenticationProblem() throws {
        var machine = IMAPConnectionStateMachine()
        _ = machine.receive(try parse("* OK ready\r\n"))
        _ = machine.send(.uidFetch(IMAPSequenceSet(1...100), items: ["UID"], changedSince: nil))
        #expect(machine.receive(try parse("* 1 FETCH (UID 1)\r\n")) == .deliver(.fetch(sequence: 1, [.uid(1)])))
        guard case .failed(let error, _) = machine.receive(try parse("A1 NO [THROTTLED] Account exceeded command or bandwidth limits. (Failure)\r\n")) else {
            Issue.record("no failure"); return
        }
        #expect(error.isThrottled && !error.isAuthenticationFailure)
    }

    @Test func byeOutsideLogoutClosesAndWrongTagsAreViolations() throws {
        var machine = IMAPConnectionStateMachine()
        _ = machine.receive(try parse("* OK ready\r\n"))
        _ = machine.send(.noop)
        guard case .close(let error) = machine.receive(try parse("* BYE System error\r\n")) else { Issue.record("BYE not closing"); return }
        #expect(error.description.contains("System error"))
        #expect(machine.receive(try parse("A1 OK done\r\n")) == .none, "nothing after close")

        var other = IMAPConnectionStateMachine()
        _ = other.receive(try parse("* OK ready\r\n"))
        _ = other.send(.noop)
        guard case .close = other.receive(try parse("A9 OK what\r\n")) else { Issue.record("wrong tag accepted"); return }
        #expect(!other.isReady)
    }

    @Test func aSynchronizingLiteralWaitsForTheServersGoAhead() throws {
        var machine = IMAPConnectionStateMachine()
        _ = machine.receive(try parse("* OK ready\r\n"))
        let first = written(machine.send(.login(user: "anna", password: "pässword")))
        #expect(first == "A1 LOGIN anna {9}\r\n")
        #expect(written(machine.receive(try parse("+ go ahead\r\n"))) == "pässword\r\n")
        #expect(machine.receive(try parse("A1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n")) == .completed(IMAPCondition(.ok, code: .capability(["IMAP4rev1", "IDLE"]), text: "Logged in")))
    }

    @Test func idleIsAcceptedUpdatesArriveAndDoneEndsIt() throws {
        var machine = IMAPConnectionStateMachine()
        _ = machine.receive(try parse("* OK ready\r\n"))
        #expect(written(machine.send(.idle)) == "A1 IDLE\r\n")
        #expect(machine.receive(try parse("+ idling\r\n")) == .idling)
        #expect(machine.receive(try parse("* 23 EXISTS\r\n")) == .deliver(.exists(23)))
        #expect(written(machine.endIdle()) == "DONE\r\n")
        #expect(machine.receive(try parse("A1 OK IDLE terminated (Success)\r\n")) == .completed(IMAPCondition(.ok, text: "IDLE terminated (Success)")))
        #expect(machine.endIdle() == .none, "DONE only while idling")
        // A command while another runs is refused, not interleaved.
        _ = machine.send(.noop)
        guard case .close = machine.send(.noop) else { Issue.record("two commands at once"); return }
    }
}
