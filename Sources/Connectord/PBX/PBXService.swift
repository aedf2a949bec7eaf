import AsteriskAMI
import CallCapture
import CRMCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Call capture and click-to-dial for one PBX: keeps an AMI session open, turns its events into finished
/// calls and hands them to the capture queue. Runs inside `connectord run`.
final class PBXService: Service, Sendable {
    /// What `connectord status` and `/api/status` show about the PBX.
    struct Status: Sendable, Encodable {
        var pbxId: String
        var connected = false
        var asteriskVersion: String?
        var sessions = 0
        var lastError: String?
        var callsInProgress = 0
        var callsCaptured = 0
        var skippedMessages = 0
        /// False when the manager user may not list channels (no `reporting` read permission): calls that end
        /// during a reconnect are then only found by `connectord import cdr`.
        var canListChannels = true
    }

    private struct Calls {
        var pipeline: CallPipeline
        var directoryLoadedAt = Date.distantPast
    }

    let settings: PBXSettings
    private let client: AMIClient<ContinuousClock>
    private let database: CRMDatabase
    private let queue: CaptureQueue
    private let logger: Logger
    private let calls: Mutex<Calls>
    private let state: Mutex<Status>
    private let skipped = Counter(label: "connectord_ami_skipped_messages_total")
    private let disconnects = Counter(label: "connectord_ami_disconnects_total")

    /// Users who became agents since start are recognised within this time.
    static let directoryRefresh: TimeInterval = 60

    init(settings: PBXSettings, secret: String, database: CRMDatabase, queue: CaptureQueue, logger: Logger) {
        self.settings = settings
        self.database = database
        self.queue = queue
        var logger = logger
        logger[metadataKey: "pbx"] = "\(settings.pbxId)"
        self.logger = logger
        self.calls = Mutex(Calls(pipeline: CallPipeline(
            pbxId: settings.pbxId, directory: AgentDirectory(extensions: settings.extensions, devices: settings.devices))))
        self.state = Mutex(Status(pbxId: settings.pbxId))
        let host = settings.host, port = settings.port
        client = AMIClient(
            configuration: AMIClientConfiguration(username: settings.username, secret: secret, authentication: settings.authentication),
            clock: ContinuousClock()
        ) { try await AMIConnector.connect(host: host, port: port) }
    }

    var status: Status {
        var status = state.withLock { $0 }
        status.callsInProgress = calls.withLock { $0.pipeline.callsInProgress }
        return status
    }

    func run() async throws {
        logger.info("connecting to the PBX", metadata: ["host": "\(settings.host)", "port": "\(settings.port)"])
        await cancelWhenGracefulShutdown {
            await self.client.run { event in self.handle(event) }
        }
        logger.info("PBX session closed")
    }

    // MARK: Events

    private func handle(_ event: AMIClient<ContinuousClock>.SessionEvent) {
        switch event {
        case .events(let messages):
            // One read's events: one clock reading, one lock.
            let arrived = Date()
            let finished = calls.withLock { calls in
                var finished: [CapturedActivity] = []
                for message in messages { finished += calls.pipeline.receive(message, at: Self.time(of: message, arrived: arrived)) }
                return finished
            }
            if !finished.isEmpty { file(finished) }
        case .sessionStarted(let version, let activeChannels):
            state.withLock { state in
                state.connected = true
                state.asteriskVersion = version
                state.sessions += 1
                state.lastError = nil
                state.canListChannels = activeChannels != nil
            }
            logger.info("logged in to the PBX", metadata: ["version": "\(version)", "activeChannels": "\(activeChannels?.count ?? -1)"])
            refreshDirectory(force: true)
            guard let activeChannels else {
                logger.warning("the manager user may not list channels (add 'reporting' to its read permissions): calls that ended while disconnected are only found by 'connectord import cdr'")
                return
            }
            let ids = Set(activeChannels.compactMap { $0["Uniqueid"] })
            let finished = calls.withLock { $0.pipeline.reconcile(activeChannels: ids, at: Date()) }
            if !finished.isEmpty {
                logger.info("calls that ended while disconnected", metadata: ["calls": "\(finished.count)"])
                file(finished)
            }
        case .skipped(let error):
            skipped.increment()
            state.withLock { $0.skippedMessages += 1 }
            logger.warning("skipped a malformed AMI message", metadata: ["error": "\(error)"])
        case .disconnected(let reason, let retryIn):
            disconnects.increment()
            state.withLock { state in
                state.connected = false
                state.lastError = reason
            }
            logger.warning("PBX connection lost, reconnecting", metadata: ["reason": "\(reason)", "retryIn": "\(retryIn)"])
        }
    }

