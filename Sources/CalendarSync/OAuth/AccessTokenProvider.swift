import AsyncHTTPClient
import Foundation
import NetworkSupport
import NIOCore
import NIOHTTP1

/// Access tokens for one Google account, from its refresh token: the calendar client and the XOAUTH2 logins of IMAP
/// and SMTP all ask it.
///
/// - A token is reused until `refreshMargin` before it expires (Google's `expires_in` is a hint of about an hour).
/// - Concurrent callers share one refresh: the token endpoint sees one request, not one per caller.
/// - `invalid_grant` (revoked, expired, password changed) is final: the provider answers "reconnect needed" from
///   then on without asking Google again, until ``replaceRefreshToken(_:)``. A retry loop would only hammer Google.
/// - Server errors (500, 503, 504, 408, 429, `temporarily_unavailable` …) are retried as google-auth does: 3
///   attempts, 1 s then 2 s, ±10 %.
public actor AccessTokenProvider {
    public let account: String
    private let client: OAuthClientCredentials
    private var refreshToken: String
    private let http: HTTPClient
    private let clock: any Clock<Duration>
    private let now: @Sendable () -> Date
    private let refreshMargin: Duration

    private var cached: (token: String, expiresAt: Date)?
    private var refreshing: Task<String, any Error>?
    private var revoked: CalendarError?
    /// How many times the token endpoint was asked (status, tests).
    public private(set) var refreshCount = 0

    public init(
        account: String, client: OAuthClientCredentials, refreshToken: String, http: HTTPClient,
        refreshMargin: Duration = .seconds(300), clock: any Clock<Duration> = ContinuousClock(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.account = account
        self.client = client
        self.refreshToken = refreshToken
        self.http = http
        self.refreshMargin = refreshMargin
        self.clock = clock
        self.now = now
    }

    /// True once the refresh token was refused: a person must connect the account again.
    public var reconnectNeeded: Bool { revoked != nil }

    /// A valid access token, refreshed when needed.
    public func accessToken() async throws -> String {
        if let revoked { throw revoked }
        if let cached, now().addingTimeInterval(refreshMargin.seconds) < cached.expiresAt { return cached.token }
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.refresh() }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    /// The API refused `token` (401): it is not used again.
    public func invalidate(_ token: String) {
        if cached?.token == token { cached = nil }
    }

    /// A person connected the account again.
    public func replaceRefreshToken(_ token: String) {
        refreshToken = token
        revoked = nil
        cached = nil
    }

    private func refresh() async throws -> String {
        var delay = 1.0
        for attempt in 1...3 {
            refreshCount += 1
            let outcome = try await requestToken()
            switch outcome {
            case .token(let token, let expiresIn):
                cached = (token, now().addingTimeInterval(TimeInterval(expiresIn)))
                return token
            case .final(let error):
                if error.isReconnectNeeded { revoked = error; cached = nil }
                throw error
            case .retryable(let error):
                guard attempt < 3 else { throw error }
                try await clock.sleep(for: .milliseconds(Int64(delay * Double.random(in: 0.9...1.1) * 1000)))
                delay *= 2
            }
        }
        throw CalendarError.invalidResponse("token refresh gave up")
    }

    private enum Outcome {
        case token(String, expiresIn: Int)
        case final(CalendarError)
        case retryable(CalendarError)
    }

    private func requestToken() async throws -> Outcome {
        var request = HTTPClientRequest(url: client.tokenEndpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = FormEncoding.encode([
            ("grant_type", "refresh_token"), ("client_id", client.clientId), ("client_secret", client.clientSecret), ("refresh_token", refreshToken),
        ])
        request.body = .bytes(ByteBuffer(string: form))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            // Never the request itself in the message: it carries the refresh token and the client secret.
            return .retryable(.transport("token endpoint: \(type(of: error))"))
        }
        let status = Int(response.status.code)
        if status == 200 {
            struct Success: Decodable {
                var access_token: String
                var expires_in: Flexible?
            }
            guard let success = try? JSONDecoder().decode(Success.self, from: Data(body.readableBytesView)), !success.access_token.isEmpty else {
                return .final(.invalidResponse("the token endpoint's answer has no access_token"))
            }
            return .token(success.access_token, expiresIn: success.expires_in?.value ?? 3599)
        }
        struct Failure: Decodable {
            var error: String?
            var error_description: String?
        }
        let failure = try? JSONDecoder().decode(Failure.self, from: Data(body.readableBytesView))
        let code = failure?.error ?? "HTTP \(status)"
        switch code {
        case "invalid_grant", "invalid_client", "unauthorized_client":
            return .final(.reconnectNeeded("\(account): Google refused the refresh token (\(code)\(failure?.error_description.map { ": \($0)" } ?? ""))"))
        case "internal_failure", "server_error", "temporarily_unavailable":
            return .retryable(.tokenEndpoint(status: status, error: code))
        default:
            if [500, 503, 504, 408, 429].contains(status) { return .retryable(.tokenEndpoint(status: status, error: code)) }
            return .final(.tokenEndpoint(status: status, error: code))
        }
    }
}

/// `expires_in` as a number or, as google-auth also accepts, a string.
struct Flexible: Decodable {
    var value: Int
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) { value = number; return }
        let text = try container.decode(String.self)
        guard let number = Int(text) else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a number") }
        value = number
    }
}
