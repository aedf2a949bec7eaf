import AfterHours
import Foundation
import Testing

/// RFC 3834 and common practice: who never gets an automatic answer.
@Suite struct AutoReplyPolicyTests {
    let policy = AutoReplyPolicy(ownAddresses: ["support@our-team.example"], ownDomains: ["our-team.example"])

    func message(from: String = "carla@acme.example", returnPath: String? = nil, headers: [(String, String)] = []) -> InboundMessage {
        InboundMessage(from: from, returnPath: returnPath, to: ["support@our-team.example"], subject: "Hello",
                       headers: headers.map { InboundMessage.Header($0.0, $0.1) })
    }

    @Test func aPersonWritingIsAnswered() {
        #expect(policy.refusal(for: message()) == nil)
        #expect(policy.refusal(for: message(headers: [("Auto-Submitted", "no")])) == nil)
        #expect(policy.refusal(for: message(headers: [("Precedence", "first-class")])) == nil)
        #expect(policy.refusal(for: message(headers: [("X-Auto-Response-Suppress", "DR, RN")])) == nil)
    }

    @Test(arguments: [
        (AutoReplyPolicy.Refusal.nullSender, "carla@acme.example", "", [(String, String)]()),
        (.systemSender, "MAILER-DAEMON@mx.acme.example", nil, []),
        (.systemSender, "postmaster@acme.example", nil, []),
        (.systemSender, "no-reply@acme.example", nil, []),
        (.systemSender, "owner-sales@lists.acme.example", nil, []),
        (.systemSender, "sales-request@lists.acme.example", nil, []),
        (.systemSender, "carla@acme.example", "bounces+123@mailer.acme.example", []),
        (.autoSubmitted, "carla@acme.example", nil, [("Auto-Submitted", "auto-replied")]),
        (.autoSubmitted, "carla@acme.example", nil, [("auto-submitted", "auto-generated; type=vacation")]),
        (.bulk, "carla@acme.example", nil, [("Precedence", "bulk")]),
        (.bulk, "carla@acme.example", nil, [("Precedence", " List ")]),
        (.bulk, "carla@acme.example", nil, [("Precedence", "junk")]),
        (.mailingList, "carla@acme.example", nil, [("List-Id", "<sales.acme.example>")]),
        (.mailingList, "carla@acme.example", nil, [("List-Unsubscribe", "<mailto:x@acme.example>")]),
        (.suppressed, "carla@acme.example", nil, [("X-Auto-Response-Suppress", "OOF, AutoReply")]),
        (.suppressed, "carla@acme.example", nil, [("X-Auto-Response-Suppress", "All")]),
        (.ownAddress, "support@our-team.example", nil, []),
        (.ownAddress, "alice@our-team.example", nil, []),
        (.unusableSender, "carla@acme.example", "carla", []),
        (.unusableSender, "carla@", nil, []),
    ] as [(AutoReplyPolicy.Refusal, String, String?, [(String, String)])])
    func robotsListsBouncesAndOurselvesAreNot(expected: AutoReplyPolicy.Refusal, from: String, returnPath: String?, headers: [(String, String)]) {
        #expect(policy.refusal(for: message(from: from, returnPath: returnPath, headers: headers)) == expected)
    }
}
