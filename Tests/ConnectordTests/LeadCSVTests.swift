@testable import Connectord
import CRMCore
import Testing

@Suite struct LeadCSVTests {
    @Test func quotedFieldsDoubledQuotesCRLFAndABOM() throws {
        let text = "\u{FEFF}name,domain,phone,contact,email\r\n\"Globex, Inc.\",globex.example,,\"Hank \"\"The Boss\"\" Scorpio\",hank@globex.example\r\nООО «Ромашка»,romashka.ru,8 495 1234567,,\r\n"
        let parsed = try LeadCSV.parse(text)
        #expect(parsed.problems.isEmpty)
        #expect(parsed.leads.map(\.line) == [2, 3])
        #expect(parsed.leads[0].lead.name == "Globex, Inc.")
        #expect(parsed.leads[0].lead.contact?.firstName == "Hank")
        #expect(parsed.leads[0].lead.contact?.lastName == "\"The Boss\" Scorpio")
        #expect(parsed.leads[0].lead.contact?.emails == ["hank@globex.example"])
        #expect(parsed.leads[1].lead.name == "ООО «Ромашка»" && parsed.leads[1].lead.phones == ["8 495 1234567"])
    }

    @Test func aQuotedFieldAcrossLinesKeepsTheLineNumbersOfLaterRowsRight() throws {
        let parsed = try LeadCSV.parse("name,domain\n\"Multi\nLine\",a.example\nBroken\nOk,b.example\n")
        #expect(parsed.leads.map(\.line) == [2, 5])
        #expect(parsed.problems.map(\.line) == [4])
    }

    @Test func whatCannotBeReadIsAClearError() {
        #expect(throws: CRMError.invalidInput("line 2: a quoted field is never closed")) { try LeadCSV.parse("name\n\"Acme\n") }
        #expect(throws: CRMError.invalidInput("the CSV file is empty")) { try LeadCSV.parse("") }
        #expect(throws: CRMError.invalidInput("unknown CSV column 'website' (expected name,domain,phone,contact,email)")) {
            try LeadCSV.parse("name,website\nAcme,acme.example\n")
        }
        #expect(throws: CRMError.invalidInput("the CSV header has no 'name' column (expected name,domain,phone,contact,email)")) {
            try LeadCSV.parse("domain\nacme.example\n")
        }
    }

    @Test func emptyNamesAndShortRowsAreProblemsWithTheirLines() throws {
        let parsed = try LeadCSV.parse("name,domain\n,acme.example\nOnlyOne\n\nGood,good.example\n")
        #expect(parsed.problems.map(\.line) == [2, 3])
        #expect(parsed.problems.map(\.message) == ["the name is empty", "expected 2 fields, found 1"])
        #expect(parsed.leads.map(\.lead.name) == ["Good"])
    }
}
