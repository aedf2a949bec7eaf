import Foundation
import GRDB

/// A participant after normalisation, split into colleagues and customers.
struct NormalizedParticipants: Sendable {
    var phones: [String] = []
    var emails: [String] = []
    var colleagues: [Int64] = []
    var blocked = 0
    var unreadable: [String] = []
    var isEmpty: Bool { phones.isEmpty && emails.isEmpty }
}

/// Where the matching rules put an activity.
struct Resolution: Sendable {
    struct Candidate: Sendable { var companyId: Int64; var contactId: Int64?; var reason: String }
    var status: MatchStatus
    var companyId: Int64?
    var contactId: Int64?
    var candidates: [Candidate] = []
}

/// The matching rules of DESIGN.md, run inside one database transaction (make one per transaction). The
/// colleagues' addresses are read once; the lookups are statements prepared once, on indexed columns:
/// capture runs this for every call, email and meeting.
final class Matcher {
    let policy: MatchingPolicy
    /// All colleagues' addresses when preloaded (a capture batch), else looked up one by one (a single identify).
    private let colleagues: [String: Int64]?
    private let byColleague: HotStatement
    /// Companies active in this transaction and when, written by ``flushLastActivity(_:)``.
    private var lastActivity: [Int64: Date] = [:]
    private let byContactPhone: HotStatement
    private let byCompanyPhone: HotStatement
    private let byContactEmail: HotStatement
    private let byDomain: HotStatement
    private let companyOfContact: HotStatement
    /// Answers of the colleague, contact-email and domain lookups, when the transaction changes none of those tables
    /// (the responder's: it looks the sender up for its decision, then capture looks up the same addresses again).
    private var remembered: RememberedLookups?

