import Foundation

/// Google's own documents the fake is built from (copied from the project's reference folder with their licence):
/// the Calendar v3 discovery document (parameters, their types, enums and minimums) and the documented error bodies.
enum GoogleDocuments {
    struct Parameter: Sendable {
        var type: String
        var repeated: Bool
        var minimum: Int?
        var allowed: [String]?
    }

    /// `events.list`'s query parameters as the discovery document declares them.
    static let eventsListParameters: [String: Parameter] = loadParameters(method: "list")
    static let eventsInsertParameters: [String: Parameter] = loadParameters(method: "insert")

    /// Documented error bodies by key (`410_fullSyncRequired`, `403_quotaExceeded_calendarUsageLimits` …).
    static let errorBodies: [String: FakeJSON] = {
        guard let url = Bundle.module.url(forResource: "calendar-error-bodies", withExtension: "json", subdirectory: "Google"),
              let data = try? Data(contentsOf: url), let json = try? JSONDecoder().decode(FakeJSON.self, from: data), let object = json.object else {
            fatalError("GoogleTestSupport: Google/calendar-error-bodies.json is missing from the bundle")
        }
        return object
    }()

    static func errorBody(_ key: String) -> FakeJSON {
        guard let body = errorBodies[key] else { fatalError("no documented error body \(key)") }
        return body
    }

    private static func loadParameters(method: String) -> [String: Parameter] {
        guard let url = Bundle.module.url(forResource: "calendar.v3", withExtension: "json", subdirectory: "Google"),
              let data = try? Data(contentsOf: url), let json = try? JSONDecoder().decode(FakeJSON.self, from: data),
              let parameters = json["resources"]?["events"]?["methods"]?[method]?["parameters"]?.object else {
            fatalError("GoogleTestSupport: Google/calendar.v3.json is missing from the bundle")
        }
        var result: [String: Parameter] = [:]
        for (name, spec) in parameters where spec["location"]?.string == "query" {
            result[name] = Parameter(
                type: spec["type"]?.string ?? "string", repeated: spec["repeated"]?.bool ?? false,
                minimum: spec["minimum"]?.string.flatMap { Int($0) }, allowed: spec["enum"]?.array?.compactMap(\.string))
        }
        return result
    }
}
