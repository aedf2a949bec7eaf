import AsteriskAMI
import CRMCore
import Foundation
import Hummingbird

/// Click-to-dial (`POST /api/calls`) and the sources' state (`GET /api/status`).
struct CallRoutes {
    let database: CRMDatabase
    let policy: MatchingPolicy
    let pbx: PBXService?
    var mailboxes: [MailboxService] = []
    var calendars: [CalendarService] = []
    var afterHours: AfterHoursService?

    /// `{"to": "+49 30 1234567"}` or `{"contact": 12}`, optionally `"agent"` (id or email; admins only, others
    /// dial from their own phone).
    struct DialRequest: Decodable {
        var agent: String?
        var to: String?
        var contact: Int64?
    }

    struct Status: Encodable {
        var pbx: PBXService.Status?
        var mail: [MailboxService.Status]
        var calendar: [CalendarService.Status]
        var afterHours: AfterHoursService.Status?
    }

    func register(on group: RouterGroup<APIContext>) {
        group.get("status") { _, context -> Response in
            _ = try context.requireUser()
            return try jsonResponse(Status(pbx: pbx?.status, mail: mailboxes.map(\.status), calendar: calendars.map(\.status), afterHours: afterHours?.status))
        }
        group.post("calls") { request, context -> Response in
            let user = try context.requireUser()
            let body = try await request.decode(as: DialRequest.self, context: context)
            guard let pbx else { throw HTTPError(.serviceUnavailable, message: "no PBX is configured (ami.host)") }
            let plan: DialPlan = try mapCRMErrors { try self.plan(body, user: user) }
            do {
                let result = try await pbx.dial(userId: plan.agent.id!, agentExtension: plan.agentExtension, number: plan.number, contactId: plan.contactId)
                return try jsonResponse(result)
            } catch let error as AMIClientError {
                // Not connected, or the connection dropped: the caller may try again; nothing was re-sent.
                throw HTTPError(.serviceUnavailable, message: error.description)
            }
        }
    }

    struct DialPlan {
        var agent: User
        var agentExtension: String
        var number: String
        var contactId: Int64?
    }

    /// Who rings whom: checked before anything reaches the PBX.
    func plan(_ request: DialRequest, user: User) throws -> DialPlan {
        var agent = user
        if let reference = request.agent {
            agent = try database.findUser(reference)
            guard agent.id == user.id || user.role == .admin else {
                throw CRMError.forbidden("only an admin may start a call from another agent's phone")
            }
            guard agent.isActive else { throw CRMError.forbidden("user \(reference) was deleted") }
        }
        guard let agentExtension = try database.addresses(ofUser: agent.id!).first(where: { $0.kind == .extension })?.value else {
            throw CRMError.invalidInput("\(agent.name) has no extension to ring; add one with 'connectord users add --extension'")
        }
        var number: String?
        if let raw = request.to {
            guard let normalized = policy.phones.normalize(raw) else { throw CRMError.invalidInput("'\(raw)' is not a phone number") }
            number = normalized
        }
        if let contactId = request.contact {
            let card = try database.contact(contactId)
            if number == nil {
                guard let first = card.phones.first else { throw CRMError.invalidInput("contact #\(contactId) has no phone number") }
                number = first
            }
        }
        guard let number else { throw CRMError.invalidInput("say whom to call: a number ('to') or a contact ('contact')") }
        return DialPlan(agent: agent, agentExtension: agentExtension, number: number, contactId: request.contact)
    }
}
