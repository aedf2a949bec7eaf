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
                        extra: [String: String] = [:], versionsRead: TemplateVersions? = nil) throws -> RenderedEmail {
        // Cached statements, read by column: the after-hours responder renders a template for every webhook request.
        let versions = try versionsRead?.versions[name] ?? Row.fetchAll(
            db.cachedStatement(sql: "SELECT language, subject, body FROM emailTemplate WHERE name = ? ORDER BY id"), arguments: [name]
        ).map { TemplateVersions.Version(language: $0[0], subject: $0[1], body: $0[2]) }
        versionsRead?.versions[name] = versions
        guard !versions.isEmpty else { throw CRMError.notFound("template '\(name)'") }
        var values = extra
        let contact = try contactId.flatMap {
            try Row.fetchOne(db.cachedStatement(sql: "SELECT firstName, lastName, title, language, companyId FROM contact WHERE id = ?"), arguments: [$0])
        }
        let language: String? = contact?[3]
        // "pt-BR" takes a "pt-br" version, else a "pt" one.
        func version(for tag: String?) -> TemplateVersions.Version? {
            guard let tag = tag?.lowercased(), !tag.isEmpty else { return nil }
            let base = tag.split(separator: "-").first.map(String.init) ?? tag
            return versions.first { $0.language == tag } ?? versions.first { $0.language == base }
        }
        let chosen = version(for: language) ?? version(for: fallbackLanguage) ?? versions[0]
        // Only what the chosen version names is read: the responder renders a template for every webhook request, and
        // the usual reply names the contact and the company, not the contact's phone or the agent.
        let used = Set(try TemplateRenderer.placeholders(in: chosen.subject, template: name) + TemplateRenderer.placeholders(in: chosen.body, template: name))
        if let contactId, let contact {
            let first: String = contact[0], last: String = contact[1]
            values["contact.first_name"] = first
            values["contact.last_name"] = last
            values["contact.full_name"] = [first, last].filter { !$0.isEmpty }.joined(separator: " ")
            values["contact.title"] = contact[2] as String? ?? ""
            if used.contains("contact.email") {
                values["contact.email"] = try String.fetchOne(db.cachedStatement(sql: "SELECT email FROM contactEmail WHERE contactId = ? ORDER BY email"),
                                                              arguments: [contactId]) ?? ""
            }
            if used.contains("contact.phone") {
                values["contact.phone"] = try String.fetchOne(db.cachedStatement(sql: "SELECT phone FROM contactPhone WHERE contactId = ? ORDER BY phone"),
                                                              arguments: [contactId]) ?? ""
            }
            if used.contains("company.name") || used.contains("company.website"),
               let company = try Row.fetchOne(db.cachedStatement(sql: "SELECT name, website FROM company WHERE id = ?"), arguments: [contact[4] as Int64]) {
                values["company.name"] = company[0] as String
                values["company.website"] = company[1] as String? ?? ""
            }
        }
        let namesAgent = used.contains { $0.hasPrefix("agent.") }
        if let agentId, namesAgent,
           let agent = try Row.fetchOne(db.cachedStatement(sql: "SELECT name, email FROM user WHERE id = ?"), arguments: [agentId]) {
            let name: String = agent[0]
            var phone = "", ext = ""
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, value FROM userAddress WHERE userId = ? ORDER BY rowid"), arguments: [agentId]) {
                if row[0] == "phone", phone.isEmpty { phone = row[1] }
                if row[0] == "extension", ext.isEmpty { ext = row[1] }
            }
            values["agent.name"] = name
            values["agent.first_name"] = String(name.split(separator: " ").first ?? "")
            values["agent.email"] = agent[1] as String
            values["agent.phone"] = phone
            values["agent.extension"] = ext
        }
        return RenderedEmail(
            subject: try TemplateRenderer.render(chosen.subject, template: name, values: values),
            body: try TemplateRenderer.render(chosen.body, template: name, values: values),
            language: chosen.language
        )
    }
}

/// The versions of templates read once in a transaction (the responder's group commit renders one per message).
final class TemplateVersions {
    struct Version { var language: String; var subject: String; var body: String }
    var versions: [String: [Version]] = [:]
}
