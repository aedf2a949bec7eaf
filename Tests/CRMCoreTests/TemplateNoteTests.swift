import CRMCore
import Foundation
import Testing

@Suite struct TemplateTests {
    @Test func rendersUTF8PlaceholdersInTheContactsLanguage() throws {
        let f = try Fixture(country: "RU")
        let romashka = try f.lead("ООО «Ромашка»")
        let olga = try f.database.addContact(companyId: romashka, NewContact(firstName: "Ольга", lastName: "Петрова", language: "RU"), actorId: f.sam).id!
        let chloe = try f.database.addContact(companyId: romashka, NewContact(firstName: "Chloé", lastName: "Dubois", language: "fr"), actorId: f.sam).id!
        try f.database.addTemplate(name: "follow-up", language: "en", subject: "Following up, {{contact.first_name}}",
                                   body: "Dear {{contact.full_name}},\nthanks for your time. — {{agent.name}}, {{company.name}}", actorId: f.admin)
        try f.database.addTemplate(name: "follow-up", language: "ru", subject: "{{contact.first_name}}, по нашему разговору",
                                   body: "Здравствуйте, {{ contact.first_name }} {{contact.last_name}}! С уважением, {{agent.name}} ({{agent.extension}})", actorId: f.admin)

        let russian = try f.database.render(template: "follow-up", contactId: olga, agentId: f.alice)
        #expect(russian.language == "ru")
        #expect(russian.subject == "Ольга, по нашему разговору")
        #expect(russian.body == "Здравствуйте, Ольга Петрова! С уважением, Alice Agent (201)")

        // No French version: the fallback language, accents intact.
        let french = try f.database.render(template: "follow-up", contactId: chloe, agentId: f.alice)
        #expect(french.language == "en")
        #expect(french.subject == "Following up, Chloé")
        #expect(french.body == "Dear Chloé Dubois,\nthanks for your time. — Alice Agent, ООО «Ромашка»")
    }

    @Test("every placeholder the chosen version names is filled from the store; a version naming few renders the same without the rest")
    func everyNamedPlaceholderIsFilled() throws {
        let f = try Fixture()
        let acme = try f.database.addLead(NewLead(name: "Acme GmbH", website: "https://acme.example"), actorId: f.sam, force: true).id!
        let anna = try f.database.addContact(companyId: acme, NewContact(firstName: "Anna", lastName: "Schmidt", title: "CTO", language: "de",
                                                                        phones: ["030 1234567"], emails: ["anna@acme.example"]), actorId: f.sam).id!
        let ben = try f.database.addContact(companyId: acme, NewContact(firstName: "Ben", language: "en"), actorId: f.sam).id!
        try f.database.addTemplate(name: "all", language: "de", subject: "{{contact.title}} {{contact.full_name}}",
                                   body: "{{contact.first_name}}|{{contact.last_name}}|{{contact.email}}|{{contact.phone}}|{{company.name}}|{{company.website}}|"
                                       + "{{agent.name}}|{{agent.first_name}}|{{agent.email}}|{{agent.phone}}|{{agent.extension}}", actorId: f.admin)
        try f.database.addTemplate(name: "all", language: "en", subject: "Hi {{contact.first_name}}", body: "From {{company.website}}", actorId: f.admin)

        let full = try f.database.render(template: "all", contactId: anna, agentId: f.alice)
        #expect(full.subject == "CTO Anna Schmidt")
        #expect(full.body == "Anna|Schmidt|anna@acme.example|+49301234567|Acme GmbH|https://acme.example|Alice Agent|Alice|alice@ours.example|+491710000201|201")
        // The English version names the website only (not the name): it is still read, and nothing else is needed.
        let few = try f.database.render(template: "all", contactId: ben, agentId: f.alice)
        #expect(few.subject == "Hi Ben")
        #expect(few.body == "From https://acme.example")
    }

    @Test func anUnknownPlaceholderFailsClearlyAndIsNotSaved() throws {
        let f = try Fixture()
        let error = expectCRMError {
            _ = try f.database.addTemplate(name: "oops", subject: "Hi", body: "Dear {{contact.frist_name}}", actorId: f.admin)
        }
        #expect(error == .unknownPlaceholder("contact.frist_name", template: "oops"))
        #expect(error?.description.hasPrefix("unknown placeholder {{contact.frist_name}} in template 'oops'; known: contact.first_name") == true)
        #expect(try f.database.templates().isEmpty)
        #expect(expectCRMError { _ = try TemplateRenderer.render("Hi {{agent.name", template: "t", values: [:]) } == .invalidInput("template 't' has an unclosed '{{'"))
    }

