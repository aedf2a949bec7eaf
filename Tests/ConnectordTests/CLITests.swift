import Foundation
import Testing

/// The command line as an admin and agents use it: the real binary, a real store file.
@Suite(.timeLimit(.minutes(2))) struct CLITests {
    /// An admin bootstraps the team; returns the process helper acting in that store.
    func team() throws -> ConnectordProcess {
        let c = try ConnectordProcess()
        try c.ok("users", "add", "--name", "Ada Admin", "--email", "ada@ours.example", "--role", "admin")
        try c.ok("users", "add", "--as", "ada@ours.example", "--name", "Alice Agent", "--email", "alice@ours.example", "--role", "agent", "--extension", "201")
        try c.ok("users", "add", "--as", "1", "--name", "Sam Sourcer", "--email", "sam@ours.example", "--role", "sourcer")
        return c
    }

    @Test func aSourcerAddsLeadsAndTheDuplicateCheckStopsASecondCopy() throws {
        let c = try team()
        #expect(try c.ok("leads", "add", "--as", "sam@ours.example", "--name", "Müller & Söhne GmbH", "--domain", "mueller-soehne.de", "--phone", "030 1234567")
            .contains("added lead #1 Müller & Söhne GmbH"))
        let check = try c.ok("leads", "check", "--name", "Muller und Sohne", "--phone", "+49 30 1234567", "--json")
        let candidates = try JSONSerialization.jsonObject(with: Data(check.utf8)) as? [[String: Any]]
        #expect(candidates?.first?["companyId"] as? Int == 1)
        #expect((candidates?.first?["reasons"] as? [String])?.contains("same phone +49301234567") == true)

        let refused = try c.run("leads", "add", "--as", "sam@ours.example", "--name", "MÜLLER & SÖHNE", "--domain", "www.mueller-soehne.de")
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("error: likely duplicate of #1 Müller & Söhne GmbH"))
        #expect(refused.stdout.isEmpty)
        let list = try c.ok("companies", "list", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [Any])?.count == 1)

        // Forced in on purpose: the sourcer knows it is a different branch.
        try c.ok("leads", "add", "--as", "sam@ours.example", "--name", "Müller & Söhne GmbH Berlin", "--force")
        #expect(try c.ok("companies", "list").contains("Müller & Söhne GmbH Berlin"))
    }

    @Test func stageMovesAssignmentAndTheirErrorsOnTheCommandLine() throws {
        let c = try team()
        try c.ok("leads", "add", "--as", "sam@ours.example", "--name", "Acme")
        let unknown = try c.run("companies", "move", "1", "--to", "prospect", "--as", "alice@ours.example")
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "error: invalid input: unknown stage 'prospect': expected one of lead, firm, account, client, parked\n")
        let skip = try c.run("companies", "move", "1", "--to", "client", "--as", "alice@ours.example")
        #expect(skip.status == 75 && skip.stderr.contains("cannot move Acme from lead to client: stages cannot be skipped"))
        #expect(try c.ok("companies", "move", "1", "--to", "firm", "--as", "alice@ours.example", "--reason", "first call") == "Acme is now firm\n")

        let forbidden = try c.run("companies", "assign", "1", "--to", "ada@ours.example", "--as", "alice@ours.example")
        #expect(forbidden.status == 77 && forbidden.stderr.contains("may not assign and reassign companies"))
        let noActor = try c.run("companies", "move", "1", "--to", "account")
        #expect(noActor.status == 77 && noActor.stderr.contains("say who you are with --as USER"))

        let show = try c.ok("companies", "show", "1", "--json")
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(show.utf8)) as? [String: Any])
        let history = try #require(detail["stageHistory"] as? [[String: Any]])
        #expect(history.map { $0["toStage"] as? String } == ["lead", "firm"])
        #expect(history.last?["reason"] as? String == "first call")
    }

    @Test func aCSVWithABrokenRowImportsNothingAndSaysWhichLine() throws {
        let c = try team()
        let csv = try c.write("leads.csv", """
            name,domain,phone,contact,email
            Acme GmbH,acme.de,030 1111111,Anna Schmidt,anna@acme.de
            "Globex, Inc.",globex.example
            Initech,initech.example,,,
            """)
        let result = try c.run("leads", "import", csv, "--as", "sam@ours.example")
        #expect(result.status != 0)
        #expect(result.stdout.contains("line 3: expected 5 fields, found 2"))
        #expect(result.stdout.contains("nothing imported"))
        #expect(try c.ok("companies", "list", "--json").trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
            || (try JSONSerialization.jsonObject(with: Data(c.ok("companies", "list", "--json").utf8)) as? [Any])?.isEmpty == true)

        let skipped = try c.run("leads", "import", csv, "--as", "sam@ours.example", "--skip-bad-rows")
        #expect(skipped.status == 0 && skipped.stdout.contains("imported 2 leads"))
        let contacts = try c.ok("contacts", "list")
        #expect(contacts.contains("Anna Schmidt") && contacts.contains("anna@acme.de"))
    }

    @Test func notesTemplatesAndActivitiesListsAsTablesOrJSON() throws {
        let c = try team()
        try c.ok("leads", "add", "--as", "sam@ours.example", "--name", "ООО «Ромашка»", "--contact", "Ольга Петрова", "--email", "olga@romashka.example")
        try c.ok("notes", "send", "--as", "sam@ours.example", "--to", "alice@ours.example", "--about", "1", "Звонить после обеда")
        let notes = try c.ok("notes", "list", "--as", "alice@ours.example", "--unread")
        #expect(notes.contains("Звонить после обеда") && notes.contains("unread"))

        let bad = try c.run("templates", "add", "--as", "ada@ours.example", "--name", "hi", "--subject", "Hi", "--body", "Dear {{contact.firstname}}")
        #expect(bad.status == 65 && bad.stderr.contains("unknown placeholder {{contact.firstname}} in template 'hi'"))
        try c.ok("templates", "add", "--as", "ada@ours.example", "--name", "hi", "--language", "ru", "--subject", "Добрый день, {{contact.first_name}}",
                 "--body", "С уважением, {{agent.name}}")
        let rendered = try c.ok("templates", "render", "hi", "--contact", "1", "--as", "alice@ours.example")
        #expect(rendered == "Subject: Добрый день, Ольга\n\nС уважением, Alice Agent\n")

        let table = try c.ok("activities")
        #expect(table.hasPrefix("ID  WHEN"))
        #expect(try c.ok("activities", "--json").trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("["))
        let stats = try c.ok("stats", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])?["created"] as? Int == 1)
    }

    @Test func aTypoInTheConfigurationStopsStartUpNamingTheKey() throws {
        let c = try ConnectordProcess()
        let config = try c.write("bad.yaml", "http:\n  prot: 9000\ncrm:\n  defaultCountry: DE\n")
        let typo = try c.run("run", "--config", config)
        #expect(typo.status == 78)
        #expect(typo.stderr == "error: configuration error: http.prot: unknown key in \(config) (did you mean 'http.port'?)\n")

        let environment = try c.run("users", "list", environment: ["CONNECTORD_HTTP_PROT": "1"])
        #expect(environment.status == 78 && environment.stderr.contains("CONNECTORD_HTTP_PROT: unknown environment variable (did you mean CONNECTORD_HTTP_PORT?)"))

        let wrongType = try c.run("users", "list", environment: ["CONNECTORD_HTTP_PORT": "eighty"])
        #expect(wrongType.status == 78 && wrongType.stderr.contains("http.port: expected a whole number (from environment variable CONNECTORD_HTTP_PORT)"))

        let missing = try c.run("users", "list", "--config", "nowhere.yaml")
        #expect(missing.status == 78 && missing.stderr.contains("configuration file nowhere.yaml does not exist"))

        let country = try c.run("users", "list", environment: ["CONNECTORD_CRM_DEFAULT_COUNTRY": "Germany"])
        #expect(country.status == 78 && country.stderr.contains("crm.defaultCountry: invalid input: unknown default country 'Germany'"))
        // Nothing was created by the refused start-ups.
        #expect(!FileManager.default.fileExists(atPath: c.directory.appendingPathComponent("var/connectord.sqlite").path))
    }
}