    init(policy: MatchingPolicy, db: Database, preloadColleagues: Bool, rememberLookups: Bool = false) throws {
        self.policy = policy
        remembered = rememberLookups ? RememberedLookups() : nil
        if preloadColleagues {
            var colleagues: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, value, userId FROM userAddress") {
                colleagues[(row[0] as String) + ":" + (row[1] as String)] = row[2]
            }
            self.colleagues = colleagues
        } else {
            self.colleagues = nil
        }
        byColleague = try HotStatement(db, sql: "SELECT userId FROM userAddress WHERE kind = ? AND value = ?")
        byContactPhone = try HotStatement(db, sql: "SELECT companyId, contactId FROM contactPhone WHERE phone = ? ORDER BY contactId")
        byCompanyPhone = try HotStatement(db, sql: "SELECT companyId FROM companyPhone WHERE phone = ? ORDER BY companyId")
        byContactEmail = try HotStatement(db, sql: "SELECT companyId, contactId FROM contactEmail WHERE email = ? ORDER BY contactId")
        byDomain = try HotStatement(db, sql: "SELECT companyId FROM companyDomain WHERE domain = ?")
        companyOfContact = try HotStatement(db, sql: "SELECT companyId FROM contact WHERE id = ?")
    }

    /// Phone numbers to E.164, emails lower-cased; colleagues (extensions, their phones, their emails, our
    /// domains) and blocklisted addresses are set aside.
    func normalize(_ db: Database, _ participants: [CapturedActivity.Participant]) throws -> NormalizedParticipants {
        var result = NormalizedParticipants()
        for participant in participants {
            switch participant {
            case .phone(let raw):
                let digits = raw.filter(\.isNumber)
                if !digits.isEmpty, digits.count < 7, raw.allSatisfy({ $0.isNumber || $0 == "*" || $0 == "#" }) {
                    if let user = try colleague(.extension, digits) { append(user, to: &result.colleagues) }
                    continue // an extension nobody has: a queue or ring group, not a customer
                }
                guard let e164 = policy.phones.normalize(raw) else { result.unreadable.append(raw); continue }
                if let user = try colleague(.phone, e164) {
                    append(user, to: &result.colleagues)
                } else if !result.phones.contains(e164) {
                    result.phones.append(e164)
                }
            case .email(let raw):
                guard let email = EmailAddress.normalize(raw) else { result.unreadable.append(raw); continue }
                if let user = try colleague(.email, email) {
                    append(user, to: &result.colleagues)
                } else if let domain = EmailAddress.domain(of: email), policy.isOwn(domain) {
                    continue // a colleague without a user (a shared mailbox of ours)
                } else if policy.isBlocked(email: email) {
                    result.blocked += 1
                } else if !result.emails.contains(email) {
                    result.emails.append(email)
                }
            }
        }
        return result
    }

    private func append(_ id: Int64, to list: inout [Int64]) { if !list.contains(id) { list.append(id) } }

    /// The colleague with that extension, phone or email.
    func colleague(_ kind: UserAddress.Kind, _ value: String) throws -> Int64? {
        if let colleagues { return colleagues[kind.rawValue + ":" + value] }
        guard remembered != nil else { return try byColleague.fetchInt64(kind.rawValue, value) }
        let key = kind.rawValue + ":" + value
        if let known = remembered?.colleagues[key] { return known }
        let user = try byColleague.fetchInt64(kind.rawValue, value)
        remembered?.colleagues[key] = .some(user)
        return user
    }

    /// The (company, contact) pairs with that exact email, in contact order.
    private func contacts(withEmail email: String) throws -> [(companyId: Int64, contactId: Int64?)] {
        if let known = remembered?.contactsByEmail[email] { return known }
        var found: [(companyId: Int64, contactId: Int64?)] = []
        try byContactEmail.forEachRow(email) { row in found.append((row.int64(0)!, row.int64(1))) }
        remembered?.contactsByEmail[email] = found
        return found
    }

    /// The companies with that domain.
    private func companies(withDomain domain: String) throws -> [Int64] {
        if let known = remembered?.companiesByDomain[domain] { return known }
        var found: [Int64] = []
        try byDomain.forEachRow(domain) { row in found.append(row.int64(0)!) }
        remembered?.companiesByDomain[domain] = found
        return found
    }

    /// The company of a contact; nil when there is no such contact.
    func company(ofContact contactId: Int64) throws -> Int64? { try companyOfContact.fetchInt64(contactId) }

    func noteActivity(companyId: Int64, at date: Date) {
        if let known = lastActivity[companyId], known >= date { return }
        lastActivity[companyId] = date
    }

    /// Writes the newest activity time of every company filed in this transaction.
    func flushLastActivity(_ db: Database) throws {
        let update = try db.cachedStatement(sql: "UPDATE company SET lastActivityAt = ?1 WHERE id = ?2 AND (lastActivityAt IS NULL OR lastActivityAt < ?1)")
        for (companyId, date) in lastActivity { try update.execute(arguments: [DatabaseDate.string(date), companyId]) }
        lastActivity.removeAll()
    }

    /// Exact phone/email of a contact first; failing that, a company's own number or a firm domain. Several
    /// companies: the one the agent owns, then the most recently active; still a tie → review.
    func resolve(_ db: Database, _ participants: NormalizedParticipants, agentId: Int64?) throws -> Resolution {
        var exact: [Resolution.Candidate] = []
        var loose: [Resolution.Candidate] = []
        for phone in participants.phones {
            let found = exact.count
            try byContactPhone.forEachRow(phone) { row in
                exact.append(.init(companyId: row.int64(0)!, contactId: row.int64(1), reason: "contact phone \(phone)"))
            }
            if exact.count == found {
                try byCompanyPhone.forEachRow(phone) { row in
                    loose.append(.init(companyId: row.int64(0)!, contactId: nil, reason: "company phone \(phone)"))
                }
            }
        }
        for email in participants.emails {
            let found = exact.count
            for contact in try contacts(withEmail: email) {
                exact.append(.init(companyId: contact.companyId, contactId: contact.contactId, reason: "contact email \(email)"))
            }
            if exact.count == found, let domain = EmailAddress.domain(of: email), policy.isFirmDomain(domain) {
                for companyId in try companies(withDomain: domain) {
                    loose.append(.init(companyId: companyId, contactId: nil, reason: "domain \(domain)"))
                }
            }
        }

        // One candidate per company, keeping the first (best) contact found for it.
        var seen: Set<Int64> = []
        let candidates = (exact.isEmpty ? loose : exact).filter { seen.insert($0.companyId).inserted }
        switch candidates.count {
        case 0:
            return Resolution(status: .unmatched)
        case 1:
            return Resolution(status: .matched, companyId: candidates[0].companyId, contactId: candidates[0].contactId)
        default:
            if let winner = try tieBreak(db, candidates, agentId: agentId) {
                return Resolution(status: .matched, companyId: winner.companyId, contactId: winner.contactId, candidates: candidates)
            }
            return Resolution(status: .review, candidates: candidates)
        }
    }

    private func tieBreak(_ db: Database, _ candidates: [Resolution.Candidate], agentId: Int64?) throws -> Resolution.Candidate? {
        let ids = candidates.map(\.companyId)
        let rows = try Row.fetchAll(db, sql: "SELECT id, ownerId, lastActivityAt FROM company WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
        var pool = candidates
        if let agentId {
            let owned = Set(rows.filter { ($0["ownerId"] as Int64?) == agentId }.map { $0["id"] as Int64 })
            let mine = candidates.filter { owned.contains($0.companyId) }
            if mine.count == 1 { return mine[0] }
            if mine.count > 1 { pool = mine }
        }
        // Activity filed earlier in this transaction counts too (it is written at the end).
        let activity = Dictionary(uniqueKeysWithValues: rows.map { row -> (Int64, Date?) in
            let id: Int64 = row["id"]
            let stored: Date? = row["lastActivityAt"]
            return (id, [stored, lastActivity[id]].compactMap { $0 }.max())
        })
        let dated = pool.compactMap { candidate in activity[candidate.companyId].flatMap { $0 }.map { (candidate, $0) } }
        guard let newest = dated.max(by: { $0.1 < $1.1 }) else { return nil }
        return dated.filter({ $0.1 == newest.1 }).count == 1 ? newest.0 : nil
    }
}

/// What a ``Matcher`` looked up, kept for the rest of its transaction (``Matcher/init(policy:db:preloadColleagues:rememberLookups:)``).
private struct RememberedLookups {
    /// `kind:value` → the colleague, or `.some(nil)`: nobody.
    var colleagues: [String: Int64?] = [:]
    var contactsByEmail: [String: [(companyId: Int64, contactId: Int64?)]] = [:]
    var companiesByDomain: [String: [Int64]] = [:]
}
