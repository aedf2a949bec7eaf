import AsyncHTTPClient
import CalendarSync
import CallCapture
import ArgumentParser
import CRMCore
import Foundation
import Hummingbird
import Logging
import MailSync
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `connectord run`: the daemon. Opens the store, serves HTTP, stops cleanly on SIGTERM/SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the daemon (HTTP API, /healthz, /metrics).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            let configuration = try await ConnectordConfiguration.load(filePath: global.config)
            let level = configuration.logLevel
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "connectord")
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

            // The daemon writes for hours: checkpoints run beside the commits, not inside them.
            let database = try CRMDatabase.open(path: configuration.storePath, policy: configuration.policy, checkpointing: .background)
            let checkpoints = CheckpointService(checkpointer: try WALCheckpointer(database: database), logger: logger)
            let journal = try database.journalMode()
            logger.info("store opened", metadata: ["path": "\(configuration.storePath)", "journal": "\(journal)"])

            // Sources hand their activities to one queue; it is listed first so it stops last and drains.
            let queue = CaptureQueue(database: database, logger: logger)
            var pbx: PBXService?
            if let settings = configuration.pbx {
                let secret = try settings.secret.resolve(key: "ami.secret")
                pbx = PBXService(settings: settings, secret: secret, database: database, queue: queue, logger: logger)
            }
            // One token provider per Google account: calendar sync and mail's XOAUTH2 share its access tokens.
            var grants: [String: AccessTokenProvider] = [:]
            var calendars: [CalendarService] = []
            if let settings = configuration.google {
                let client = OAuthClientCredentials(
                    clientId: settings.clientId, clientSecret: try settings.clientSecret.resolve(key: "google.clientSecret"), tokenEndpoint: settings.tokenEndpoint)
                for account in settings.accounts {
                    let refreshToken = try account.refreshToken.resolve(key: "google.accounts (\(account.address))")
                    let provider = AccessTokenProvider(account: account.address, client: client, refreshToken: refreshToken, http: HTTPClient.shared)
                    grants[account.address] = provider
                    if let interval = settings.pollInterval {
                        calendars.append(CalendarService(settings: settings, account: account.address, tokens: provider, pollInterval: interval,
                                                         database: database, logger: logger))
                    }
                }
            }
            var afterHours: AfterHoursService?
            if let settings = configuration.afterHours {
                let credentials: IMAPClientConfiguration.Credentials
                if let secret = settings.smtp.secret {
                    credentials = .password(user: settings.smtp.username, password: try secret.resolve(key: "smtp.secret"))
                } else {
                    let provider = grants[settings.smtp.username]!
                    credentials = .oauth2(user: settings.smtp.username, token: { try await provider.accessToken() })
                }
                afterHours = try AfterHoursService(
                    settings: settings, webhookSecret: try settings.webhookSecret?.resolve(key: "afterHours.webhookSecret"), smtpCredentials: credentials,
                    database: database, pbx: pbx, logger: logger)
            }
            var mailboxes: [MailboxService] = []
            if let settings = configuration.mail {
                for account in settings.accounts {
                    let credentials: IMAPClientConfiguration.Credentials
                    if let secret = account.secret {
                        credentials = .password(user: account.address, password: try secret.resolve(key: "mail.accounts (\(account.address))"))
                    } else {
                        let provider = grants[account.address]!
                        credentials = .oauth2(user: account.address, token: { try await provider.accessToken() })
                    }
                    var answer: (@Sendable (SyncedMessage) -> Void)?
                    if let service = afterHours, service.settings.answersMailboxes {
                        let address = account.address
                        answer = { message in service.answer(message, account: address) }
                    }
                    mailboxes.append(try MailboxService(settings: settings, account: account, credentials: credentials, database: database, logger: logger,
                                                        answer: answer))
                }
            }
            let app = HTTPServer.makeApplication(
                configuration: configuration, database: database, pbx: pbx, mailboxes: mailboxes, calendars: calendars, afterHours: afterHours,
                registry: registry, logger: logger,
                onServerRunning: { channel in
                    // Tests and scripts read this line to learn the port (port 0 picks a free one).
                    let address = channel.localAddress
                    let line = "connectord listening on \(address?.ipAddress ?? configuration.httpHost):\(address?.port ?? configuration.httpPort)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            )
            var services: [any Service] = [checkpoints, queue]
            if let pbx { services.append(pbx) }
            // Before the mailboxes: their switch hands it messages; after the queue: it stops before the store does.
            if let afterHours { services.append(afterHours) }
            services += mailboxes as [any Service]
            services += calendars as [any Service]
            let group = ServiceGroup(configuration: .init(
                services: services + [app],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
            try await group.run()
            logger.info("stopped")
        }
    }
}
