import Foundation
import Logging
import CRMCore
import Hummingbird

/// The request context of connectord's HTTP server: the user the bearer token belongs to, once authenticated.
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var user: User?

    init(source: Source) {
        self.coreContext = .init(source: source)
        self.user = nil
    }

    /// The authenticated user; the API routes only run behind ``BearerAuthMiddleware``.
    func requireUser() throws -> User {
        guard let user else { throw HTTPError(.unauthorized) }
        return user
    }
}

/// Turns `Authorization: Bearer <token>` into the token's user. A missing, unknown or revoked token is a 401.
struct BearerAuthMiddleware: RouterMiddleware {
    let database: CRMDatabase

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing bearer token")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "expected 'Authorization: Bearer <token>'")
        }
        guard let user = try database.authenticate(token: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            // Same answer for unknown and revoked tokens; the token itself is never logged.
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: "invalid or revoked token")
        }
        var context = context
        context.user = user
        context.logger[metadataKey: "user"] = "\(user.id ?? 0)"
        return try await next(request, context)
    }
}
