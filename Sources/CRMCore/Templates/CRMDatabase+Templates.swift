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
            _ = try requireContact(db, contactId)
            guard try User.fetchOne(db, key: agentId) != nil else { throw CRMError.notFound("user #\(agentId)") }
            return try renderTemplate(db, name: name, contactId: contactId, agentId: agentId, fallbackLanguage: fallbackLanguage)
        }
    }

    /// Renders inside a transaction the caller holds. Without a contact (an unknown sender) or an agent, their
    /// placeholders render empty; `extra` gives values of other placeholders (`message.subject`).
    func renderTemplate(_ db: Database, name: String, contactId: Int64?, agentId: Int64?, fallbackLanguage: String,
                        extra: [String: String] = [:]) throws -> RenderedEmail {
        let versions = try EmailTemplate.filter(Column("name") == name).fetchAll(db)
        guard !versions.isEmpty else { throw CRMError.notFound("template '\(name)'") }
        var values = extra
        var language: String?
        if let contactId, let contact = try Contact.fetchOne(db, key: contactId) {
            language = contact.language
            values["contact.first_name"] = contact.firstName
            values["contact.last_name"] = contact.lastName
            values["contact.full_name"] = contact.fullName
            values["contact.title"] = contact.title ?? ""
            values["contact.email"] = try String.fetchOne(db, sql: "SELECT email FROM contactEmail WHERE contactId = ? ORDER BY email", arguments: [contactId]) ?? ""
            values["contact.phone"] = try String.fetchOne(db, sql: "SELECT phone FROM contactPhone WHERE contactId = ? ORDER BY phone", arguments: [contactId]) ?? ""
            if let company = try Company.fetchOne(db, key: contact.companyId) {
                values["company.name"] = company.name
                values["company.website"] = company.website ?? ""
            }
        }
        if let agentId, let agent = try User.fetchOne(db, key: agentId) {
            let agentAddresses = try UserAddress.filter(Column("userId") == agentId).fetchAll(db)
            values["agent.name"] = agent.name
            values["agent.first_name"] = String(agent.name.split(separator: " ").first ?? "")
            values["agent.email"] = agent.email
            values["agent.phone"] = agentAddresses.first { $0.kind == .phone }?.value ?? ""
            values["agent.extension"] = agentAddresses.first { $0.kind == .extension }?.value ?? ""
        }
        // "pt-BR" takes a "pt-br" version, else a "pt" one.
        func version(for tag: String?) -> EmailTemplate? {
            guard let tag = tag?.lowercased(), !tag.isEmpty else { return nil }
            let base = tag.split(separator: "-").first.map(String.init) ?? tag
            return versions.first { $0.language == tag } ?? versions.first { $0.language == base }
        }
        let chosen = version(for: language) ?? version(for: fallbackLanguage) ?? versions[0]
        return RenderedEmail(
            subject: try TemplateRenderer.render(chosen.subject, template: name, values: values),
            body: try TemplateRenderer.render(chosen.body, template: name, values: values),
            language: chosen.language
        )
    }
}
