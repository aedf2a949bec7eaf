/// What a user may do. Roles are checked in the core, so the CLI and the HTTP API enforce the same rules.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// Finds companies worth calling and enters them as leads.
    case sourcer
    /// Calls, writes, meets; owns firms and moves them along the pipeline.
    case agent
    /// Runs the team: users, assignment, everything an agent may do.
    case admin
}

/// Something only some roles may do; ``CRMError/forbidden(_:)`` names it when refused.
public enum Permission: String, Sendable {
    case addLead = "add leads"
    case editCompany = "edit companies and contacts"
    case moveStage = "move companies through the pipeline"
    case assign = "assign and reassign companies"
    case manageUsers = "create and delete users"
    case manageTemplates = "create and delete templates"
    case resolveReview = "resolve the review queue"
    case sendNote = "send notes"
    case manageOwnTokens = "manage their own API tokens"

    func isGranted(to role: Role) -> Bool {
        switch (self, role) {
        case (_, .admin): true
        case (.assign, _), (.manageUsers, _), (.manageTemplates, _): false
        case (.addLead, _), (.sendNote, _), (.editCompany, _), (.manageOwnTokens, _): true
        case (.moveStage, .agent), (.resolveReview, .agent): true
        case (.moveStage, .sourcer), (.resolveReview, .sourcer): false
        }
    }
}
