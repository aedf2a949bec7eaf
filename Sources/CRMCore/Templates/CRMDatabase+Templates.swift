import Foundation
import GRDB

extension CRMDatabase {
    /// Saves a template (admin only); placeholders are checked now, not when a customer would see the mistake.
    @discardableResult
    public func addTemplate(name: String, language: String = "en", subject: String, body: String, actorId: Int64) throws -> EmailTemplate {
        try writer.write { db in
            _ = try requireActor(db, actorId, .manageTemplates)
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw CRMError.invalidInput("a template needs a name") }
            _ = try TemplateRenderer.placeholders(in: subject, template: name)
            _ = try TemplateRenderer.placeholders(in: body, template: name)
            let language = language.lowercased()
            if try EmailTemplate.filter(Column("name") == name && Column("language") == language).fetchOne(db) != nil {
                throw CRMError.conflict("template '\(name)' in language '\(language)' already exists")
            }
            var template = EmailTemplate(name: name, language: language, subject: subject, body: body, createdAt: now())
            try template.insert(db)
            return template
        }
    }

    public func templates() throws -> [EmailTemplate] {
        try writer.read { db in try EmailTemplate.order(Column("name"), Column("language")).fetchAll(db) }
    }

    public func deleteTemplate(_ id: Int64, actorId: Int64) throws {
        try writer.write { db in
            _ = try requireActor(db, actorId, .manageTemplates)
            guard try EmailTemplate.deleteOne(db, key: id) else { throw CRMError.notFound("template #\(id)") }
        }
    }

    /// Renders template `name` for a contact and an agent, in the contact's language when a version exists,
    /// else `fallbackLanguage`, else any version.
    public func render(template name: String, contactId: Int64, agentId: Int64, fallbackLanguage: String = "en") throws -> RenderedEmail {
        try writer.read { db in
            let versions = try EmailTemplate.filter(Column("name") == name).fetchAll(db)
            guard !versions.isEmpty else { throw CRMError.notFound("template '\(name)'") }
            let contact = try requireContact(db, contactId)
            guard let agent = try User.fetchOne(db, key: agentId) else { throw CRMError.notFound("user #\(agentId)") }
            let company = try requireCompany(db, contact.companyId)
            let chosen = versions.first { $0.language == contact.language }
                ?? versions.first { $0.language == fallbackLanguage.lowercased() }
                ?? versions[0]
            let agentAddresses = try UserAddress.filter(Column("userId") == agentId).fetchAll(db)
            let values: [String: String] = [
                "contact.first_name": contact.firstName,
                "contact.last_name": contact.lastName,
                "contact.full_name": contact.fullName,
                "contact.title": contact.title ?? "",
                "contact.email": try String.fetchOne(db, sql: "SELECT email FROM contactEmail WHERE contactId = ? ORDER BY email", arguments: [contactId]) ?? "",
                "contact.phone": try String.fetchOne(db, sql: "SELECT phone FROM contactPhone WHERE contactId = ? ORDER BY phone", arguments: [contactId]) ?? "",
                "company.name": company.name,
                "company.website": company.website ?? "",
                "agent.name": agent.name,
                "agent.first_name": String(agent.name.split(separator: " ").first ?? ""),
                "agent.email": agent.email,
                "agent.phone": agentAddresses.first { $0.kind == .phone }?.value ?? "",
                "agent.extension": agentAddresses.first { $0.kind == .extension }?.value ?? "",
            ]
            return RenderedEmail(
                subject: try TemplateRenderer.render(chosen.subject, template: name, values: values),
                body: try TemplateRenderer.render(chosen.body, template: name, values: values),
                language: chosen.language
            )
        }
    }
}
