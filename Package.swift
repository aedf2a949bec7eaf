// swift-tools-version:6.2
import PackageDescription

// Strict, explicit imports everywhere (the hummingbird convention): what a file uses, it says.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "connectord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "connectord", targets: ["Connectord"]),
        .executable(name: "fake-pbx", targets: ["FakePBX"]),
        .library(name: "CRMCore", targets: ["CRMCore"]),
        .library(name: "AsteriskAMI", targets: ["AsteriskAMI"]),
        .library(name: "MailSync", targets: ["MailSync"]),
        .library(name: "CalendarSync", targets: ["CalendarSync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // The RuntimeInterposer default trait needs a package this machine does not mirror.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The CRM: pipeline, contacts, capture and matching, statistics. SQLite via GRDB; no networking.
        .target(
            name: "CRMCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every protocol client shares: reconnect backoff. No networking, no CRM.
        .target(name: "NetworkSupport", swiftSettings: swiftSettings),
        // Protocol libraries: they know nothing of the CRM.
        .target(
            name: "AsteriskAMI",
            dependencies: [
                "NetworkSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                // MD5 for the challenge login, nothing else.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MailSync",
            dependencies: [
                "NetworkSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CalendarSync",
            dependencies: [
                "NetworkSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The after-hours responder's decisions (business hours, RFC 3834 suppression, webhook signatures): no I/O.
        .target(
            name: "AfterHours",
            dependencies: ["MailSync", "NetworkSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Wiring of the responder into the store (decide, remember, capture, queue) and its durable outbox: the daemon's
        // webhook and the responder benchmark share it.
        .target(
            name: "AfterHoursCapture",
            dependencies: ["AfterHours", "CRMCore", "MailSync", "NetworkSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AfterHoursTests",
            dependencies: [
                "AfterHours", "AfterHoursCapture", "CRMCore", "MailSync", "MailTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer's driver, handed over to by the fuzz targets when `Fuzz/run` builds them (empty otherwise).
        .target(name: "FuzzDriver", swiftSettings: swiftSettings),
        // libFuzzer target for the AMI decoder (a do-nothing program in a normal build).
        .executableTarget(
            name: "AMIFuzzer",
            dependencies: ["AsteriskAMI", "FuzzDriver", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // libFuzzer target for the IMAP decoder and header decoding (a do-nothing program in a normal build).
        .executableTarget(
            name: "IMAPFuzzer",
            dependencies: ["MailSync", "FuzzDriver", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // libFuzzer target for the webhook's JSON and RFC 5322 bodies (a do-nothing program in a normal build).
        .executableTarget(name: "WebhookFuzzer", dependencies: ["AfterHours", "FuzzDriver"], swiftSettings: swiftSettings),
        // Wiring of calls into capture (AMI events → finished calls → activities → the store, in batches): the
        // daemon's PBX service and the socket-to-SQLite benchmark share it.
        .target(
            name: "CallCapture",
            dependencies: [
                "CRMCore", "AsteriskAMI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wiring of mail into capture (synced messages → email activities): the daemon's mailbox service and the mail
        // benchmark share it.
        .target(name: "MailCapture", dependencies: ["CRMCore", "MailSync"], swiftSettings: swiftSettings),
        // Wiring of calendars into capture (events → meetings → held activities): the daemon's calendar service and the
        // calendar benchmark share it.
        .target(name: "CalendarCapture", dependencies: ["CRMCore", "CalendarSync", "NetworkSupport"], swiftSettings: swiftSettings),
        // The one executable: daemon, CLI, HTTP, configuration, wiring.
        .executableTarget(
            name: "Connectord",
            dependencies: [
                "CRMCore", "AsteriskAMI", "CallCapture", "MailCapture", "MailSync", "CalendarSync", "CalendarCapture", "NetworkSupport",
                "AfterHours", "AfterHoursCapture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // A fake PBX that replays the recorded corpus over loopback, shared by the AMI and daemon tests.
        .target(
            name: "AMITestSupport",
            dependencies: [
                "AsteriskAMI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/AMITestSupport",
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        // `swift run fake-pbx …`: replays recorded PBX sessions for a demo without a PBX (README).
        .executableTarget(
            name: "FakePBX",
            dependencies: ["AMITestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/FakePBX",
            swiftSettings: swiftSettings
        ),
        // A throw-away Dovecot and a mailbox generator for the mail tests (the daemon's tests use them too).
        .target(
            name: "MailTestSupport",
            dependencies: [
                "MailSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/MailTestSupport",
            exclude: ["Tools"],
            swiftSettings: swiftSettings
        ),
        // A fake Google (OAuth token endpoint + Calendar v3) built from Google's discovery document and documented error
        // bodies, for the calendar tests, the daemon's tests and the calendar benchmark.
        .target(
            name: "GoogleTestSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/GoogleTestSupport",
            resources: [.copy("Google")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CalendarSyncTests",
            dependencies: [
                "CalendarSync", "CalendarCapture", "CRMCore", "GoogleTestSupport", "NetworkSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailSyncTests",
            dependencies: [
                "MailSync",
                "MailTestSupport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsteriskAMITests",
            dependencies: [
                "AsteriskAMI",
                "AMITestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CRMCoreTests",
            dependencies: ["CRMCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnectordTests",
            dependencies: [
                "Connectord",
                "CRMCore",
                "AfterHours",
                "AfterHoursCapture",
                "AsteriskAMI",
                "AMITestSupport",
                "CallCapture",
                "MailSync",
                "MailTestSupport",
                "GoogleTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CRMCoreBenchmarks",
            dependencies: [
                "CRMCore", "CaptureBenchmarkStore",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/CRMCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The 200k-company, 1M-contact store that capture is measured on, shared by the benchmark and its profile loop.
        .target(
            name: "CaptureBenchmarkStore",
            dependencies: ["CRMCore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/CaptureBenchmarkStore"
        ),
        // `perf record` target: the capture loop of CRMCoreBenchmarks without the benchmark runner.
        .executableTarget(name: "CaptureProfile", dependencies: ["CaptureBenchmarkStore"], path: "Benchmarks/CaptureProfile"),
        // `perf record` target: the decode + track loop of AMIBenchmarks without the benchmark runner.
        .executableTarget(
            name: "AMIProfile",
            dependencies: ["AsteriskAMI", .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/AMIProfile"
        ),
        // `perf record` target: decoding a recorded FETCH stream into synced messages, without the benchmark runner.
        .executableTarget(
            name: "MailProfile",
            dependencies: ["MailSync", .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/MailProfile"
        ),
        .executableTarget(
            name: "MailBenchmarks",
            dependencies: [
                "MailSync", "MailCapture", "MailTestSupport", "CRMCore",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/MailBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The fake Google with a 20,000-event calendar and a store template, shared by the benchmark and its profile loop.
        .target(
            name: "CalendarBenchmarkFixture",
            dependencies: [
                "CalendarSync", "CalendarCapture", "GoogleTestSupport", "CRMCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/CalendarBenchmarkFixture"
        ),
        // `perf record` target: the calendar full sync without the benchmark runner.
        .executableTarget(name: "CalendarProfile", dependencies: ["CalendarBenchmarkFixture"], path: "Benchmarks/CalendarProfile"),
        .executableTarget(
            name: "CalendarBenchmarks",
            dependencies: [
                "CalendarBenchmarkFixture",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CalendarBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A store with 1,000 firms, the responder and its webhook, and the webhook behind hummingbird: shared by the
        // benchmark and its profile loop.
        .target(
            name: "ResponderBenchmarkFixture",
            dependencies: [
                "AfterHours", "AfterHoursCapture", "CRMCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ResponderBenchmarkFixture"
        ),
        .executableTarget(
            name: "ResponderProfile",
            dependencies: ["AfterHours", "ResponderBenchmarkFixture"],
            path: "Benchmarks/ResponderProfile"),
        .executableTarget(
            name: "ResponderBenchmarks",
            dependencies: [
                "AfterHours", "AfterHoursCapture", "ResponderBenchmarkFixture",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ResponderBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AMIBenchmarks",
            dependencies: [
                "AsteriskAMI", "CallCapture", "CRMCore",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/AMIBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

// `Fuzz/run` sets CONNECTORD_FUZZ and builds with `-Xswiftc -sanitize=fuzzer,address`: flags every module then gets,
// the benchmark plugin's tool included, which has a `main` of its own and cannot link with libFuzzer. The fuzz build
// leaves the benchmarks out.
if Context.environment["CONNECTORD_FUZZ"] != nil {
    package.targets.removeAll { !($0.plugins ?? []).isEmpty }
}
