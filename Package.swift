// swift-tools-version:6.1
import PackageDescription

// Each C library sits in its own system-library target with a thin Swift wrapper module on
// top, so a binary links only the C libraries whose wrappers it imports.
let package = Package(
    name: "AlphaPulse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "alphapulse-symbols", targets: ["alphapulse-symbols"]),
        .executable(name: "alphapulse-ingest", targets: ["alphapulse-ingest"]),
        .executable(name: "alphapulse-scheduler", targets: ["alphapulse-scheduler"]),
        .executable(name: "alphapulse-inference", targets: ["alphapulse-inference"]),
        .executable(name: "alphapulse-gateway", targets: ["alphapulse-gateway"]),
        .executable(name: "alphapulse-replay", targets: ["alphapulse-replay"]),
        .executable(name: "alphapulse-bench", targets: ["alphapulse-bench"]),
        .executable(name: "alphapulse-replay-bench", targets: ["alphapulse-replay-bench"]),
        .executable(name: "alphapulse-analysis-bench", targets: ["alphapulse-analysis-bench"]),
        .executable(name: "alphapulse-ingest-bench", targets: ["alphapulse-ingest-bench"]),
        .executable(name: "alphapulse-signals-bench", targets: ["alphapulse-signals-bench"]),
        .executable(name: "alphapulse-gateway-bench", targets: ["alphapulse-gateway-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // C libraries
        .systemLibrary(name: "CLibPQ", path: "shared/CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", path: "shared/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCurl", path: "shared/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "shared/CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Shared modules
        .target(name: "Threads", path: "shared/Threads"),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "Threads",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "shared/Postgres"
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis", "Threads",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "shared/Redis"
        ),
        .target(
            name: "REST",
            dependencies: [
                "CCurl", "Threads",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "shared/REST"
        ),
        .target(
            name: "Core",
            dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            path: "shared/Core"
        ),
        .target(
            name: "Binance",
            dependencies: ["Core"],
            path: "shared/Binance",
            // The frame parser is the ingest's hot path, in tests too.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(name: "Archive", dependencies: ["CZlib"], path: "shared/Archive"),
        // Every Redis key and the codec of every value that crosses a process boundary.
        .target(name: "Contracts", dependencies: ["Core", "Analysis"], path: "shared/Contracts"),
        .target(
            name: "CandleStore",
            dependencies: [
                "Analysis", "Archive", "Core", "Postgres", "Schema",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "shared/CandleStore"
        ),
        .target(
            name: "Analysis",
            dependencies: ["Core"],
            path: "shared/Analysis",
            // Pure number crunching run over whole months by tests and the backtest.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "Schema",
            dependencies: ["Postgres"],
            path: "shared/Schema",
            resources: [.copy("migrations")]
        ),
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "Contracts", "Core", "Postgres", "Redis", "REST", "Schema",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "shared/ServiceRuntime"
        ),

        // Services: a library with the logic, a thin executable.
        .target(
            name: "Symbols",
            dependencies: [
                "ServiceRuntime", "Binance", "Contracts", "Core", "Postgres", "Redis", "REST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/symbols/Symbols"
        ),
        .executableTarget(name: "alphapulse-symbols", dependencies: ["Symbols"], path: "services/symbols/main"),
        .target(
            name: "Ingest",
            dependencies: [
                "ServiceRuntime", "Analysis", "Contracts", "Core", "Binance", "CandleStore", "Postgres", "Redis", "REST", "Schema", "Threads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "services/ingest/Ingest"
        ),
        .executableTarget(name: "alphapulse-ingest", dependencies: ["Ingest"], path: "services/ingest/main"),
        .target(
            name: "Scheduler",
            dependencies: [
                "ServiceRuntime", "Contracts", "Core", "CandleStore", "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/scheduler/Scheduler"
        ),
        .executableTarget(name: "alphapulse-scheduler", dependencies: ["Scheduler"], path: "services/scheduler/main"),
        .target(
            name: "Inference",
            dependencies: [
                "ServiceRuntime", "Analysis", "Archive", "Core", "Contracts", "CandleStore", "Postgres", "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/inference/Inference",
            // The analysis runs candle by candle over months in `backtest`; unoptimized that is minutes.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .executableTarget(name: "alphapulse-inference", dependencies: ["Inference"], path: "services/inference/main"),
        .target(
            name: "Gateway",
            dependencies: [
                "ServiceRuntime", "Analysis", "CandleStore", "Contracts", "Core", "Postgres", "Redis", "Schema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "services/gateway/Gateway"
        ),
        .executableTarget(name: "alphapulse-gateway", dependencies: ["Gateway"], path: "services/gateway/main"),
        .target(
            name: "Replay",
            dependencies: [
                "Archive", "ServiceRuntime", "Core",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            path: "services/replay/Replay",
            // The replay's data path (archive parsing, aggregation, synthetic markets) is hot even in
            // tests: unoptimized it takes seconds per load and starves the parallel test run.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .executableTarget(name: "alphapulse-replay", dependencies: ["Replay"], path: "services/replay/main"),

        // Benchmarks (run by `deploy/alphapulse bench`, never by the tests).
        .executableTarget(
            name: "alphapulse-bench",
            dependencies: [
                "Postgres", "Redis", "Schema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/alphapulse-bench"
        ),

        .executableTarget(
            name: "alphapulse-analysis-bench",
            dependencies: ["Analysis", "Archive", "Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "benchmarks/analysis-bench"
        ),

        .target(name: "BenchSupport", path: "benchmarks/BenchSupport"),

        .executableTarget(
            name: "alphapulse-ingest-bench",
            dependencies: [
                "BenchSupport", "Contracts", "Ingest", "Postgres", "Redis", "REST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "benchmarks/ingest-bench"
        ),
        .executableTarget(
            name: "alphapulse-signals-bench",
            dependencies: [
                "BenchSupport", "Archive", "CandleStore", "Contracts", "Core", "Postgres", "Redis", "Schema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/signals-bench"
        ),

        .executableTarget(
            name: "alphapulse-gateway-bench",
            dependencies: [
                "BenchSupport", "Contracts", "Core", "Gateway", "Postgres", "Redis", "Schema",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "benchmarks/gateway-bench"
        ),

        .executableTarget(
            name: "alphapulse-replay-bench",
            dependencies: [
                "BenchSupport", "REST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "benchmarks/replay-bench"
        ),

        // Tests
        .target(
            name: "TestSupport",
            dependencies: ["Archive", "Postgres", "Redis", "Schema", "Threads"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "CoreTests", dependencies: ["Core"], path: "Tests/CoreTests"),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts", "Core"], path: "Tests/ContractsTests"),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"], path: "Tests/ThreadsTests"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Schema", "TestSupport"], path: "Tests/PostgresTests"),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"], path: "Tests/RedisTests"),
        .testTarget(
            name: "RESTTests",
            dependencies: ["REST", "TestSupport", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/RESTTests"
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Archive", "Replay", "REST", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "Tests/ReplayTests",
            // These tests check whole months of real klines field by field; unoptimized, that
            // CPU work starves the rest of the parallel run.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .testTarget(
            name: "AnalysisTests",
            dependencies: ["Analysis", "Core", "TestSupport"],
            path: "Tests/AnalysisTests",
            exclude: ["Indicators/reference"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .testTarget(name: "BinanceTests", dependencies: ["Binance", "Core", "TestSupport"], path: "Tests/BinanceTests"),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", "Binance", "CandleStore", "Contracts", "Replay", "REST", "Redis", "Postgres", "Schema", "Core", "TestSupport"],
            path: "Tests/IngestTests"
        ),
        .testTarget(
            name: "CandleStoreTests",
            dependencies: ["CandleStore", "Core", "Postgres", "Schema", "CZlib", "TestSupport"],
            path: "Tests/CandleStoreTests"
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Inference", "Analysis", "Contracts", "Core", "CandleStore", "Postgres", "Redis", "ServiceRuntime", "TestSupport",
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "Tests/GatewayTests"
        ),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "Analysis", "Contracts", "CandleStore", "Redis", "Postgres", "REST", "Schema", "Core", "TestSupport"],
            path: "Tests/InferenceTests"
        ),
        .testTarget(
            name: "SymbolsTests",
            dependencies: ["Symbols", "Contracts", "Replay", "REST", "Redis", "Postgres", "Schema", "ServiceRuntime", "Core", "TestSupport"],
            path: "Tests/SymbolsTests"
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler", "Contracts", "CandleStore", "Redis", "Postgres", "Schema", "ServiceRuntime", "Core", "TestSupport"],
            path: "Tests/SchedulerTests"
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: ["ServiceRuntime", "Contracts", "Redis", "Schema", "REST", "TestSupport"],
            path: "Tests/RuntimeTests"
        ),
    ]
)
