/// An error of the CRM core. Every case says what was attempted and why it was refused, in words an
/// agent or admin understands; the HTTP API maps them to 400/403/404/409.
public enum CRMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stage move the pipeline does not allow.
    case transitionNotAllowed(company: String, from: Stage, to: Stage, why: String)
    /// The acting user's role does not grant the permission.
    case forbidden(String)
    case notFound(String)
    /// Input that cannot be accepted (unknown stage, bad phone number, empty name …).
    case invalidInput(String)
    /// Would break a uniqueness rule (a second user with that email, a domain another company owns …).
    case conflict(String)
    /// The duplicate check found likely existing companies; pass `force` to add anyway.
    case duplicateSuspected([DuplicateCandidate])
    /// A template refers to a placeholder the renderer does not know.
    case unknownPlaceholder(String, template: String)

    public var description: String {
        switch self {
        case .transitionNotAllowed(let company, let from, let to, let why):
            "cannot move \(company) from \(from.rawValue) to \(to.rawValue): \(why)"
        case .forbidden(let what): "forbidden: \(what)"
        case .notFound(let what): "not found: \(what)"
        case .invalidInput(let what): "invalid input: \(what)"
        case .conflict(let what): "conflict: \(what)"
        case .duplicateSuspected(let candidates):
            "likely duplicate of " + candidates.map { "#\($0.companyId) \($0.name) (score \($0.score), \($0.reasons.joined(separator: ", ")))" }
                .joined(separator: "; ") + " — pass --force to add anyway"
        case .unknownPlaceholder(let name, let template):
            "unknown placeholder {{\(name)}} in template '\(template)'; known: \(TemplateRenderer.knownPlaceholders.joined(separator: ", "))"
        }
    }
}
