import Foundation

/// Turns CDR lines into the same ``CallRecord``s the live tracker makes, with the same ids, so a call
/// captured from AMI and imported from `Master.csv` is one call.
///
/// Asterisk writes one CDR per leg (each Dial attempt, each party after a transfer), all sharing the call's
/// `linkedid`; that is the live tracker's call id too (the first channel's Uniqueid). Without
/// `newcdrcolumns` there is no linkedid column: the legs are grouped by the calling channel's `uniqueid`,
/// which is the linkedid for the leg that started the call.
///
/// What CDRs cannot say is not guessed: transfers, queue names, recordings and hangup causes stay empty.
public enum CDRCalls {
    public static func calls(from rows: [CDRRow], directory: AgentDirectory) -> [CallRecord] {
        var order: [String] = []
        var groups: [String: [CDRRow]] = [:]
        for row in rows {
            let key = row.linkedid ?? row.uniqueid ?? "\(row.channel)@\(row.start.timeIntervalSince1970)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        return order.map { call(id: $0, legs: groups[$0]!.sorted { ($0.start, $0.sequence ?? 0) < ($1.start, $1.sequence ?? 0) }, directory: directory) }
    }

    static func call(id: String, legs: [CDRRow], directory: AgentDirectory) -> CallRecord {
        let first = legs[0]
        func isTrunk(_ channel: String) -> Bool { !channel.isEmpty && !channel.hasPrefix("Local/") && directory.agent(ofChannel: channel) == nil }
        let placedBy = legs.lazy.compactMap { directory.agent(ofChannel: $0.channel) }.first
        // Who began the call: the first leg that is not a Local half.
        let callerIsTrunk = legs.first { !$0.channel.hasPrefix("Local/") }.map { isTrunk($0.channel) } ?? false
        var rang: [String] = []
        for leg in legs {
            if let agent = directory.agent(ofChannel: leg.destinationChannel), agent != placedBy || callerIsTrunk, !rang.contains(agent) { rang.append(agent) }
        }
        let answeredLegs = legs.filter { $0.disposition == "ANSWERED" && $0.answer != nil && !$0.destinationChannel.isEmpty }
        let dialledOut = legs.first { isTrunk($0.destinationChannel) }

        let direction: CallDirection
        var number: String?
        var name: String?
        if callerIsTrunk {
            direction = rang.isEmpty ? .external : .inbound
            let caller = legs.first { isTrunk($0.channel) } ?? first
            number = caller.source.isEmpty ? nil : caller.source
            name = Self.name(inCallerID: caller.callerID)
        } else if let dialledOut, placedBy != nil {
            direction = .outbound
            number = dialledOut.destination
        } else if placedBy != nil {
            direction = .internal
        } else {
            direction = .external
        }

        var answeredBy: String?
        var agents: [String] = []
        var answeredAt: Date?
        switch direction {
        case .inbound, .internal:
            for leg in answeredLegs {
                guard let agent = directory.agent(ofChannel: leg.destinationChannel) else { continue }
                if answeredBy == nil { answeredBy = agent; answeredAt = leg.answer }
                if !agents.contains(agent) { agents.append(agent) }
            }
            if direction == .internal, let placedBy { agents.insert(placedBy, at: 0) }
        case .outbound:
            if let leg = answeredLegs.first(where: { isTrunk($0.destinationChannel) }) { answeredAt = leg.answer }
            if let placedBy { agents = [placedBy] }
            for agent in rang where !agents.contains(agent) { agents.append(agent) }
        case .external:
            answeredAt = answeredLegs.first?.answer
        }

        let outcome: CallOutcome
        let reason: HangupReason
        if answeredAt != nil {
            outcome = .answered
            reason = .completed
        } else if legs.contains(where: { $0.disposition == "BUSY" }) {
            outcome = .busy
            reason = .busy
        } else if legs.contains(where: { $0.disposition == "FAILED" || $0.disposition == "CONGESTION" }) {
            outcome = .failed
            reason = .failed
        } else {
            outcome = .missed
            reason = .noAnswer
        }
        return CallRecord(
            id: id, direction: direction, externalNumber: number, externalName: name,
            placedBy: direction == .inbound ? nil : placedBy, rang: rang, answeredBy: direction == .outbound ? nil : answeredBy,
            agents: agents, outcome: outcome, hangupReason: reason, hangupCause: 0, queue: nil, transfers: [], recordingFile: nil,
            startedAt: legs.map(\.start).min()!, answeredAt: answeredAt, endedAt: legs.map(\.end).max()!,
            channelIDs: legs.compactMap(\.uniqueid)
        )
    }

    /// `"Jan de Vries" <+31260010001>` → `Jan de Vries`.
    static func name(inCallerID text: String) -> String? {
        guard let open = text.firstIndex(of: "<") else { return nil }
        let name = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return name.isEmpty ? nil : name
    }
}