    /// The renderer cuts the text on its UTF-8 bytes: characters of any width around and next to a placeholder, and
    /// spaces inside its braces, come out whole.
    @Test func placeholdersAmidMultiByteText() throws {
        let values = ["contact.first_name": "Zoë", "company.name": "ООО «Ромашка» 🌼"]
        #expect(try TemplateRenderer.render("Здравствуйте,{{contact.first_name}}!🌼{{ company.name\t}}é{{agent.name}}", template: "t", values: values)
                == "Здравствуйте,Zoë!🌼ООО «Ромашка» 🌼é")
        #expect(try TemplateRenderer.render("{ {single} }} {{contact.first_name}}}", template: "t", values: values) == "{ {single} }} Zoë}")
        #expect(try TemplateRenderer.placeholders(in: "ü{{company.name}}ß{{ contact.first_name }}{{company.name}}", template: "t")
                == ["company.name", "contact.first_name"])
        #expect(expectCRMError { _ = try TemplateRenderer.render("日本{{日本}}", template: "t", values: [:]) } == .unknownPlaceholder("日本", template: "t"))
        #expect(expectCRMError { _ = try TemplateRenderer.render("x {{contact.first_name}", template: "t", values: [:] ) }
                == .invalidInput("template 't' has an unclosed '{{'"))
    }

    @Test func onlyAnAdminManagesTemplates() throws {
        let f = try Fixture()
        guard case .forbidden = expectCRMError({ _ = try f.database.addTemplate(name: "x", subject: "s", body: "b", actorId: f.alice) }) else { return }
    }
}

@Suite struct NoteTests {
    @Test func aNoteReachesItsRecipientUnreadUntilTheyReadIt() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme")
        let note = try f.database.sendNote(to: f.bob, about: acme, body: "Anna prefers calls after 3 pm", actorId: f.alice)
        #expect(try f.database.notes(for: f.bob, unreadOnly: true).map(\.id) == [note.id])
        #expect(try f.database.notes(for: f.alice).isEmpty)
        // Only Bob marks his note read.
        guard case .forbidden = expectCRMError({ try f.database.markNoteRead(note.id!, actorId: f.alice) }) else { return }
        try f.database.markNoteRead(note.id!, actorId: f.bob)
        #expect(try f.database.notes(for: f.bob, unreadOnly: true).isEmpty)
        let stored = try #require(f.database.notes(for: f.bob).first)
        #expect(stored.companyId == acme && stored.fromUserId == f.alice && stored.readAt != nil)
    }
}

@Suite struct LeadImportTests {
    func rows(_ names: [String], domains: [String]) -> [(line: Int, lead: NewLead)] {
        zip(names, domains).enumerated().map { (index, pair) in (line: index + 2, lead: NewLead(name: pair.0, domains: [pair.1])) }
    }

    @Test func aBadRowImportsNothingUnlessSkipped() throws {
        let f = try Fixture()
        let problem = LeadImportReport.RowProblem(line: 3, message: "expected 5 fields, found 2")
        let report = try f.database.importLeads(rows(["Acme", "Globex"], domains: ["acme.de", "globex.de"]), parseProblems: [problem],
                                                options: LeadImportOptions(), actorId: f.sam)
        #expect(report.rolledBack && report.added.isEmpty && report.problems == [problem])
        #expect(try f.count("company") == 0)

        let skipped = try f.database.importLeads(rows(["Acme", "Globex"], domains: ["acme.de", "globex.de"]), parseProblems: [problem],
                                                 options: LeadImportOptions(skipBadRows: true), actorId: f.sam)
        #expect(!skipped.rolledBack && skipped.added.count == 2)
        #expect(try f.count("company") == 2)
    }

    @Test func aDuplicateRowIsReportedAndStopsTheImportUnlessForcedOrSkipped() throws {
        let f = try Fixture()
        _ = try f.lead("Acme GmbH", domains: ["acme.de"])
        let input = rows(["Initech", "ACME", "Globex"], domains: ["initech.de", "acme.de", "globex.de"])
        let report = try f.database.importLeads(input, parseProblems: [], options: LeadImportOptions(), actorId: f.sam)
        #expect(report.rolledBack)
        #expect(report.duplicates.map(\.line) == [3])
        #expect(report.duplicates.first?.candidates.first?.name == "Acme GmbH")
        #expect(try f.count("company") == 1) // Initech was not half-imported

        let skipping = try f.database.importLeads(input, parseProblems: [], options: LeadImportOptions(skipDuplicates: true), actorId: f.sam)
        #expect(skipping.added.count == 2 && skipping.duplicates.count == 1)
        #expect(try f.database.companies().map(\.name) == ["Acme GmbH", "Initech", "Globex"])
    }

    @Test func aRowTheCoreRefusesIsReportedWithItsLine() throws {
        let f = try Fixture()
        let report = try f.database.importLeads([(line: 2, lead: NewLead(name: "Freemail Inc", domains: ["gmail.com"]))], parseProblems: [],
                                                options: LeadImportOptions(), actorId: f.sam)
        #expect(report.rolledBack)
        #expect(report.problems == [.init(line: 2, message: "invalid input: gmail.com is a free-mail domain and cannot identify a firm")])
        #expect(try f.count("company") == 0)
    }
}
