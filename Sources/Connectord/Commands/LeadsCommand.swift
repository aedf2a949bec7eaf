import ArgumentParser
import CRMCore
import Foundation

struct LeadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leads", abstract: "Enter leads, with a duplicate check.",
        subcommands: [Add.self, Check.self, Import.self]
    )

    struct Probe: ParsableArguments {
        @Option(help: "Company name") var name: String?
        @Option(help: "Domain or website") var domain: String?
        @Option var phone: String?
        @Option var email: String?
    }

    static func printCandidates(_ candidates: [DuplicateCandidate], context: CommandContext) throws {
        try context.output(candidates) {
            var table = Table("ID", "NAME", "STAGE", "SCORE", "REASONS")
            for candidate in candidates {
                table.add("\(candidate.companyId)", candidate.name, candidate.stage.rawValue, "\(candidate.score)", candidate.reasons.joined(separator: "; "))
            }
            return table
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List existing companies a new lead would duplicate.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var probe: Probe

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                guard probe.name != nil || probe.domain != nil || probe.phone != nil || probe.email != nil else {
                    throw CRMError.invalidInput("give at least one of --name, --domain, --phone, --email")
                }
                let candidates = try context.database.checkDuplicates(LeadProbe(name: probe.name, domain: probe.domain, phone: probe.phone, email: probe.email))
                try printCandidates(candidates, context: context)
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a lead; refused if it looks like an existing company unless --force.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Company name") var name: String
        @Option(help: "Domain or website (repeatable)") var domain: [String] = []
        @Option(help: "Switchboard phone (repeatable)") var phone: [String] = []
        @Option(help: "First contact's name") var contact: String?
        @Option(help: "First contact's email") var email: String?
        @Flag(help: "Add even if it looks like a duplicate.") var force = false

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                var newContact: NewContact?
                if contact != nil || email != nil {
                    let parts = (contact ?? "").split(separator: " ", maxSplits: 1).map(String.init)
                    newContact = NewContact(firstName: parts.first ?? (email ?? ""), lastName: parts.count > 1 ? parts[1] : "",
                                            emails: email.map { [$0] } ?? [])
                }
                let company = try context.database.addLead(NewLead(name: name, domains: domain, phones: phone, contact: newContact),
                                                           actorId: try context.actorId(), force: force)
                try context.output(company) { "added lead #\(company.id!) \(company.name)" }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import leads from CSV (header: name,domain,phone,contact,email). All or nothing unless told otherwise."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CSV file") var file: String
        @Flag(help: "Import rows that look like duplicates too.") var forceDuplicates = false
        @Flag(help: "Skip rows that look like duplicates, import the rest.") var skipDuplicates = false
        @Flag(help: "Skip unreadable rows, import the rest.") var skipBadRows = false

        func run() async throws {
            try await reportingErrors {
                let context = try await CommandContext.open(global)
                guard let data = FileManager.default.contents(atPath: file) else { throw CRMError.notFound("file \(file)") }
                guard let text = String(data: data, encoding: .utf8) else { throw CRMError.invalidInput("\(file) is not UTF-8 text") }
                let parsed = try LeadCSV.parse(text)
                let report = try context.database.importLeads(
                    parsed.leads, parseProblems: parsed.problems,
                    options: LeadImportOptions(forceDuplicates: forceDuplicates, skipDuplicates: skipDuplicates, skipBadRows: skipBadRows),
                    actorId: try context.actorId()
                )
                if global.json {
                    print(try JSONOutput.string(report))
                } else {
                    for problem in report.problems { print("line \(problem.line): \(problem.message)") }
                    for duplicate in report.duplicates {
                        print("line \(duplicate.line): \(duplicate.name) looks like " + duplicate.candidates.map {
                            "#\($0.companyId) \($0.name) (\($0.score): \($0.reasons.joined(separator: ", ")))"
                        }.joined(separator: "; "))
                    }
                    print(report.rolledBack
                          ? "nothing imported: fix the rows above, or pass --skip-bad-rows / --skip-duplicates / --force-duplicates"
                          : "imported \(report.added.count) leads")
                }
                if report.rolledBack { throw ExitCode(65) }
            }
        }
    }
}

/// Reads lead CSV files (RFC 4180: quoted fields, doubled quotes, CRLF or LF). Columns by header name.
enum LeadCSV {
    static let columns = ["name", "domain", "phone", "contact", "email"]

    static func parse(_ text: String) throws -> (leads: [(line: Int, lead: NewLead)], problems: [LeadImportReport.RowProblem]) {
        let records = try records(text)
        guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            throw CRMError.invalidInput("the CSV file is empty")
        }
        guard header.contains("name") else { throw CRMError.invalidInput("the CSV header has no 'name' column (expected \(columns.joined(separator: ",")))") }
        if let unknown = header.first(where: { !columns.contains($0) }) {
            throw CRMError.invalidInput("unknown CSV column '\(unknown)' (expected \(columns.joined(separator: ",")))")
        }
        var leads: [(Int, NewLead)] = []
        var problems: [LeadImportReport.RowProblem] = []
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard record.fields.count == header.count else {
                problems.append(LeadImportReport.RowProblem(line: record.line, message: "expected \(header.count) fields, found \(record.fields.count)"))
                continue
            }
            var value: [String: String] = [:]
            for (key, field) in zip(header, record.fields) { value[key] = field.trimmingCharacters(in: .whitespaces) }
            let name = value["name"] ?? ""
            guard !name.isEmpty else { problems.append(LeadImportReport.RowProblem(line: record.line, message: "the name is empty")); continue }
            var contact: NewContact?
            let contactName = value["contact"] ?? "", email = value["email"] ?? ""
            if !contactName.isEmpty || !email.isEmpty {
                let parts = contactName.split(separator: " ", maxSplits: 1).map(String.init)
                contact = NewContact(firstName: parts.first ?? email, lastName: parts.count > 1 ? parts[1] : "", emails: email.isEmpty ? [] : [email])
            }
            let domain = value["domain"] ?? "", phone = value["phone"] ?? ""
            leads.append((record.line, NewLead(name: name, domains: domain.isEmpty ? [] : [domain], phones: phone.isEmpty ? [] : [phone], contact: contact)))
        }
        return (leads, problems)
    }

    struct Record { var line: Int; var fields: [String] }

    static func records(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1, recordLine = 1
        var chars = Array(text)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var index = chars.startIndex
        while index < chars.endIndex {
            let char = chars[index]
            if inQuotes {
                if char == "\"" {
                    if index + 1 < chars.endIndex, chars[index + 1] == "\"" { field.append("\""); index += 1 } else { inQuotes = false }
                } else {
                    if char == "\n" || char == "\r\n" { line += 1 }
                    field.append(char)
                }
            } else if char == "\"" && field.isEmpty {
                inQuotes = true
            } else if char == "," {
                fields.append(field); field = ""
            } else if char == "\n" || char == "\r\n" || char == "\r" {
                fields.append(field); field = ""
                records.append(Record(line: recordLine, fields: fields)); fields = []
                line += 1; recordLine = line
            } else {
                field.append(char)
            }
            index += 1
        }
        if inQuotes { throw CRMError.invalidInput("line \(recordLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { fields.append(field); records.append(Record(line: recordLine, fields: fields)) }
        return records
    }
}
