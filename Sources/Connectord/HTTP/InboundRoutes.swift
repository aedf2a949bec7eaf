import AfterHours
import AfterHoursCapture
import CRMCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore

/// `POST /hooks/inbound`: the after-hours responder's webhook. Authenticated by its HMAC signature, not by a bearer
/// token (the mail provider calls it). Every refusal is a precise 4xx with a JSON `error`; nothing in a body can
/// make it answer 5xx, except a store that cannot write (503: the provider retries, and the retry is answered once).
struct InboundRoutes {
    let service: AfterHoursService
    let webhook: InboundWebhook
    let logger: Logger

    struct Answer: Encodable {
        var decision: String
        var reason: String?
        var urgent: String?
        /// True when this message was decided before (a retry): nothing was done again.
        var replayed: Bool
        var reply: Reply?
        struct Reply: Encodable { var messageId: String; var to: String; var language: String; var state: String }
    }

    // Made once: a name is validated when it is made.
    static let timestampField = HTTPField.Name(WebhookSignature.timestampHeader)!
    static let signatureField = HTTPField.Name(WebhookSignature.signatureHeader)!

    func register(on router: Router<APIContext>) {
        router.post("/hooks/inbound") { request, context -> Response in
            // A body over the limit is read to its end (and dropped) before the 413, so the sender gets the answer instead
            // of a reset connection; one declared or grown past 16 times the limit is not read further.
            let limit = webhook.maxBodyBytes
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit * 16 {
                return reject(.init(status: 413, message: "the body is \(declared) bytes; at most \(limit) are accepted", kind: "too-large"))
            }
            var body = ByteBuffer()
            var total = 0
            for try await chunk in request.body {
                total += chunk.readableBytes
                if total <= limit {
                    body.writeImmutableBuffer(chunk)
                } else if total > limit * 16 {
                    break
                }
            }
            if total > limit {
                return reject(.init(status: 413, message: "the body is larger than \(limit) bytes", kind: "too-large"))
            }
            let outcome: ResponderOutcome
            do {
                outcome = try await webhook.receive(
                    body: Array(body.readableBytesView), contentType: request.headers[.contentType],
                    timestamp: request.headers[Self.timestampField], signatureHeader: request.headers[Self.signatureField])
            } catch let error as InboundWebhook.Rejection {
                return reject(error)
            }
            service.followUp(outcome)
            Counter(label: "connectord_webhook_requests_total", dimensions: [("result", outcome.replayed ? "replayed" : "accepted")]).increment()
            let reply = outcome.outbound.map { Answer.Reply(messageId: $0.messageId, to: $0.toAddress, language: $0.language, state: $0.state.rawValue) }
            let answer = Answer(decision: outcome.message.decision.rawValue, reason: outcome.message.reason, urgent: outcome.message.urgent,
                                replayed: outcome.replayed, reply: reply)
            return try jsonResponse(answer, status: outcome.outbound != nil && !outcome.replayed ? .accepted : .ok)
        }
    }

    private func reject(_ rejection: InboundWebhook.Rejection) -> Response {
        Counter(label: "connectord_webhook_requests_total", dimensions: [("result", rejection.kind)]).increment()
        // The message names what was wrong; it never holds the secret or the expected signature.
        logger.warning("webhook request refused", metadata: ["status": "\(rejection.status)", "why": "\(rejection.message)"])
        return (try? jsonResponse(["error": rejection.message], status: HTTPResponse.Status(code: rejection.status)))
            ?? Response(status: HTTPResponse.Status(code: rejection.status))
    }
}
