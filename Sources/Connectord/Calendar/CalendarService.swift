import AsyncHTTPClient
import CalendarCapture
import CalendarSync
import CRMCore
import Foundation
import Logging
import Metrics
import NetworkSupport
import ServiceLifecycle
import Synchronization

/// Meeting capture for one agent's Google Calendar, inside `connectord run`: syncs on an interval with ±25 % jitter
/// (Google asks clients not to poll in step), backs off on errors, waits an hour on Google's quota error, and stops
/// asking Google at all once the grant is revoked ("reconnect needed").
final class CalendarService: Service, Sendable {
    struct Status: Sendable, Codable {
        var account: String
        /// starting, syncing, idle, retrying, paused (quota), reconnect needed
        var state = "starting"
        var eventsSynced = 0
        var fullSyncs = 0
        var lastError: String?
        /// The refresh token was revoked or expired: a person must grant access again.
        var reconnectNeeded = false
        /// ISO 8601, UTC.
        var lastSyncAt: String?
    }

    let account: String
    let client: CalendarClient
    let capture: CalendarCapture
    private let database: CRMDatabase
    private let pollInterval: Duration
    private let clock: any Clock<Duration>
    private let logger: Logger
    /// A class holding the mutex, so the capture's commit callback can update it too.
    private final class StatusBox: Sendable {
        let mutex: Mutex<Status>
        init(_ status: Status) { mutex = Mutex(status) }
    }
    private let state: StatusBox
    private let failures = Counter(label: "connectord_calendar_sync_failures_total")
    private static let unreadable = Counter(label: "connectord_calendar_unreadable_events_total")

    /// How long Google's "Calendar usage limits exceeded" is waited out (it clears after hours; quick retries extend it).
    static let quotaPause: Duration = .seconds(3600)
    /// A revoked grant is looked at again this often (the provider answers without asking Google).
    static let reconnectNeededRetry: Duration = .seconds(15 * 60)

    init(settings: GoogleSettings, account: String, tokens: AccessTokenProvider, pollInterval: Duration, database: CRMDatabase, logger: Logger,
         clock: any Clock<Duration> = ContinuousClock()) {
        self.account = account
        self.database = database
        self.pollInterval = pollInterval
        self.clock = clock
        var logger = logger
        logger[metadataKey: "calendar"] = "\(account)"
        self.logger = logger
        state = StatusBox(Status(account: account))
        let retryLogger = logger
        client = CalendarClient(
            http: HTTPClient.shared, tokens: tokens, configuration: CalendarClientConfiguration(baseURL: settings.calendarAPIBase), clock: clock,
            onRetry: { status, wait in retryLogger.notice("Google asked to wait", metadata: ["status": "\(status.map(String.init) ?? "network")", "wait": "\(wait)"]) })
        let synchronizer = CalendarSynchronizer(client: client, settings: CalendarSyncSettings(lookBack: .seconds(settings.lookBackDays * 86_400)))
        let status = state, commitLogger = logger
        capture = CalendarCapture(database: database, synchronizer: synchronizer,
                                  filing: MeetingFiling(account: account, horizon: TimeInterval(settings.horizonDays * 86_400)),
                                  onCommit: { cursor, outcome in
                                      status.mutex.withLock { $0.eventsSynced = cursor.eventsSynced; $0.fullSyncs = cursor.fullSyncs }
                                      if !outcome.unreadable.isEmpty {
                                          Self.unreadable.increment(by: outcome.unreadable.count)
                                          commitLogger.warning("events without a readable start were skipped", metadata: ["events": "\(outcome.unreadable)"])
                                      }
                                  })
    }

    var status: Status { state.mutex.withLock { $0 } }

    func run() async throws {
        logger.info("calendar capture starting")
        await cancelWhenGracefulShutdown {
            var backoff = Backoff(initial: .seconds(5), maximum: .seconds(15 * 60))
            while !Task.isCancelled {
                let delay: Duration
                do {
                    self.update { $0.state = "syncing" }
                    let cursor = try await self.capture.sync(now: Date())
                    backoff.reset()
                    self.update {
                        $0.state = "idle"; $0.lastError = nil; $0.reconnectNeeded = false
                        $0.eventsSynced = cursor.eventsSynced; $0.fullSyncs = cursor.fullSyncs; $0.lastSyncAt = Date().formatted(.iso8601)
                    }
                    delay = self.pollInterval * Double.random(in: 0.75...1.25)
                } catch is CancellationError {
                    return
                } catch let error as CalendarError {
                    self.failures.increment()
                    if error.isReconnectNeeded {
                        delay = Self.reconnectNeededRetry
                        self.update { $0.state = "reconnect needed"; $0.reconnectNeeded = true; $0.lastError = error.description }
                        self.logger.error("Google refused the account's grant; connect it again", metadata: ["error": "\(error)"])
                    } else if error.isQuotaExceeded {
                        delay = Self.quotaPause
                        self.update { $0.state = "paused (quota)"; $0.lastError = error.description }
                        self.logger.warning("Google's calendar usage limit: pausing", metadata: ["retryIn": "\(delay)"])
                    } else {
                        delay = backoff.next()
                        self.update { $0.state = "retrying"; $0.lastError = error.description }
                        self.logger.warning("calendar sync failed", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                    }
                } catch {
                    self.failures.increment()
                    delay = backoff.next()
                    self.update { $0.state = "retrying"; $0.lastError = "\(error)" }
                    self.logger.warning("calendar sync failed", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                }
                do { try await self.clock.sleep(for: delay) } catch { return }
            }
        }
        logger.info("calendar capture stopped")
    }

    /// Creates a meeting with `contactEmail` in this calendar and captures it as a planned meeting at once. The event
    /// id derives from `followUp` (the CLI's request id): a retried request finds the event it created, not a second.
    func schedule(followUp: UUID, contactEmail: String, start: Date, duration: Duration, title: String, description: String?) async throws -> (event: CalendarEvent, activity: ActivityRow?) {
        var event = CalendarEvent(id: "crm" + followUp.uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        event.summary = title
        event.description = description
        event.start = EventDateTime(dateTime: RFC3339.format(start))
        event.end = EventDateTime(dateTime: RFC3339.format(start.addingTimeInterval(duration.seconds)))
        event.attendees = [CalendarEvent.Attendee(email: contactEmail)]
        event.extendedProperties = .init(private: ["connectordFollowUp": followUp.uuidString])
        let created = try await client.insertEvent(calendarId: "primary", event: event)
        _ = try await capture.file(created: created)
        let key = MeetingFiling.sourceKey(iCalUID: created.iCalUID ?? created.id, instance: nil)
        return (created, try database.activity(sourceKey: key))
    }

    private func update(_ change: (inout Status) -> Void) { state.mutex.withLock { change(&$0) } }
}
