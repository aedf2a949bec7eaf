import AfterHours
import Foundation

/// How the after-hours responder behaves, as values (the daemon builds them from its configuration).
public struct ResponderSettings: Sendable {
    public var hours: BusinessHours
    public var policy: AutoReplyPolicy
    public var urgency: UrgencyRules
    /// Nil: urgent messages are only marked, nobody is alerted.
    public var rota: OnCallRota?
    /// The address replies come from (and that the SMTP account may send as).
    public var from: String
    /// The template of the reply (`connectord templates add --name after-hours --language de …`).
    public var template: String
    /// The reply's language when the contact's is unknown or has no version of the template.
    public var defaultLanguage: String
    /// One automatic reply per sender within this long. Default: 7 days.
    public var senderLimit: TimeInterval

    public init(hours: BusinessHours, policy: AutoReplyPolicy, urgency: UrgencyRules = UrgencyRules(), rota: OnCallRota? = nil, from: String,
                template: String = "after-hours", defaultLanguage: String = "en", senderLimit: TimeInterval = 7 * 86_400) {
        self.hours = hours
        self.policy = policy
        self.urgency = urgency
        self.rota = rota
        self.from = from.lowercased()
        self.template = template
        self.defaultLanguage = defaultLanguage
        self.senderLimit = senderLimit
    }
}
