import Foundation

/// An HTTP answer of the fake.
struct FakeAnswer: Sendable {
    var status: Int
    var body: FakeJSON?
    var headers: [(String, String)] = []
    /// A body already encoded (a page of events, spliced from each event's stored JSON).
    var raw: [UInt8]? = nil

    static func error(_ key: String, headers: [(String, String)] = []) -> FakeAnswer {
        let body = GoogleDocuments.errorBody(key)
        var status = 400
        if case .number(let code)? = body["error"]?["code"] { status = Int(code) }
        return FakeAnswer(status: status, body: body, headers: headers)
    }

    /// A 400 in Google's error shape for the validation rules the error guide does not spell out a body for.
    static func badRequest(_ message: String, reason: String = "invalid", location: String? = nil) -> FakeAnswer {
        var item: FakeJSON = ["domain": "global", "reason": .string(reason), "message": .string(message)]
        if let location { item["locationType"] = "parameter"; item["location"] = .string(location) }
        return FakeAnswer(status: 400, body: ["error": ["errors": [item], "code": 400, "message": .string(message)]])
    }
}

/// The calendars of the fake, and Calendar v3's rules over them (`../shared/google` README §1 and §6).
struct FakeCalendarStore: Sendable {
    struct Stored: Sendable {
        var body: FakeJSON
        /// The change sequence of the last write; incremental syncs return what changed after their token.
        var sequence: Int
        /// Deleted: listed only as a tombstone in incremental syncs (and with showDeleted).
        var deleted: Bool
        /// Worked out once per write, not once per listing: a 20,000-event calendar is listed in eight pages, and
        /// the fake's own cost is part of what the calendar benchmark measures.
        let start: Date?
        let end: Date?
        let json: [UInt8]

        init(body: FakeJSON, sequence: Int, deleted: Bool) {
            self.body = body
            self.sequence = sequence
            self.deleted = deleted
            start = FakeTime.moment(body["start"])
            end = FakeTime.moment(body["end"])
            json = Array(body.encoded())
        }
    }

    struct Calendar: Sendable {
        var owner: String
        var timeZone: String
        var events: [String: Stored] = [:]
        /// Insertion order: listing order is stable, as Google's "unspecified, stable order".
        var order: [String] = []
    }

    var calendars: [String: Calendar] = [:]
    var sequence = 0
    /// Sync tokens issued before this sequence answer 410 (the server invalidated them).
    var tokensValidFrom = 0
    /// Insert an empty page (with a nextPageToken) before every page of results.
    var emptyPages = false
    /// Misbehave: answer a page token with the same token (a client must not page forever).
    var repeatPageTokens = false

    // MARK: Writes

    /// Stores `event` in `owner`'s calendar and, as Google does with invitations, a copy in the calendar of every
    /// attendee the fake knows, with `self` set for that calendar's owner.
    mutating func put(_ event: FakeJSON, in owner: String) {
        guard let id = event["id"]?.string else { return }
        sequence += 1
        write(event, id: id, in: owner, deleted: false)
        for attendee in event["attendees"]?.array ?? [] {
            guard let email = attendee["email"]?.string?.lowercased(), email != owner, calendars[email] != nil else { continue }
            write(event, id: id, in: email, deleted: false)
        }
    }

    /// Deletes an event (and, for a series' master, its exceptions) from its calendar and its attendees' copies.
    mutating func delete(id: String, in owner: String) {
        guard let stored = calendars[owner]?.events[id] else { return }
        sequence += 1
        var holders = [owner]
        for attendee in stored.body["attendees"]?.array ?? [] {
            if let email = attendee["email"]?.string?.lowercased(), calendars[email] != nil, email != owner { holders.append(email) }
        }
        for holder in holders {
            for (otherId, other) in calendars[holder]?.events ?? [:] where otherId == id || other.body["recurringEventId"]?.string == id {
                write(other.body, id: otherId, in: holder, deleted: true)
            }
        }
    }

