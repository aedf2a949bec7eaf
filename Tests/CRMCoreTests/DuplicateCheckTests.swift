import CRMCore
import Foundation
import Testing

@Suite struct CompanyNameTests {
    @Test(arguments: [
        ("ACME, Inc.", "acme"), ("Acme Inc", "acme"), ("acme L.L.C.", "acme"), ("Müller & Söhne GmbH", "muller sohne"),
        ("ООО «Ромашка»", "ромашка"), ("ЗАО \"Ёлка\"", "елка"), ("The Widget Co., Ltd.", "the widget"), ("GmbH", "gmbh"),
    ])
    func normalisesCasePunctuationAccentsAndLegalForms(name: String, expected: String) {
        #expect(CompanyName.normalize(name) == expected)
    }

    @Test func similarityToleratesTyposAndWordOrder() {
        #expect(CompanyName.similarity("acme robotics", "robotics acme") > 0.9)
        #expect(CompanyName.similarity("acme robotics", "acme robotcs") > 0.8)
        #expect(CompanyName.similarity("acme robotics", "zenith foods") < 0.2)
    }
}

@Suite struct DuplicateCheckTests {
    @Test func sameDomainSamePhoneAndSimilarNameAreFoundWithReasons() throws {
        let f = try Fixture()
        let acme = try f.lead("Acme Robotics GmbH", domains: ["acme-robotics.de"], phones: ["030 1234567"])
        _ = try f.lead("Zenith Foods Ltd", domains: ["zenith.co.uk"])

        let byDomain = try f.database.checkDuplicates(LeadProbe(name: "Something Else", domain: "https://www.ACME-robotics.de/kontakt"))
        #expect(byDomain.map(\.companyId) == [acme])
        #expect(byDomain.first?.reasons == ["same domain acme-robotics.de"])

        // The same number written the international way.
        let byPhone = try f.database.checkDuplicates(LeadProbe(phone: "+49 (30) 123-4567"))
        #expect(byPhone.map(\.companyId) == [acme])
        #expect(byPhone.first?.reasons == ["same phone +49301234567"])

        let byName = try f.database.checkDuplicates(LeadProbe(name: "ACME Robotics, LLC"))
        #expect(byName.map(\.companyId) == [acme])
        #expect(byName.first?.reasons == ["same name"])

        let typo = try f.database.checkDuplicates(LeadProbe(name: "Acme Robotcs"))
        #expect(typo.map(\.companyId) == [acme])
        #expect(typo.first?.reasons.first?.hasPrefix("similar name") == true)

        // Everything at once scores highest; an unrelated company is not reported.
        let all = try f.database.checkDuplicates(LeadProbe(name: "Acme Robotics", domain: "acme-robotics.de", phone: "0301234567"))
        #expect(all.first?.score == 100 && all.count == 1)
        #expect(try f.database.checkDuplicates(LeadProbe(name: "Blue Ocean Shipping", domain: "blueocean.example")).isEmpty)
    }

    @Test func freeMailDomainsNeverSuggestADuplicate() throws {
        let f = try Fixture()
        _ = try f.lead("Acme", domains: ["acme.de"])
        #expect(try f.database.checkDuplicates(LeadProbe(email: "someone@gmail.com")).isEmpty)
        #expect(expectCRMError { _ = try f.lead("Gmail Corp", domains: ["gmail.com"]) } == .invalidInput("gmail.com is a free-mail domain and cannot identify a firm"))
    }

    @Test func cyrillicLegalFormsAreIgnored() throws {
        let f = try Fixture(country: "RU")
        let romashka = try f.lead("ООО «Ромашка»", phones: ["8 (495) 123-45-67"])
        #expect(try f.database.checkDuplicates(LeadProbe(name: "Ромашка ЗАО")).map(\.companyId) == [romashka])
        #expect(try f.database.checkDuplicates(LeadProbe(phone: "+7 495 1234567")).map(\.companyId) == [romashka])
    }

    @Test func addLeadRefusesALikelyDuplicateUnlessForcedAndLeavesTheStoreAsItWas() throws {
        let f = try Fixture()
        _ = try f.lead("Acme GmbH", domains: ["acme.de"])
        let before = try f.count("company")
        guard case .duplicateSuspected(let candidates) = expectCRMError({ _ = try f.lead("ACME", force: false) }) else {
            Issue.record("duplicate accepted"); return
        }
        #expect(candidates.first?.name == "Acme GmbH")
        #expect(try f.count("company") == before)
        _ = try f.lead("ACME", force: true) // a sourcer who knows better
        #expect(try f.count("company") == before + 1)
    }
}

@Suite struct PhoneNormalizerTests {
    @Test(arguments: [
        ("DE", "030 1234567", "+49301234567"), ("DE", "+49 (30) 123-4567", "+49301234567"), ("DE", "0049 30 1234567", "+49301234567"),
        ("US", "(415) 555-0134", "+14155550134"), ("US", "1-415-555-0134", "+14155550134"), ("US", "011 44 20 7946 0958", "+442079460958"),
        ("RU", "8 (495) 123-45-67", "+74951234567"), ("RU", "+7 495 123 45 67", "+74951234567"), ("GB", "020 7946 0958", "+442079460958"),
        ("DE", "tel:+49-30-1234567", "+49301234567"),
    ])
    func normalisesToE164(country: String, raw: String, expected: String) throws {
        #expect(try PhoneNormalizer(defaultCountry: country).normalize(raw) == expected)
    }

    @Test(arguments: ["201", "", "anonymous", "+0", "12", "abc123"])
    func rejectsWhatIsNotAPhoneNumber(raw: String) throws {
        #expect(try PhoneNormalizer(defaultCountry: "DE").normalize(raw) == nil)
    }

    @Test func unknownCountryIsAClearError() {
        guard case .invalidInput(let message) = expectCRMError({ _ = try PhoneNormalizer(defaultCountry: "XX") }) else { return }
        #expect(message.hasPrefix("unknown default country 'XX'"))
    }
}

@Suite struct EmailAddressTests {
    @Test(arguments: [
        ("anna@acme.de", "anna@acme.de"), ("Anna@ACME.de", "anna@acme.de"), ("  anna@acme.de\t", "anna@acme.de"),
        ("Anna Schmidt <Anna@Acme.DE>", "anna@acme.de"), ("mailto:Anna@acme.de", "anna@acme.de"), ("ольга@пример.рф", "ольга@пример.рф"),
    ])
    func normalises(raw: String, expected: String) {
        #expect(EmailAddress.normalize(raw) == expected)
    }

    @Test(arguments: ["", "anna", "anna@", "@acme.de", "an na@acme.de", "<>"])
    func rejects(raw: String) {
        #expect(EmailAddress.normalize(raw) == nil)
    }

    @Test(arguments: [("acme.de", "acme.de"), ("https://www.Acme.de/kontakt?x=1", "acme.de"), ("ACME.DE.", "acme.de"), ("www.acme.de", "acme.de"), ("acme.de:8080", "acme.de")])
    func domains(raw: String, expected: String) {
        #expect(EmailAddress.normalizeDomain(raw) == expected)
    }
}
