import AfterHours
import CRMCore
import Foundation
import MailSync
import Synchronization

/// Sends what the responder queued: due mail, oldest first, each at most once. A send that fails for certain is
/// retried later with exponential backoff (and survives a restart: the queue is the store); a permanent refusal is
/// not retried; a send whose outcome is unknown (the text went out, no answer came) is never repeated. A sent reply
/// is captured on the thread of the message it answers, in the transaction that marks it sent.
public final class ReplyOutbox: Sendable {
    /// Submits one message. Call `beforeText` once the server is ready for the text, before writing it (the
    /// outbox records there that from now on a failure may hide a delivery).
    public typealias Send = @Sendable (_ message: OutgoingMessage, _ beforeText: @escaping @Sendable () async throws -> Void) async throws -> SMTPReply

    public enum Event: Sendable {
        case sent(OutboundMail)
        case retrying(OutboundMail, error: String, at: Date)
        case failed(OutboundMail, error: String)
        case uncertain(OutboundMail, error: String)
        case recovered(requeued: Int, uncertain: Int)
        case storeError(String)
    }

    public struct Retry: Sendable, Hashable {
        /// The wait after the first failure; it doubles with each attempt. Default: 30 s.
        public var initial: TimeInterval
        /// The longest wait between attempts. Default: 1 hour.
        public var maximum: TimeInterval

        public init(initial: TimeInterval = 30, maximum: TimeInterval = 3600) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The wait after `attempts` failed attempts, with ±20 % jitter so that many queued replies do not retry together.
        public func delay(afterAttempts attempts: Int) -> TimeInterval {
            let base = min(initial * pow(2, Double(max(0, attempts - 1))), maximum)
            return base * Double.random(in: 0.8...1.2)
        }
    }

    private let database: CRMDatabase
    private let send: Send
    private let retry: Retry
    private let report: @Sendable (Event) -> Void
    private let signal = WakeSignal()

    public init(database: CRMDatabase, retry: Retry = Retry(), send: @escaping Send, report: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.database = database
        self.send = send
        self.retry = retry
        self.report = report
    }

    /// Something was queued: look now rather than at the next timer.
    public func notify() { signal.fire() }

    /// Sends every mail due now; returns how many attempts were made.
    @discardableResult
    public func drain() async -> Int {
        var attempts = 0
        while !Task.isCancelled {
            let due: [OutboundMail]
            do { due = try database.dueOutboundMail() } catch {
                report(.storeError("\(error)"))
                return attempts
            }
            if due.isEmpty { return attempts }
            for mail in due where !Task.isCancelled {
                attempts += 1
                await attempt(mail)
            }
        }
        return attempts
    }

    /// Runs until cancelled: first settles what a previous run left half way, then sends what is due and sleeps until
    /// the next attempt is due or something new is queued (at most `idle`, so a clock change cannot stall it).
    public func run<C: Clock>(clock: C, idle: Duration = .seconds(60)) async where C.Duration == Duration {
        do {
            let recovered = try database.recoverInterruptedSends()
            if recovered.requeued + recovered.uncertain > 0 { report(.recovered(requeued: recovered.requeued, uncertain: recovered.uncertain)) }
        } catch {
            report(.storeError("\(error)"))
        }
        while !Task.isCancelled {
            await drain()
            var wait = idle
            if let delay = try? database.nextOutboundAttemptDelay() {
                wait = min(idle, .milliseconds(Int64(delay * 1000) + 1))
            }
            await signal.wait(clock: clock, timeout: wait)
        }
    }

    private func attempt(_ mail: OutboundMail) async {
        do {
            guard try database.beginSending(mail.id) else { return }
        } catch {
            report(.storeError("\(error)"))
            return
        }
        let text = AutoReplyMessage(
            from: mail.fromAddress, to: mail.toAddress, subject: mail.subject, body: mail.body, messageId: mail.messageId,
            inReplyTo: mail.inReplyTo, references: mail.referenceList, date: mail.createdAt, language: mail.language)
        // The envelope sender is null (`MAIL FROM:<>`), as RFC 3834 §3.3 asks of automatic responses: a bounce of
        // the reply (an unknown customer address, a full mailbox) then goes nowhere instead of into our own inbox,
        // where it could be answered in turn. The From header still names our address, for the customer's reply.
        let message = OutgoingMessage(from: "", recipients: [mail.toAddress], data: text.rfc5322())
        let database = self.database
        do {
            let reply = try await send(message) { try database.markDelivering(mail.id) }
            let sent = try database.markSent(mail.id, serverReply: reply.description, activity: Self.activity(for: mail))
            report(.sent(sent))
        } catch is CancellationError {
            // Left as it is: the next start requeues it (not yet handed over) or marks it uncertain (handed over).
        } catch let error as SMTPError where error.mayHaveBeenDelivered {
            settle { try database.markUncertain(mail.id, error: error.description) }
            report(.uncertain(mail, error: error.description))
        } catch let error as SMTPError where error.isPermanent {
            settle { try database.failOutboundMail(mail.id, error: error.description) }
            report(.failed(mail, error: error.description))
        } catch {
            let delay = retry.delay(afterAttempts: mail.attempts + 1)
            settle { try database.retryOutboundMail(mail.id, error: "\(error)", after: delay) }
            report(.retrying(mail, error: "\(error)", at: Date().addingTimeInterval(delay)))
        }
    }

    private func settle(_ write: () throws -> Void) {
        do { try write() } catch { report(.storeError("\(error)")) }
    }

    /// The sent reply as an outbound email activity, filed with the thread of the message it answers.
    static func activity(for mail: OutboundMail) -> CapturedActivity {
        CapturedActivity(
            kind: .email, sourceKey: "mail:" + SyncedMessage.normalizeMessageID(mail.messageId), occurredAt: Date(), agent: .email(mail.fromAddress),
            threadSourceKeys: mail.threadSourceKey.map { [$0] } ?? [], direction: .outbound, participants: [.email(mail.toAddress)],
            subject: mail.subject, details: ["messageId": mail.messageId, "autoReply": "true", "language": mail.language])
    }
}

/// Wakes a sleeping loop early; a fire while nobody waits is kept for the next wait.
final class WakeSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when fired, after `timeout`, or on cancellation.
    func wait<C: Clock>(clock: C, timeout: Duration) async where C.Duration == Duration {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: timeout) }
            group.addTask { [self] in
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.pending {
                                state.pending = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.fire()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
