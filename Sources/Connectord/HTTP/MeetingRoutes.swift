import NetworkSupport
import CalendarSync
import CRMCore
import Foundation
import Hummingbird

/// `POST /api/meetings`: a follow-up meeting scheduled from the CRM into the agent's Google Calendar.
struct MeetingRoutes {
    let database: CRMDatabase
    let calendars: [CalendarService]

    /// `{"followUp": UUID, "contact": 12, "start": "2026-12-01T10:00:00+01:00", "minutes": 30, "title": "…"}`, optionally
    /// `"agent"` (id or email; admins only, others schedule in their own calendar) and `"description"`.
    struct ScheduleRequest: Codable {
        var followUp: UUID
        var agent: String?
        var contact: Int64
        var start: String
        var minutes: Int
        var title: String?
        var description: String?
    }

    struct ScheduleResult: Codable {
        var eventId: String
        var link: String?
        var activityId: Int64?
        var companyName: String?
        var start: String
        var end: String
    }

    func register(on group: RouterGroup<APIContext>) {
        group.post("meetings") { request, context -> Response in
            let user = try context.requireUser()
            let body = try await request.decode(as: ScheduleRequest.self, context: context)
            let (agent, card) = try mapCRMErrors { () throws -> (User, ContactCard) in
                var agent = user
                if let reference = body.agent {
                    agent = try database.findUser(reference)
                    guard agent.id == user.id || user.role == .admin else { throw CRMError.forbidden("only an admin may schedule in another agent's calendar") }
                }
                return (agent, try database.contact(body.contact))
            }
            guard let start = RFC3339.parse(body.start) else {
                throw HTTPError(.badRequest, message: "start '\(body.start)' is not an RFC 3339 time with an offset (2026-12-01T10:00:00+01:00)")
            }
            guard (5...24 * 60).contains(body.minutes) else { throw HTTPError(.badRequest, message: "a meeting lasts 5 minutes to 24 hours") }
            guard let email = card.emails.first else { throw HTTPError(.badRequest, message: "contact #\(body.contact) has no email address to invite") }
            guard let calendar = calendars.first(where: { $0.account == agent.email.lowercased() }) else {
                throw HTTPError(.serviceUnavailable, message: "\(agent.email) has no calendar connected (google.accounts, calendar.pollSeconds)")
            }
            let title = body.title ?? "Follow-up: \(card.contact.firstName) \(card.contact.lastName)".trimmingCharacters(in: .whitespaces)
            do {
                let (event, activity) = try await calendar.schedule(
                    followUp: body.followUp, contactEmail: email, start: start, duration: .seconds(body.minutes * 60), title: title, description: body.description)
                return try jsonResponse(ScheduleResult(
                    eventId: event.id, link: event.htmlLink, activityId: activity?.id, companyName: activity?.companyName,
                    start: RFC3339.format(start), end: RFC3339.format(start.addingTimeInterval(TimeInterval(body.minutes * 60)))))
            } catch let error as CalendarError {
                throw HTTPError(error.isReconnectNeeded ? .serviceUnavailable : .badGateway, message: error.description)
            }
        }
    }
}
