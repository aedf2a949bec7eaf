import Crypto
import Foundation
import GRDB

extension CRMDatabase {
    /// Adds a user with their extensions, phones and email. The first user of an empty store may be added
    /// without an actor (bootstrap); afterwards an admin must act.
    @discardableResult
    public func addUser(name: String, email: String, role: Role, extensions: [String] = [], phones: [String] = [], actorId: Int64?) throws -> User {
        try writer.write { db in
            if try User.fetchCount(db) > 0 || actorId != nil {
                _ = try requireActor(db, actorId, .manageUsers)
            }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw CRMError.invalidInput("a user needs a name") }
            guard let address = EmailAddress.normalize(email) else { throw CRMError.invalidInput("'\(email)' is not an email address") }
            if try User.filter(Column("email") == address).fetchOne(db) != nil {
                throw CRMError.conflict("a user with email \(address) already exists")
            }
            var user = User(name: name, email: address, role: role, createdAt: now())
            try user.insert(db)
            try addAddress(db, userId: user.id!, kind: .email, value: address)
            for ext in extensions {
                let digits = ext.trimmingCharacters(in: .whitespaces)
                guard !digits.isEmpty, digits.allSatisfy({ $0.isNumber || $0 == "*" || $0 == "#" }) else {
                    throw CRMError.invalidInput("'\(ext)' is not an extension (digits only)")
                }
                try addAddress(db, userId: user.id!, kind: .extension, value: digits)
            }
            for phone in phones {
                guard let e164 = policy.phones.normalize(phone) else { throw CRMError.invalidInput("'\(phone)' is not a phone number") }
                try addAddress(db, userId: user.id!, kind: .phone, value: e164)
            }
            return user
        }
    }

    private func addAddress(_ db: Database, userId: Int64, kind: UserAddress.Kind, value: String) throws {
        if let other = try UserAddress.filter(Column("kind") == kind.rawValue && Column("value") == value).fetchOne(db) {
            throw CRMError.conflict("\(kind.rawValue) \(value) already belongs to user #\(other.userId)")
        }
        try UserAddress(userId: userId, kind: kind, value: value).insert(db)
    }

    /// Deletes a user (admin only). Their history stays; they can no longer act and their tokens stop working.
    /// A user who still owns companies is refused: reassign those first.
    public func deleteUser(_ userId: Int64, actorId: Int64) throws {
        try writer.write { db in
            let actor = try requireActor(db, actorId, .manageUsers)
            guard var user = try User.fetchOne(db, key: userId), user.isActive else { throw CRMError.notFound("user #\(userId)") }
            if actor.id == userId { throw CRMError.invalidInput("an admin cannot delete themselves") }
            let owned = try Company.filter(Column("ownerId") == userId).fetchCount(db)
            if owned > 0 { throw CRMError.conflict("\(user.name) still owns \(owned) companies: reassign them first") }
            user.deletedAt = now()
            try user.update(db)
            try db.execute(sql: "DELETE FROM userAddress WHERE userId = ?", arguments: [userId])
            try db.execute(sql: "UPDATE apiToken SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", arguments: [now(), userId])
        }
    }

    public func users(includeDeleted: Bool = false) throws -> [User] {
        try writer.read { db in
            var request = User.order(Column("id"))
            if !includeDeleted { request = request.filter(Column("deletedAt") == nil) }
            return try request.fetchAll(db)
        }
    }

    public func user(_ id: Int64) throws -> User {
        try writer.read { db in
            guard let user = try User.fetchOne(db, key: id) else { throw CRMError.notFound("user #\(id)") }
            return user
        }
    }

    /// A user by id ("3") or email.
    public func findUser(_ reference: String) throws -> User {
        try writer.read { db in
            let user: User? = if let id = Int64(reference) {
                try User.fetchOne(db, key: id)
            } else {
                try User.filter(Column("email") == reference.lowercased()).fetchOne(db)
            }
            guard let user else { throw CRMError.notFound("user '\(reference)'") }
            return user
        }
    }

    /// The extensions of every active user: the phones a PBX source treats as the team's.
    public func agentExtensions() throws -> Set<String> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT value FROM userAddress JOIN user ON user.id = userAddress.userId
                WHERE userAddress.kind = 'extension' AND user.deletedAt IS NULL
                """))
        }
    }

    public func addresses(ofUser userId: Int64) throws -> [UserAddress] {
        try writer.read { db in try UserAddress.filter(Column("userId") == userId).fetchAll(db) }
    }

    // MARK: API tokens

    /// Creates a bearer token for a user and returns it in clear once; only its hash is stored. Users create
    /// their own tokens; only an admin creates one for someone else.
    public func createToken(userId: Int64, label: String, actorId: Int64) throws -> (token: APIToken, secret: String) {
        try writer.write { db in
            guard let user = try User.fetchOne(db, key: userId), user.isActive else { throw CRMError.notFound("user #\(userId)") }
            _ = try requireActor(db, actorId, actorId == userId ? .manageOwnTokens : .manageUsers)
            var bytes = [UInt8](repeating: 0, count: 32)
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = generator.next() }
            let secret = "cd_" + bytes.map { String(format: "%02x", $0) }.joined()
            var token = APIToken(userId: userId, label: label, tokenHash: Self.hashToken(secret), createdAt: now())
            try token.insert(db)
            return (token, secret)
        }
    }

    /// Revokes a token: its owner or an admin.
    public func revokeToken(_ tokenId: Int64, actorId: Int64) throws {
        try writer.write { db in
            guard var token = try APIToken.fetchOne(db, key: tokenId) else { throw CRMError.notFound("token #\(tokenId)") }
            _ = try requireActor(db, actorId, actorId == token.userId ? .manageOwnTokens : .manageUsers)
            token.revokedAt = token.revokedAt ?? now()
            try token.update(db)
        }
    }

    public func tokens(userId: Int64? = nil) throws -> [APIToken] {
        try writer.read { db in
            var request = APIToken.order(Column("id"))
            if let userId { request = request.filter(Column("userId") == userId) }
            return try request.fetchAll(db)
        }
    }

    /// The active user a bearer token belongs to, or nil when the token is unknown, revoked or its user deleted.
    public func authenticate(token secret: String) throws -> User? {
        let hash = Self.hashToken(secret)
        return try writer.read { db in
            try User.fetchOne(db, sql: """
                SELECT user.* FROM apiToken JOIN user ON user.id = apiToken.userId
                WHERE apiToken.tokenHash = ? AND apiToken.revokedAt IS NULL AND user.deletedAt IS NULL
                """, arguments: [hash])
        }
    }

    static func hashToken(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Permission checks

    /// One write transaction acting as `actorId`, refused unless their role grants `permission`.
    func write<T>(as actorId: Int64, _ permission: Permission, _ body: (Database, User) throws -> T) throws -> T {
        try writer.write { db in try body(db, try requireActor(db, actorId, permission)) }
    }

    /// The acting user, if they exist, are active and their role grants `permission`.
    func requireActor(_ db: Database, _ actorId: Int64?, _ permission: Permission) throws -> User {
        guard let actorId else { throw CRMError.forbidden("an acting user is required to \(permission.rawValue)") }
        guard let actor = try User.fetchOne(db, key: actorId), actor.isActive else {
            throw CRMError.forbidden("user #\(actorId) does not exist or was deleted")
        }
        guard permission.isGranted(to: actor.role) else {
            throw CRMError.forbidden("\(actor.name) is \(actor.role == .agent || actor.role == .admin ? "an" : "a") \(actor.role.rawValue) and may not \(permission.rawValue)")
        }
        return actor
    }
}
