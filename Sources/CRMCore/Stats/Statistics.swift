import Foundation
import GRDB

/// Pipeline and activity statistics for a period, computed from the stage history (never from counters).
///
/// Definitions (also in the README):
/// - **conversion X → Y**: of the companies that entered X during the period, the share that moved X → Y by its end;
/// - **parked rate**: of the companies created during the period, the share parked by its end;
/// - **median time in stage S**: over the moves out of S during the period, the median time since entering S;
/// - **median sales cycle**: over the companies that became clients during the period, the median time from creation;
/// - **activities**: captured activities that occurred during the period, by kind.
///
/// Per agent, a company counts for the agent who owned it while it was in the stage (the owner recorded on the
/// move into it, else on the move out of it, else its current owner); activities count for their agent.
public struct PipelineStatistics: Sendable, Hashable, Codable {
    public struct Conversion: Sendable, Hashable, Codable {
        public var from: Stage
        public var to: Stage
        public var entered: Int
        public var converted: Int
        /// Nil when nothing entered.
        public var rate: Double?
    }
    public struct TimeInStage: Sendable, Hashable, Codable {
        public var stage: Stage
        public var moves: Int
        public var medianSeconds: Double?
    }
    public var from: Date
    public var to: Date
    public var agentId: Int64?
    public var conversions: [Conversion]
    public var created: Int
    public var parked: Int
    public var parkedRate: Double?
    public var timeInStage: [TimeInStage]
    public var clientsWon: Int
    public var medianSalesCycleSeconds: Double?
    public var activities: [String: Int]
}

extension CRMDatabase {
    public func statistics(from: Date, to: Date, agentId: Int64? = nil) throws -> PipelineStatistics {
        guard from < to else { throw CRMError.invalidInput("the period must start before it ends") }
        return try writer.read { db in
            let transitions = try StageTransition.order(Column("companyId"), Column("at"), Column("id")).fetchAll(db)
            let owners = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, ownerId FROM company").map { ($0[0] as Int64, $0[1] as Int64?) })
            let byCompany = Dictionary(grouping: transitions, by: \.companyId)
            let period = from..<to

            var conversions = Stage.pipeline.indices.dropLast().map {
                PipelineStatistics.Conversion(from: Stage.pipeline[$0], to: Stage.pipeline[$0 + 1], entered: 0, converted: 0, rate: nil)
            }
            var created = 0, parked = 0, clientsWon = 0
            var durations: [Stage: [Double]] = [:]
            var cycles: [Double] = []

            for (companyId, history) in byCompany {
                let currentOwner = owners[companyId] ?? nil
                for (index, entry) in history.enumerated() {
                    let exit = index + 1 < history.count ? history[index + 1] : nil
                    let owner = entry.ownerId ?? exit?.ownerId ?? currentOwner
                    let counts = agentId == nil || owner == agentId
                    // Entering a stage during the period: the cohorts of conversion and parked rate.
                    if period.contains(entry.at), counts {
                        if let slot = conversions.firstIndex(where: { $0.from == entry.toStage }) {
                            conversions[slot].entered += 1
                            if let exit, exit.toStage == conversions[slot].to, exit.at < to { conversions[slot].converted += 1 }
                        }
                        if entry.fromStage == nil {
                            created += 1
                            if history.contains(where: { $0.toStage == .parked && $0.at < to }) { parked += 1 }
                        }
                    }
                    // Leaving a stage during the period: time spent in it.
                    if let exit, period.contains(exit.at), counts {
                        durations[entry.toStage, default: []].append(exit.at.timeIntervalSince(entry.at))
                    }
                    if entry.toStage == .client, period.contains(entry.at), agentId == nil || (entry.ownerId ?? currentOwner) == agentId {
                        clientsWon += 1
                        if let start = history.first?.at { cycles.append(entry.at.timeIntervalSince(start)) }
                    }
                }
            }
            for index in conversions.indices where conversions[index].entered > 0 {
                conversions[index].rate = Double(conversions[index].converted) / Double(conversions[index].entered)
            }

            var activitySQL = "SELECT kind, COUNT(*) FROM activity WHERE occurredAt >= ? AND occurredAt < ?"
            var arguments: StatementArguments = [from, to]
            if let agentId {
                activitySQL += " AND (agentId = ? OR EXISTS (SELECT 1 FROM activityAgent x WHERE x.activityId = activity.id AND x.userId = ?))"
                arguments += [agentId, agentId]
            }
            var activities: [String: Int] = Dictionary(uniqueKeysWithValues: ActivityKind.allCases.map { ($0.rawValue, 0) })
            for row in try Row.fetchAll(db, sql: activitySQL + " GROUP BY kind", arguments: arguments) {
                activities[row[0] as String] = row[1] as Int
            }

            return PipelineStatistics(
                from: from, to: to, agentId: agentId, conversions: conversions,
                created: created, parked: parked, parkedRate: created > 0 ? Double(parked) / Double(created) : nil,
                timeInStage: [Stage.lead, .firm, .account, .parked].map { stage in
                    let values = durations[stage] ?? []
                    return .init(stage: stage, moves: values.count, medianSeconds: Self.median(values))
                },
                clientsWon: clientsWon, medianSalesCycleSeconds: Self.median(cycles), activities: activities
            )
        }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }
}
