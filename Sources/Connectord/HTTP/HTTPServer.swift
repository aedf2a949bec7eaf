import Configuration
import CRMCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Builds connectord's HTTP application: `/healthz`, `/metrics` and the authenticated `/api`.
enum HTTPServer {
    static func makeApplication(
        configuration: ConnectordConfiguration,
        database: CRMDatabase,
        pbx: PBXService? = nil,
        mailboxes: [MailboxService] = [],
        calendars: [CalendarService] = [],
        afterHours: AfterHoursService? = nil,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: APIContext.self)
        router.add(middleware: MetricsMiddleware())
        router.get("/healthz") { _, _ -> Response in
            do {
                _ = try database.journalMode()
                return try jsonResponse(["status": "ok"])
            } catch {
                return try jsonResponse(["status": "store unavailable"], status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        if let afterHours, let webhook = afterHours.webhook {
            InboundRoutes(service: afterHours, webhook: webhook, logger: logger).register(on: router)
        }
        let api = router.group("api").add(middleware: BearerAuthMiddleware(database: database))
        APIRoutes(database: database).register(on: api)
        CallRoutes(database: database, policy: configuration.policy, pbx: pbx, mailboxes: mailboxes, calendars: calendars, afterHours: afterHours).register(on: api)
        MeetingRoutes(database: database, calendars: calendars).register(on: api)

        // Hummingbird reads its own settings (host, port, serverName) from the `http` section.
        var appConfiguration = ApplicationConfiguration(reader: configuration.reader.scoped(to: "http"))
        appConfiguration.address = .hostname(configuration.httpHost, port: configuration.httpPort)
        appConfiguration.serverName = "connectord"
        return Application(router: router, configuration: appConfiguration, onServerRunning: onServerRunning, logger: logger)
    }
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(bytes: try JSONOutput.encode(value, pretty: false))))
}
