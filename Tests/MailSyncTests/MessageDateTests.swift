@testable import MailSync
import Testing

@Suite struct MessageDateTests {
    @Test(arguments: [
        // RFC 5322 Appendix A.1.1, A.5, A.6.2 and what mailers send.
        ("Fri, 21 Nov 1997 09:55:06 -0600", Int64(880_127_706)),
        ("Tue, 1 Jul 2003 10:52:37 +0200", 1_057_049_557),
        ("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)", -27_723_480),
        ("21 Nov 97 09:55:06 GMT", 880_106_106),
        ("Mon, 23 Nov 2026 17:05:00 PST", 1_795_482_300),
        ("Sat, 29 Feb 2020 00:00:00 +0000", 1_582_934_400),
        ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", 837_595_405),
        ("1 Jan 2026 00:00 Z", 1_767_225_600),
    ])
    func parses(_ text: String, _ seconds: Int64) {
        #expect(MessageDate(text)?.secondsSince1970 == seconds)
    }

    @Test(arguments: ["", "yesterday", "32 Jan 2026 10:00 +0000", "1 Foo 2026 10:00 +0000", "1 Jan 2026 25:00 +0000", "1 Jan 2026 10:00 +02", "1 Jan 2026"])
    func refuses(_ text: String) {
        #expect(MessageDate(text) == nil)
    }
}
