import CRMCore
import Foundation
import Hummingbird

/// The authenticated API: what needs the running daemon (activities and statistics now; click-to-dial and
/// sync status later). Every route acts as the token's user, and the core checks that user's role.
struct APIRoutes {
    let database: CRMDatabase

    struct StageMove: Decodable { var to: String; var reason: String? }
    struct AssignBody: Decodable { var agent: Int64; var reason: String? }

    func register(on group: RouterGroup<APIContext>) {
        group.get("me") { _, context -> Response in
            try jsonResponse(try context.requireUser())
        }
        group.get("activities") { request, context -> Response in
            _ = try context.requireUser()
            let query = request.uri.queryParameters
            var filter = ActivityFilter()
            filter.companyId = try query.int64("company")
            filter.agentId = try query.int64("agent")
            filter.status = try query.string("status").map { text in
                guard let status = MatchStatus(rawValue: text) else { throw HTTPError(.badRequest, message: "unknown status '\(text)'") }
                return status
            }
            filter.kind = try query.string("kind").map { text in
                guard let kind = ActivityKind(rawValue: text) else { throw HTTPError(.badRequest, message: "unknown kind '\(text)'") }
                return kind
            }
            filter.from = try query.date("from")
            filter.to = try query.date("to")
            filter.limit = min(try query.int64("limit").map(Int.init) ?? 100, 10_000)
            return try jsonResponse(try mapCRMErrors { try database.activities(filter) })
        }
        group.get("stats") { request, context -> Response in
            _ = try context.requireUser()
            let query = request.uri.queryParameters
            let to = try query.date("to") ?? Date()
            let from = try query.date("from") ?? to.addingTimeInterval(-30 * 86_400)
            return try jsonResponse(try mapCRMErrors { try database.statistics(from: from, to: to, agentId: try query.int64("agent")) })
        }
        group.get("companies") { request, context -> Response in
            _ = try context.requireUser()
            let query = request.uri.queryParameters
            let stage = try query.string("stage").map { text in try mapCRMErrors { try Stage(parsing: text) } }
            return try jsonResponse(try mapCRMErrors { try database.companies(stage: stage, ownerId: try query.int64("owner")) })
        }
        group.get("review") { _, context -> Response in
            _ = try context.requireUser()
            return try jsonResponse(try mapCRMErrors { try database.reviewQueue() })
        }
        group.post("companies/:id/stage") { request, context -> Response in
            let user = try context.requireUser()
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await request.decode(as: StageMove.self, context: context)
            let company = try mapCRMErrors {
                try database.move(companyId: id, to: try Stage(parsing: body.to), actorId: user.id!, reason: body.reason)
            }
            return try jsonResponse(company)
        }
        group.post("companies/:id/assign") { request, context -> Response in
            let user = try context.requireUser()
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await request.decode(as: AssignBody.self, context: context)
            return try jsonResponse(try mapCRMErrors { try database.assign(companyId: id, to: body.agent, actorId: user.id!, reason: body.reason) })
        }
        group.delete("users/:id") { _, context -> Response in
            let user = try context.requireUser()
            let id = try context.parameters.require("id", as: Int64.self)
            try mapCRMErrors { try database.deleteUser(id, actorId: user.id!) }
            return Response(status: .noContent)
        }
    }
}

extension Parameters {
    func string(_ name: String) throws -> String? {
        self[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
    func int64(_ name: String) throws -> Int64? {
        guard let text = try string(name) else { return nil }
        guard let value = Int64(text) else { throw HTTPError(.badRequest, message: "'\(name)' must be a number, got '\(text)'") }
        return value
    }
    func date(_ name: String) throws -> Date? {
        guard let text = try string(name) else { return nil }
        guard let date = DateInput.parse(text) else { throw HTTPError(.badRequest, message: "'\(name)' must be a date (2026-11-23 or ISO 8601), got '\(text)'") }
        return date
    }
}