    private mutating func write(_ event: FakeJSON, id: String, in owner: String, deleted: Bool) {
        guard calendars[owner] != nil else { return }
        var body = event
        body["etag"] = .string("\"\(sequence)\"")
        body["updated"] = .string(FakeTime.format(Date()))
        // The copy says whose calendar it is in.
        if var attendees = body["attendees"]?.array {
            for index in attendees.indices {
                let isOwner = attendees[index]["email"]?.string?.lowercased() == owner
                attendees[index]["self"] = isOwner ? .bool(true) : nil
            }
            body["attendees"] = .array(attendees)
        }
        if var organizer = body["organizer"] {
            organizer["self"] = organizer["email"]?.string?.lowercased() == owner ? .bool(true) : nil
            body["organizer"] = organizer
        }
        // Changed in place: copying the calendar out and back made filling a 20,000-event calendar quadratic.
        if calendars[owner]!.events[id] == nil { calendars[owner]!.order.append(id) }
        calendars[owner]!.events[id] = Stored(body: body, sequence: sequence, deleted: deleted)
    }

    // MARK: events.list

    struct PageToken: Codable {
        var query: String
        var offset: Int
        var snapshot: Int
        var emptyServed: Bool
    }

    /// `events.list` by the discovery document and the sync guide.
    func list(owner: String, query: [(String, String)]) -> FakeAnswer {
        guard let calendar = calendars[owner] else { return .error("404_notFound") }
        var values: [String: [String]] = [:]
        for (name, value) in query { values[name, default: []].append(value) }
        // Types, enums and minimums as calendar.v3.json declares them.
        for (name, list) in values {
            guard let spec = GoogleDocuments.eventsListParameters[name] else { continue }
            if list.count > 1, !spec.repeated { return .badRequest("Parameter \(name) may not be repeated.", location: name) }
            for value in list {
                switch spec.type {
                case "integer":
                    guard let number = Int(value) else { return .badRequest("Invalid value '\(value)'. Values must match the following regular expression: '-?\\d+'", location: name) }
                    if let minimum = spec.minimum, number < minimum { return .badRequest("Invalid value '\(value)' for \(name).", location: name) }
                case "boolean":
                    guard value == "true" || value == "false" else { return .badRequest("Invalid value '\(value)' for \(name).", location: name) }
                default:
                    if let allowed = spec.allowed, !allowed.contains(value) { return .badRequest("Invalid value '\(value)' for \(name).", location: name) }
                }
            }
        }
        func one(_ name: String) -> String? { values[name]?.first }
        let syncToken = one("syncToken")
        if syncToken != nil {
            for forbidden in ["iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"]
            where values[forbidden] != nil {
                return .badRequest("Sync token cannot be used with \(forbidden).", location: forbidden)
            }
            if one("showDeleted") == "false" { return .badRequest("showDeleted cannot be false with a sync token.", location: "showDeleted") }
        }
        if one("orderBy") == "startTime", one("singleEvents") != "true" {
            return .badRequest("The requested ordering is not available for the particular query.", reason: "badRequest")
        }
        if one("singleEvents") == "true" {
            return FakeAnswer(status: 501, body: ["error": ["code": 501, "message": "the fake does not expand series (singleEvents=true)"]])
        }
        var timeMin: Date?, timeMax: Date?
        if let text = one("timeMin") {
            guard let date = FakeTime.parse(text) else { return .badRequest("Bad Request", reason: "badRequest", location: "timeMin") }
            timeMin = date
        }
        if let text = one("timeMax") {
            guard let date = FakeTime.parse(text) else { return .badRequest("Bad Request", reason: "badRequest", location: "timeMax") }
            timeMax = date
        }
        if let timeMin, let timeMax, timeMin >= timeMax { return .error("400_timeRangeEmpty") }
        let pageSize = min(2500, Int(one("maxResults") ?? "250") ?? 250)
        let fingerprint = query.filter { $0.0 != "pageToken" }.map { "\($0.0)=\($0.1)" }.sorted().joined(separator: "&")

        var token = PageToken(query: fingerprint, offset: 0, snapshot: sequence, emptyServed: false)
        if let text = one("pageToken") {
            guard let data = Data(base64Encoded: text), let decoded = try? JSONDecoder().decode(PageToken.self, from: data), decoded.query == fingerprint else {
                return .badRequest("Invalid page token value.", location: "pageToken")
            }
            token = decoded
        }
        var since: Int?
        if let syncToken {
            guard let data = Data(base64Encoded: syncToken), let text = String(data: data, encoding: .utf8), text.hasPrefix("\(owner)@"),
                  let value = Int(text.dropFirst(owner.count + 1)) else {
                return .badRequest("Invalid sync token value.", location: "syncToken")
            }
            guard value >= tokensValidFrom else { return .error("410_fullSyncRequired") }
            since = value
        }

        let showDeleted = one("showDeleted") == "true"
        let types = values["eventTypes"]
        var matching: [[UInt8]] = []
        for id in calendar.order {
            guard let stored = calendar.events[id] else { continue }
            let body = stored.body
            let isException = body["recurringEventId"] != nil
            let cancelled = stored.deleted || body["status"]?.string == "cancelled"
            if let since {
                guard stored.sequence > since else { continue }
                if cancelled { matching.append(Array(Self.tombstone(body).encoded())); continue }
            } else {
                // A full list leaves deleted events out; cancelled exceptions of a series stay (sync guide, showDeleted).
                if stored.deleted, !showDeleted { continue }
                if cancelled, !isException, !showDeleted { continue }
                if let timeMin, let end = stored.end, end <= timeMin, body["recurrence"] == nil { continue }
                if let timeMax, let start = stored.start, start >= timeMax { continue }
                if cancelled { matching.append(Array(Self.tombstone(body).encoded())); continue }
            }
            if let types, !types.contains(body["eventType"]?.string ?? "default") { continue }
            matching.append(stored.json)
        }

        var page: FakeJSON = [
            "kind": "calendar#events", "etag": .string("\"p\(sequence)\""), "summary": .string(owner), "updated": .string(FakeTime.format(Date())),
            "timeZone": .string(calendar.timeZone), "accessRole": "owner", "defaultReminders": [],
        ]
        if emptyPages, !token.emptyServed, token.offset < matching.count {
            var next = token
            next.emptyServed = true
            page["items"] = []
            page["nextPageToken"] = .string(Self.encode(next))
            return FakeAnswer(status: 200, body: page)
        }
        let slice = Array(matching.dropFirst(token.offset).prefix(pageSize))
        if repeatPageTokens, let given = one("pageToken") {
            page["nextPageToken"] = .string(given)
            return FakeAnswer(status: 200, raw: Array(page.encoded()))
        }
        if token.offset + slice.count < matching.count {
            page["nextPageToken"] = .string(Self.encode(PageToken(query: fingerprint, offset: token.offset + slice.count, snapshot: token.snapshot, emptyServed: false)))
        } else {
            // The token says "everything up to the snapshot taken on the first page": what changed while the pages were
            // read comes again in the next incremental sync, so nothing is missed.
            page["nextSyncToken"] = .string(Data("\(owner)@\(token.snapshot)".utf8).base64EncodedString())
        }
        // The page's fields, then `"items":[…]` spliced in from each event's stored JSON.
        var raw = Array(page.encoded().dropLast())
        raw += Array(#","items":["#.utf8)
        for (index, item) in slice.enumerated() {
            if index > 0 { raw.append(UInt8(ascii: ",")) }
            raw += item
        }
        raw += Array("]}".utf8)
        return FakeAnswer(status: 200, raw: raw)
    }

    /// What an incremental sync says of a deleted event: only the id is guaranteed; a cancelled instance of a series
    /// also carries the series and the instance's original start.
    static func tombstone(_ body: FakeJSON) -> FakeJSON {
        var tombstone: FakeJSON = ["kind": "calendar#event", "etag": body["etag"] ?? "\"0\"", "id": body["id"] ?? "", "status": "cancelled"]
        if let series = body["recurringEventId"], let original = body["originalStartTime"] {
            tombstone["recurringEventId"] = series
            tombstone["originalStartTime"] = original
        }
        return tombstone
    }

    private static func encode(_ token: PageToken) -> String { ((try? JSONEncoder().encode(token)) ?? Data()).base64EncodedString() }
}

/// RFC 3339 for the fake (Foundation's parser; the fake is not what is measured).
enum FakeTime {
    // ISO8601DateFormatter is thread-safe; made once (a 20,000-event listing parses 40,000 times).
    nonisolated(unsafe) private static let plain: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()
    nonisolated(unsafe) private static let withFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func parse(_ text: String) -> Date? { plain.date(from: text) ?? withFraction.date(from: text) }

    static func format(_ date: Date) -> String { withFraction.string(from: date) }

    /// The moment an EventDateTime names (all-day dates at UTC midnight: close enough for the window filter).
    static func moment(_ value: FakeJSON?) -> Date? {
        if let dateTime = value?["dateTime"]?.string { return parse(dateTime) }
        if let date = value?["date"]?.string { return parse(date + "T00:00:00Z") }
        return nil
    }
}