    /// Asterisk stamps events when `timestampevents = yes`; otherwise the time they arrive is the best we have.
    private static func time(of message: AMIMessage, arrived: Date) -> Date {
        // A stamp that is not a plausible time ("nan", "1e300", a year 3000 typo) is ignored, not trusted.
        if let stamp = message["Timestamp"], let seconds = Double(stamp), seconds.isFinite,
           abs(seconds - arrived.timeIntervalSince1970) < 86_400 * 366 {
            return Date(timeIntervalSince1970: seconds)
        }
        return arrived
    }

    private func file(_ activities: [CapturedActivity]) {
        refreshDirectory(force: false)
        state.withLock { $0.callsCaptured += activities.count }
        queue.enqueue(activities, source: "pbx")
    }

    /// Agents are the configured extensions plus every active user's extension; re-read at each login and
    /// at most once a minute when calls end, so a new agent is recognised without a restart.
    private func refreshDirectory(force: Bool) {
        let due = calls.withLock { force || Date().timeIntervalSince($0.directoryLoadedAt) > Self.directoryRefresh }
        guard due else { return }
        do {
            let extensions = try database.agentExtensions()
            calls.withLock { calls in
                calls.pipeline.update(directory: AgentDirectory(extensions: settings.extensions.union(extensions), devices: settings.devices))
                calls.directoryLoadedAt = Date()
            }
        } catch {
            logger.error("cannot read the agents' extensions", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Click-to-dial

    /// The answer of `POST /api/calls`, which `connectord dial` reads back.
    struct DialResult: Sendable, Codable {
        var channelId: String
        /// `Success` once the agent's phone answered and the customer's number is being dialled, else `Failure`.
        var response: String
        /// Asterisk's reason code: 4 answered, 5 busy, 3 no answer, 8 congestion, 0 failed.
        var reason: String?
        var agentExtension: String
        var number: String
        var contactId: Int64?
    }

    /// Rings the agent's phone and, once they pick up, dials `number` (E.164) from the dialplan context.
    /// The call's record is filed as a click-to-dial call on `contactId`. Never retried: a lost answer
    /// means the PBX may have dialled already.
    func dial(userId: Int64, agentExtension: String, number: String, contactId: Int64?) async throws -> DialResult {
        let channelId = "ctd-" + UUID().uuidString.lowercased()
        var headers: [AMIMessage.Header] = [
            .init("Channel", settings.channel(forExtension: agentExtension)),
            .init("Context", settings.dialContext),
            .init("Exten", number),
            .init("Priority", "1"),
            .init("Async", "true"),
            .init("Timeout", "30000"),
            .init("ChannelId", channelId),
        ]
        if !settings.callerId.isEmpty { headers.append(.init("CallerID", settings.callerId)) }
        calls.withLock { $0.pipeline.expect(ClickToDial(channelId: channelId, userId: userId, contactId: contactId, number: number, requestedAt: Date())) }
        logger.info("click-to-dial", metadata: ["channelId": "\(channelId)", "extension": "\(agentExtension)", "user": "\(userId)"])
        let response: AMIResponse
        do {
            response = try await client.send(AMIAction("Originate", headers: headers), waitFor: .event("OriginateResponse"), timeout: .seconds(45))
        } catch {
            logger.warning("click-to-dial failed", metadata: ["channelId": "\(channelId)", "error": "\(error)"])
            throw error
        }
        let event = response.events.first
        return DialResult(channelId: channelId, response: event?["Response"] ?? (response.isSuccess ? "Success" : "Failure"),
                          reason: event?["Reason"], agentExtension: agentExtension, number: number, contactId: contactId)
    }
}
