// CalendarSync: Google OAuth and Calendar API v3 (issue #5). It knows nothing of the CRM: it turns calendar pages
// into events and meeting instances and a sync token; CalendarCapture turns those into held activities.

/// Why a call to Google failed. What a caller acts on is a property: ``isReconnectNeeded`` (a person must grant
/// access again), ``isFullSyncRequired`` (410 on a sync token), ``isQuotaExceeded`` (wait for hours, not seconds).
public struct CalendarError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable {
        /// The token endpoint answered `invalid_grant` (revoked, expired) or `invalid_client`.
        case reconnectNeeded(String)
        /// The token endpoint failed in another way.
        case tokenEndpoint(status: Int, error: String)
        /// The API answered an error status; `reason` is the first `errors[].reason` of Google's body.
        case api(status: Int, reason: String?, message: String?)
        case transport(String)
        case invalidResponse(String)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    static func reconnectNeeded(_ description: String) -> CalendarError { CalendarError(.reconnectNeeded(description)) }
    static func tokenEndpoint(status: Int, error: String) -> CalendarError { CalendarError(.tokenEndpoint(status: status, error: error)) }
    static func api(status: Int, reason: String?, message: String?) -> CalendarError { CalendarError(.api(status: status, reason: reason, message: message)) }
    static func transport(_ description: String) -> CalendarError { CalendarError(.transport(description)) }
    static func invalidResponse(_ description: String) -> CalendarError { CalendarError(.invalidResponse(description)) }

    /// The refresh token no longer works: the account must be connected again; retrying will not help.
    public var isReconnectNeeded: Bool { if case .reconnectNeeded = kind { true } else { false } }

    /// The HTTP status of an API error, if it was one.
    public var status: Int? {
        switch kind {
        case .api(let status, _, _), .tokenEndpoint(let status, _): status
        default: nil
        }
    }

    /// Google's reason (`fullSyncRequired`, `quotaExceeded`, `conditionNotMet` …) of an API error.
    public var reason: String? { if case .api(_, let reason, _) = kind { reason } else { nil } }

    /// The sync token is gone (any 410 on a list call: some 410 bodies lack the reason): wipe and sync in full.
    public var isFullSyncRequired: Bool { status == 410 }

    /// Google's calendar usage limit ("Calendar usage limits exceeded."): it clears after hours; a quick retry only
    /// makes it last longer.
    public var isQuotaExceeded: Bool { status == 403 && reason == "quotaExceeded" }

    public var description: String {
        switch kind {
        case .reconnectNeeded(let text): "reconnect needed: \(text)"
        case .tokenEndpoint(let status, let error): "token endpoint answered \(status) \(error)"
        case .api(let status, let reason, let message): "Google answered \(status)\(reason.map { " \($0)" } ?? "")\(message.map { ": \($0)" } ?? "")"
        case .transport(let text): "cannot reach Google: \(text)"
        case .invalidResponse(let text): "unexpected answer from Google: \(text)"
        }
    }
}
