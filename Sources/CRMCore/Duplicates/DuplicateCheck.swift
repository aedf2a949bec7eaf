import Foundation
import GRDB

/// What a lead sourcer knows about a company before saving it as a lead.
public struct LeadProbe: Sendable, Hashable, Codable {
    public var name: String?
    /// A domain or website ("acme.com", "https://www.acme.com/").
    public var domain: String?
    public var phone: String?
    public var email: String?
    public init(name: String? = nil, domain: String? = nil, phone: String? = nil, email: String? = nil) {
        self.name = name
        self.domain = domain
        self.phone = phone
        self.email = email
    }
}

/// A company that is probably the one being entered, with a score in 0...100 and the reasons.
public struct DuplicateCandidate: Sendable, Hashable, Codable {
    public var companyId: Int64
    public var name: String
    public var stage: Stage
    public var score: Int
    public var reasons: [String]
}

extension CRMDatabase {
    /// Candidates scoring at least this are reported (and block ``addLead(_:actorId:force:)``). Default 60.
    public static let duplicateThreshold = 60

    /// The existing companies that the probe likely duplicates, best first.
    public func checkDuplicates(_ probe: LeadProbe, limit: Int = 10) throws -> [DuplicateCandidate] {
        try writer.read { db in try findDuplicates(db, probe, limit: limit) }
    }

    func findDuplicates(_ db: Database, _ probe: LeadProbe, limit: Int) throws -> [DuplicateCandidate] {
        var scores: [Int64: (score: Int, reasons: [String])] = [:]
        func add(_ id: Int64, _ points: Int, _ reason: String) {
            var entry = scores[id] ?? (0, [])
            entry.score = min(100, entry.score + points)
            if !entry.reasons.contains(reason) { entry.reasons.append(reason) }
            scores[id] = entry
        }

        var domains: [String] = []
        if let domain = probe.domain.map(EmailAddress.normalizeDomain), !domain.isEmpty { domains.append(domain) }
        if let email = probe.email.flatMap(EmailAddress.normalize) {
            let rows = try Row.fetchAll(db, sql: """
                SELECT DISTINCT companyId FROM contactEmail WHERE email = ?
                """, arguments: [email])
            for row in rows { add(row[0], 100, "same email \(email)") }
            if let domain = EmailAddress.domain(of: email), policy.isFirmDomain(domain) { domains.append(domain) }
        }
        for domain in Set(domains) where policy.isFirmDomain(domain) {
            for id in try Int64.fetchAll(db, sql: "SELECT companyId FROM companyDomain WHERE domain = ?", arguments: [domain]) {
                add(id, 90, "same domain \(domain)")
            }
        }
        if let phone = probe.phone.flatMap(policy.phones.normalize) {
            let ids = try Int64.fetchAll(db, sql: """
                SELECT companyId FROM companyPhone WHERE phone = ?
                UNION SELECT companyId FROM contactPhone WHERE phone = ?
                """, arguments: [phone, phone])
            for id in ids { add(id, 90, "same phone \(phone)") }
        }
        if let name = probe.name, !name.trimmingCharacters(in: .whitespaces).isEmpty {
            let normalized = CompanyName.normalize(name)
            let tokens = Array(Set(CompanyName.tokens(name)))
            // Candidates share at least one word of the name; the rarest words are looked up first, and a
            // word shared by very many companies ("trading") only adds candidates up to a cap.
            var candidateIds = Set(try Int64.fetchAll(db, sql: "SELECT id FROM company WHERE normalizedName = ?", arguments: [normalized]))
            for token in tokens {
                let ids = try Int64.fetchAll(db, sql: "SELECT companyId FROM companyNameToken WHERE token = ? LIMIT 500", arguments: [token])
                candidateIds.formUnion(ids)
            }
            if !candidateIds.isEmpty {
                let probeBigrams = CompanyName.sortedBigrams(normalized)
                let rows = try Row.fetchAll(db, sql: "SELECT id, normalizedName FROM company WHERE id IN (\(candidateIds.map(String.init).joined(separator: ",")))")
                for row in rows {
                    let id: Int64 = row[0], other: String = row[1]
                    let similarity = other == normalized ? 1 : CompanyName.similarity(sortedBigrams: probeBigrams, CompanyName.sortedBigrams(other))
                    if other == normalized {
                        add(id, 80, "same name")
                    } else if similarity >= 0.7 {
                        add(id, Int((similarity * 75).rounded()), "similar name (\(Int((similarity * 100).rounded()))%)")
                    }
                }
            }
        }

        guard !scores.isEmpty else { return [] }
        let companies = try Company.filter(keys: Array(scores.keys)).fetchAll(db)
        return companies.compactMap { company -> DuplicateCandidate? in
            guard let id = company.id, let entry = scores[id], entry.score >= Self.duplicateThreshold else { return nil }
            return DuplicateCandidate(companyId: id, name: company.name, stage: company.stage, score: entry.score, reasons: entry.reasons)
        }
        .sorted { ($0.score, -$0.companyId) > ($1.score, -$1.companyId) }
        .prefix(limit).map { $0 }
    }
}
