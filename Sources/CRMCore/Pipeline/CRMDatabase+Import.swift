import Foundation
import GRDB

/// The result of a lead import: what was added, what looked like a duplicate, what could not be read.
public struct LeadImportReport: Sendable, Hashable, Codable {
    public struct RowProblem: Sendable, Hashable, Codable {
        /// 1-based line in the file (the header is line 1).
        public var line: Int
        public var message: String
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }
    public struct Duplicate: Sendable, Hashable, Codable {
        public var line: Int
        public var name: String
        public var candidates: [DuplicateCandidate]
    }
    public var added: [Int64] = []
    public var duplicates: [Duplicate] = []
    public var problems: [RowProblem] = []
    /// True when nothing was written (a bad row or a duplicate stopped the import).
    public var rolledBack = false
}

/// How an import treats rows it cannot take as they are.
public struct LeadImportOptions: Sendable, Hashable {
    /// Add rows that look like duplicates anyway. Default false: they are reported and nothing is imported.
    public var forceDuplicates = false
    /// Skip duplicate rows, importing the rest. Default false.
    public var skipDuplicates = false
    /// Skip unreadable rows, importing the rest. Default false: one bad row stops the whole import.
    public var skipBadRows = false
    public init(forceDuplicates: Bool = false, skipDuplicates: Bool = false, skipBadRows: Bool = false) {
        self.forceDuplicates = forceDuplicates
        self.skipDuplicates = skipDuplicates
        self.skipBadRows = skipBadRows
    }
}

extension CRMDatabase {
    /// Imports leads in one transaction. Rows that failed to parse come in as `problems` and stop the import
    /// unless `skipBadRows`; likely duplicates stop it unless forced or skipped. Either everything asked for
    /// is written, or nothing.
    public func importLeads(_ rows: [(line: Int, lead: NewLead)], parseProblems: [LeadImportReport.RowProblem],
                            options: LeadImportOptions, actorId: Int64) throws -> LeadImportReport {
        var report = LeadImportReport(problems: parseProblems)
        if !parseProblems.isEmpty && !options.skipBadRows {
            report.rolledBack = true
            return report
        }
        struct Stop: Error {}
        do {
            try writer.write { db in
                _ = try requireActor(db, actorId, .addLead)
                for (line, lead) in rows {
                    do {
                        try db.inSavepoint {
                            if !options.forceDuplicates {
                                let candidates = try findDuplicates(db, lead.probe, limit: 5)
                                if !candidates.isEmpty {
                                    report.duplicates.append(.init(line: line, name: lead.name, candidates: candidates))
                                    return .rollback
                                }
                            }
                            let company = try insertLead(db, lead, actorId: actorId, force: true)
                            report.added.append(company.id!)
                            return .commit
                        }
                    } catch let error as CRMError {
                        report.problems.append(.init(line: line, message: error.description))
                    }
                }
                let blockedByDuplicates = !report.duplicates.isEmpty && !options.skipDuplicates
                let blockedByProblems = report.problems.count > parseProblems.count && !options.skipBadRows
                if blockedByDuplicates || blockedByProblems { throw Stop() }
            }
        } catch is Stop {
            report.added = []
            report.rolledBack = true
        }
        return report
    }
}
