import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `connectord run` as a service: health, metrics, and the token-authenticated API with its role checks.
@Suite(.timeLimit(.minutes(2))) struct HTTPAPITests {
    struct Reply {
        var status: Int
        var body: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    func request(_ daemon: RunningDaemon, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(daemon.port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    @Test func tokensAndRolesGuardTheAPI() async throws {
        let c = try ConnectordProcess()
        try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@ours.example", "--role", "admin")
        try c.ok("users", "add", "--as", "1", "--name", "Alice Agent", "--email", "alice@ours.example", "--role", "agent", "--extension", "201")
        try c.ok("users", "add", "--as", "1", "--name", "Bob Agent", "--email", "bob@ours.example", "--role", "agent")
        try c.ok("leads", "add", "--as", "1", "--name", "Acme", "--domain", "acme.example")
        let adminToken = try c.ok("users", "token-create", "ada@ours.example", "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
        let aliceToken = try c.ok("users", "token-create", "alice@ours.example", "--as", "alice@ours.example").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(adminToken.hasPrefix("cd_") && adminToken != aliceToken)
        // An agent cannot mint tokens for someone else, and nobody mints one without saying who they are.
        let stolen = try c.run("users", "token-create", "bob@ours.example", "--as", "alice@ours.example")
        #expect(stolen.status == 77)
        let anonymous = try c.run("users", "token-create", "ada@ours.example")
        #expect(anonymous.status == 77 && anonymous.stderr.contains("say who you are with --as USER"))
        // The store keeps hashes only: the token text appears nowhere in it.
        let storeBytes = try Data(contentsOf: c.directory.appendingPathComponent("var/connectord.sqlite"))
        #expect(storeBytes.range(of: Data(aliceToken.utf8)) == nil)

        let daemon = try RunningDaemon(c)
        #expect(try await request(daemon, .GET, "/healthz").body == #"{"status":"ok"}"#)

        // No token, a wrong token, a malformed header: 401.
        #expect(try await request(daemon, .GET, "/api/activities").status == 401)
        #expect(try await request(daemon, .GET, "/api/activities", token: "cd_0000").status == 401)
        var malformed = HTTPClientRequest(url: "http://127.0.0.1:\(daemon.port)/api/activities")
        malformed.headers.add(name: "Authorization", value: "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        #expect(try await HTTPClient.shared.execute(malformed, timeout: .seconds(10)).status.code == 401)

        // An agent reads activities and statistics, and works a lead…
        let me = try await request(daemon, .GET, "/api/me", token: aliceToken)
        #expect((me.json as? [String: Any])?["email"] as? String == "alice@ours.example")
        #expect(try await request(daemon, .GET, "/api/activities?limit=5", token: aliceToken).status == 200)
        let stats = try await request(daemon, .GET, "/api/stats?from=2020-01-01", token: aliceToken)
        #expect(stats.status == 200 && (stats.json as? [String: Any])?["created"] as? Int == 1)
        let moved = try await request(daemon, .POST, "/api/companies/1/stage", token: aliceToken, body: #"{"to":"firm","reason":"first call"}"#)
        #expect(moved.status == 200 && (moved.json as? [String: Any])?["ownerId"] as? Int == 2)
        let skipped = try await request(daemon, .POST, "/api/companies/1/stage", token: aliceToken, body: #"{"to":"client"}"#)
        #expect(skipped.status == 409 && skipped.body.contains("stages cannot be skipped"))
        #expect(try await request(daemon, .GET, "/api/activities?from=yesterday", token: aliceToken).status == 400)

        // …but may not do what only an admin may: 403.
        let assign = try await request(daemon, .POST, "/api/companies/1/assign", token: aliceToken, body: #"{"agent":3}"#)
        #expect(assign.status == 403 && assign.body.contains("may not assign and reassign companies"))
        #expect(try await request(daemon, .DELETE, "/api/users/3", token: aliceToken).status == 403)

        // The admin may.
        let reassigned = try await request(daemon, .POST, "/api/companies/1/assign", token: adminToken, body: #"{"agent":3,"reason":"Alice on leave"}"#)
        #expect(reassigned.status == 200 && (reassigned.json as? [String: Any])?["ownerId"] as? Int == 3)
        #expect(try await request(daemon, .DELETE, "/api/users/2", token: adminToken).status == 204)
        // A deleted user's token stops working at once; so does a revoked one.
        #expect(try await request(daemon, .GET, "/api/me", token: aliceToken).status == 401)
        try c.ok("users", "token-revoke", "1", "--as", "1")
        #expect(try await request(daemon, .GET, "/api/me", token: adminToken).status == 401)

        let metrics = try await request(daemon, .GET, "/metrics")
        #expect(metrics.status == 200 && metrics.body.contains("hb_requests"))

        // SIGTERM: a clean, prompt exit.
        #expect(daemon.stop() == 0)
    }

    @Test func hostileBodiesGetA4xxAndTheDaemonCarriesOn() async throws {
        let c = try ConnectordProcess()
        try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@ours.example", "--role", "admin")
        try c.ok("leads", "add", "--as", "1", "--name", "Acme")
        let token = try c.ok("users", "token-create", "1", "--as", "1").trimmingCharacters(in: .whitespacesAndNewlines)
        let daemon = try RunningDaemon(c)
        let bodies = ["", "{", "null", "[]", #"{"to": 42}"#, #"{"to":"firm\u0000"}"#, String(repeating: "[", count: 100_000),
                      #"{"agent":"1; DROP TABLE company"}"#, String(repeating: "x", count: 3 << 20)]
        for body in bodies {
            for path in ["/api/companies/1/stage", "/api/companies/1/assign", "/api/companies/abc/stage"] {
                let reply = try await request(daemon, .POST, path, token: token, body: body)
                #expect((400..<500).contains(reply.status), "\(path) \(body.prefix(40)): \(reply.status)")
            }
        }
        // Nothing was changed, and the daemon still answers.
        #expect(try await request(daemon, .GET, "/healthz").status == 200)
        let companies = try await request(daemon, .GET, "/api/companies", token: token)
        #expect((companies.json as? [[String: Any]])?.first?["stage"] as? String == "lead")
        #expect(daemon.stop() == 0)
    }

    @Test func theDaemonStopsCleanlyOnSIGINTToo() async throws {
        let c = try ConnectordProcess()
        let daemon = try RunningDaemon(c)
        #expect(try await request(daemon, .GET, "/healthz").status == 200)
        kill(daemon.process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while daemon.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!daemon.process.isRunning && daemon.process.terminationStatus == 0)
    }
}
