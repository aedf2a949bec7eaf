import Foundation
import GRDB

/// A new lead as a sourcer enters it.
public struct NewLead: Sendable, Hashable, Codable {
    public var name: String
    public var domains: [String]
    public var phones: [String]
    /// Optional first contact at the company.
    public var contact: NewContact?
    public var website: String?
    public init(name: String, domains: [String] = [], phones: [String] = [], contact: NewContact? = nil, website: String? = nil) {
        self.name = name
        self.domains = domains
        self.phones = phones
        self.contact = contact
        self.website = website
    }

    var probe: LeadProbe {
        LeadProbe(name: name, domain: domains.first ?? website, phone: phones.first ?? contact?.phones.first, email: contact?.emails.first)
    }
}

extension CRMDatabase {
    /// Adds a lead after the duplicate check. Likely duplicates throw ``CRMError/duplicateSuspected(_:)``
    /// unless `force` is set. Retroactively links unmatched activities its domains and phones explain.
    @discardableResult
    public func addLead(_ lead: NewLead, actorId: Int64, force: Bool = false) throws -> Company {
        try writer.write { db in try insertLead(db, lead, actorId: actorId, force: force) }
    }

    func insertLead(_ db: Database, _ lead: NewLead, actorId: Int64, force: Bool) throws -> Company {
        let actor = try requireActor(db, actorId, .addLead)
        let name = lead.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw CRMError.invalidInput("a lead needs a company name") }
        if !force {
            let duplicates = try findDuplicates(db, lead.probe, limit: 5)
            if !duplicates.isEmpty { throw CRMError.duplicateSuspected(duplicates) }
        }
        var company = Company(name: name, stage: .lead, website: lead.website, createdAt: now())
        try company.insert(db)
        let id = company.id!
        try indexName(db, companyId: id, name: name)
        _ = try StageTransition(companyId: id, fromStage: nil, toStage: .lead, actorId: actor.id, ownerId: nil, at: now(), reason: "created")
            .inserted(db)
        for domain in lead.domains + (lead.website.map { [$0] } ?? []) {
            try insertDomain(db, companyId: id, domain: domain, ignoreIfSame: true)
        }
        for phone in lead.phones { try insertCompanyPhone(db, companyId: id, phone: phone) }
        if let contact = lead.contact { _ = try insertContact(db, companyId: id, contact) }
        return try Company.fetchOne(db, key: id)!
    }

    func indexName(_ db: Database, companyId: Int64, name: String) throws {
        try db.execute(sql: "DELETE FROM companyNameToken WHERE companyId = ?", arguments: [companyId])
        for token in Set(CompanyName.tokens(name)) {
            try db.execute(sql: "INSERT INTO companyNameToken (token, companyId) VALUES (?, ?)", arguments: [token, companyId])
        }
    }

    /// Adds a domain to a company; refuses free-mail, our own domains, and a domain another company has.
    public func addDomain(companyId: Int64, domain: String, actorId: Int64) throws {
        try write(as: actorId, .editCompany) { db, _ in
            _ = try requireCompany(db, companyId)
            try insertDomain(db, companyId: companyId, domain: domain, ignoreIfSame: false)
        }
    }

    func insertDomain(_ db: Database, companyId: Int64, domain raw: String, ignoreIfSame: Bool) throws {
        let domain = EmailAddress.normalizeDomain(raw)
        guard domain.contains("."), !domain.contains(" ") else { throw CRMError.invalidInput("'\(raw)' is not a domain") }
        if policy.isFreeMail(domain) { throw CRMError.invalidInput("\(domain) is a free-mail domain and cannot identify a firm") }
        if policy.isOwn(domain) { throw CRMError.invalidInput("\(domain) is our own domain") }
        if let owner = try Int64.fetchOne(db, sql: "SELECT companyId FROM companyDomain WHERE domain = ?", arguments: [domain]) {
            if owner == companyId && ignoreIfSame { return }
            throw CRMError.conflict("domain \(domain) already belongs to company #\(owner)")
        }
        try CompanyDomain(companyId: companyId, domain: domain).insert(db)
        try relinkUnmatched(db, domain: domain)
    }

    public func addCompanyPhone(companyId: Int64, phone: String, actorId: Int64) throws {
        try write(as: actorId, .editCompany) { db, _ in
            _ = try requireCompany(db, companyId)
            try insertCompanyPhone(db, companyId: companyId, phone: phone)
        }
    }

    func insertCompanyPhone(_ db: Database, companyId: Int64, phone: String) throws {
        guard let e164 = policy.phones.normalize(phone) else { throw CRMError.invalidInput("'\(phone)' is not a phone number") }
        try db.execute(sql: "INSERT OR IGNORE INTO companyPhone (companyId, phone) VALUES (?, ?)", arguments: [companyId, e164])
        try relinkUnmatched(db, values: [e164])
    }

    func requireCompany(_ db: Database, _ id: Int64) throws -> Company {
        guard let company = try Company.fetchOne(db, key: id) else { throw CRMError.notFound("company #\(id)") }
        return company
    }

    public func company(_ id: Int64) throws -> Company {
        try writer.read { db in try requireCompany(db, id) }
    }

    public func companies(stage: Stage? = nil, ownerId: Int64? = nil) throws -> [Company] {
        try writer.read { db in
            var request = Company.order(Column("id"))
            if let stage { request = request.filter(Column("stage") == stage.rawValue) }
            if let ownerId { request = request.filter(Column("ownerId") == ownerId) }
            return try request.fetchAll(db)
        }
    }

    public func domains(companyId: Int64) throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT domain FROM companyDomain WHERE companyId = ? ORDER BY domain", arguments: [companyId]) }
    }

    public func phones(companyId: Int64) throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT phone FROM companyPhone WHERE companyId = ? ORDER BY phone", arguments: [companyId]) }
    }

    // MARK: Pipeline

    /// Moves a company to another stage, if the pipeline allows it and the actor may.
    ///
    /// Agents move the companies they own; an unowned lead becomes the moving agent's firm (a firm always has an
    /// owner). Admins move anything. Parking records the stage left; moving a parked company revives it there.
    @discardableResult
    public func move(companyId: Int64, to target: Stage, actorId: Int64, reason: String? = nil) throws -> Company {
        try writer.write { db in
            let actor = try requireActor(db, actorId, .moveStage)
            var company = try requireCompany(db, companyId)
            try Pipeline.check(company: company.name, from: company.stage, to: target, parkedFrom: company.parkedFrom)
            if actor.role == .agent, let owner = company.ownerId, owner != actor.id {
                throw CRMError.forbidden("\(company.name) belongs to another agent; only its owner or an admin may move it")
            }
            if target == .parked, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw CRMError.invalidInput("parking \(company.name) needs a reason")
            }
            let from = company.stage
            if company.ownerId == nil && target != .parked {
                guard actor.role == .agent else {
                    throw CRMError.transitionNotAllowed(company: company.name, from: from, to: target, why: "a firm needs an owning agent: assign one first")
                }
                company.ownerId = actor.id
                _ = try Assignment(companyId: companyId, fromUserId: nil, toUserId: actor.id!, actorId: actor.id, at: now(), reason: "took the lead")
                    .inserted(db)
            }
            company.parkedFrom = target == .parked ? from : nil
            company.stage = target
            try company.update(db)
            _ = try StageTransition(companyId: companyId, fromStage: from, toStage: target, actorId: actor.id, ownerId: company.ownerId, at: now(), reason: reason)
                .inserted(db)
            return company
        }
    }

    /// Assigns a company to an agent, or moves it from one agent to another (admin only).
    @discardableResult
    public func assign(companyId: Int64, to agentId: Int64, actorId: Int64, reason: String? = nil) throws -> Company {
        try writer.write { db in
            let actor = try requireActor(db, actorId, .assign)
            var company = try requireCompany(db, companyId)
            guard let agent = try User.fetchOne(db, key: agentId), agent.isActive else { throw CRMError.notFound("user #\(agentId)") }
            guard agent.role != .sourcer else { throw CRMError.invalidInput("\(agent.name) is a sourcer; companies are owned by agents or admins") }
            if company.ownerId == agentId { throw CRMError.invalidInput("\(company.name) already belongs to \(agent.name)") }
            _ = try Assignment(companyId: companyId, fromUserId: company.ownerId, toUserId: agentId, actorId: actor.id, at: now(), reason: reason)
                .inserted(db)
            company.ownerId = agentId
            try company.update(db)
            return company
        }
    }

    public func stageHistory(companyId: Int64) throws -> [StageTransition] {
        try writer.read { db in try StageTransition.filter(Column("companyId") == companyId).order(Column("id")).fetchAll(db) }
    }

    public func assignmentHistory(companyId: Int64) throws -> [Assignment] {
        try writer.read { db in try Assignment.filter(Column("companyId") == companyId).order(Column("id")).fetchAll(db) }
    }
}
