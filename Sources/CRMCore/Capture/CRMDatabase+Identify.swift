import GRDB

/// Who a set of participants is, without storing anything: the company and contact capture would choose.
public struct Identification: Sendable, Hashable, Codable {
    public var status: MatchStatus
    public var companyId: Int64?
    public var contactId: Int64?
    /// With status `review`: the companies that fit equally well.
    public var candidates: [Int64]

    public init(status: MatchStatus, companyId: Int64? = nil, contactId: Int64? = nil, candidates: [Int64] = []) {
        self.status = status
        self.companyId = companyId
        self.contactId = contactId
        self.candidates = candidates
    }
}

extension CRMDatabase {
    /// Runs the matching rules read-only, e.g. to show an agent who is calling before they answer.
    public func identify(_ participants: [CapturedActivity.Participant], agent: CapturedActivity.Agent? = nil) throws -> Identification {
        // No snapshot transaction for a one-shot lookup: BEGIN/COMMIT would be 40% of its cost.
        try writer.unsafeRead { db in
            let matcher = try Matcher(policy: policy, db: db, preloadColleagues: false)
            let normalized = try matcher.normalize(db, participants)
            var agentId: Int64?
            if case .userId(let id) = agent { agentId = id } else if case .extension(let ext) = agent {
                agentId = try matcher.colleague(.extension, ext)
            }
            guard !normalized.isEmpty else { return Identification(status: .internal, candidates: []) }
            let resolution = try matcher.resolve(db, normalized, agentId: agentId ?? normalized.colleagues.first)
            return Identification(status: resolution.status, companyId: resolution.companyId, contactId: resolution.contactId,
                                  candidates: resolution.status == .review ? resolution.candidates.map(\.companyId) : [])
        }
    }
}
