import Foundation
import GRDB

/// A person to add to a company.
public struct NewContact: Sendable, Hashable, Codable {
    public var firstName: String
    public var lastName: String
    public var title: String?
    public var language: String?
    public var phones: [String]
    public var emails: [String]
    public init(firstName: String, lastName: String = "", title: String? = nil, language: String? = nil, phones: [String] = [], emails: [String] = []) {
        self.firstName = firstName
        self.lastName = lastName
        self.title = title
        self.language = language
        self.phones = phones
        self.emails = emails
    }
}

/// A contact with their numbers and addresses.
public struct ContactCard: Sendable, Hashable, Codable {
    public var contact: Contact
    public var phones: [String]
    public var emails: [String]
}

extension CRMDatabase {
    /// Adds a contact to a company. Unmatched activities with one of its numbers or addresses are linked now.
    @discardableResult
    public func addContact(companyId: Int64, _ contact: NewContact, actorId: Int64) throws -> Contact {
        try write(as: actorId, .editCompany) { db, _ in
            _ = try requireCompany(db, companyId)
            return try insertContact(db, companyId: companyId, contact)
        }
    }

    func insertContact(_ db: Database, companyId: Int64, _ new: NewContact) throws -> Contact {
        guard !(new.firstName + new.lastName).trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CRMError.invalidInput("a contact needs a name")
        }
        var contact = Contact(companyId: companyId, firstName: new.firstName, lastName: new.lastName, title: new.title,
                              language: new.language?.lowercased(), createdAt: now())
        try contact.insert(db)
        for phone in new.phones { try insertContactPhone(db, contact: contact, phone: phone) }
        for email in new.emails { try insertContactEmail(db, contact: contact, email: email) }
        return contact
    }

    public func addContactPhone(contactId: Int64, phone: String, actorId: Int64) throws {
        try write(as: actorId, .editCompany) { db, _ in
            try insertContactPhone(db, contact: try requireContact(db, contactId), phone: phone)
        }
    }

    public func addContactEmail(contactId: Int64, email: String, actorId: Int64) throws {
        try write(as: actorId, .editCompany) { db, _ in
            try insertContactEmail(db, contact: try requireContact(db, contactId), email: email)
        }
    }

    func insertContactPhone(_ db: Database, contact: Contact, phone: String) throws {
        guard let e164 = policy.phones.normalize(phone) else { throw CRMError.invalidInput("'\(phone)' is not a phone number") }
        try db.execute(sql: "INSERT OR IGNORE INTO contactPhone (contactId, phone, companyId) VALUES (?, ?, ?)",
                       arguments: [contact.id, e164, contact.companyId])
        try relinkUnmatched(db, values: [e164])
    }

    func insertContactEmail(_ db: Database, contact: Contact, email: String) throws {
        guard let address = EmailAddress.normalize(email) else { throw CRMError.invalidInput("'\(email)' is not an email address") }
        try db.execute(sql: "INSERT OR IGNORE INTO contactEmail (contactId, email, companyId) VALUES (?, ?, ?)",
                       arguments: [contact.id, address, contact.companyId])
        try relinkUnmatched(db, values: [address])
    }

    func requireContact(_ db: Database, _ id: Int64) throws -> Contact {
        guard let contact = try Contact.fetchOne(db, key: id) else { throw CRMError.notFound("contact #\(id)") }
        return contact
    }

    public func contact(_ id: Int64) throws -> ContactCard {
        try writer.read { db in try card(db, try requireContact(db, id)) }
    }

    public func contacts(companyId: Int64? = nil) throws -> [ContactCard] {
        try writer.read { db in
            var request = Contact.order(Column("id"))
            if let companyId { request = request.filter(Column("companyId") == companyId) }
            return try request.fetchAll(db).map { try card(db, $0) }
        }
    }

    private func card(_ db: Database, _ contact: Contact) throws -> ContactCard {
        ContactCard(
            contact: contact,
            phones: try String.fetchAll(db, sql: "SELECT phone FROM contactPhone WHERE contactId = ? ORDER BY phone", arguments: [contact.id]),
            emails: try String.fetchAll(db, sql: "SELECT email FROM contactEmail WHERE contactId = ? ORDER BY email", arguments: [contact.id])
        )
    }

    // MARK: Notes

    /// Sends a note to a colleague, optionally about a company.
    @discardableResult
    public func sendNote(to recipientId: Int64, about companyId: Int64?, body: String, actorId: Int64) throws -> Note {
        try writer.write { db in
            let actor = try requireActor(db, actorId, .sendNote)
            guard let recipient = try User.fetchOne(db, key: recipientId), recipient.isActive else { throw CRMError.notFound("user #\(recipientId)") }
            if let companyId { _ = try requireCompany(db, companyId) }
            guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CRMError.invalidInput("a note needs text") }
            var note = Note(fromUserId: actor.id!, toUserId: recipient.id!, companyId: companyId, body: body, createdAt: now())
            try note.insert(db)
            return note
        }
    }

    /// The notes addressed to a user, newest first.
    public func notes(for userId: Int64, unreadOnly: Bool = false) throws -> [Note] {
        try writer.read { db in
            var request = Note.filter(Column("toUserId") == userId).order(Column("id").desc)
            if unreadOnly { request = request.filter(Column("readAt") == nil) }
            return try request.fetchAll(db)
        }
    }

    /// Marks a note read; only its recipient may.
    public func markNoteRead(_ noteId: Int64, actorId: Int64) throws {
        try writer.write { db in
            guard var note = try Note.fetchOne(db, key: noteId) else { throw CRMError.notFound("note #\(noteId)") }
            guard note.toUserId == actorId else { throw CRMError.forbidden("only the recipient marks a note read") }
            note.readAt = note.readAt ?? now()
            try note.update(db)
        }
    }
}
