// swift-tools-version:6.0
import Foundation
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "plancal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "plancal", targets: ["plancal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.26.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // The only target that sees libical's C API.
        .systemLibrary(
            name: "CLibical",
            pkgConfig: "libical",
            providers: [.apt(["libical-dev"])]
        ),
        .target(name: "ICal", dependencies: ["CLibical"], swiftSettings: strict),
        .target(
            name: "PlanCore",
            dependencies: ["ICal", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(name: "PlanFeed", dependencies: ["PlanCore", "ICal"], swiftSettings: strict),
        // WebDAV/CalDAV request bodies read and multistatus answers written (XML, no HTTP).
        .target(name: "PlanDAV", swiftSettings: strict),
        // The API's request bodies, read by pure functions (no HTTP): the server and the fuzzer use them.
        .target(name: "PlanAPI", dependencies: ["PlanCore", "ICal"], swiftSettings: strict),
        .target(
            name: "PlanStore",
            dependencies: [
                "PlanCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // PostgreSQL, for more than one machine: the same repositories on postgres-nio.
        .target(
            name: "PlanStorePostgres",
            dependencies: [
                "PlanCore", "PlanStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for its error type: a lease fails with it while the server is away.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The year's reports as Word documents: a template (resources) filled and zipped.
        .target(
            name: "PlanDocuments",
            dependencies: ["PlanCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Template")],
            swiftSettings: strict
        ),
        // Everything that exists only for speed, behind `FeedCache`: the bounded body cache and
        // its pieces, gzip, the /dev/shm bodies for sendfile, the file watch, the renderer.
        .target(
            name: "PlanFeedCache",
            dependencies: [
                "PlanCore", "PlanFeed", "PlanStore", "ICal",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PlanServer",
            dependencies: [
                "PlanCore", "PlanFeed", "PlanStore", "PlanAPI", "PlanDocuments", "PlanFeedCache", "PlanDAV",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "plancal",
            dependencies: [
                "PlanCore", "PlanFeed", "PlanStore", "PlanStorePostgres", "PlanServer", "PlanDocuments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "plancal-bench",
            dependencies: ["PlanCore", "PlanFeed", "PlanStore", "PlanAPI", "ICal"],
            swiftSettings: strict
        ),
        .testTarget(name: "ICalTests", dependencies: ["ICal"], swiftSettings: strict),
        .testTarget(
            name: "PlanCoreTests",
            dependencies: ["PlanCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PlanDocumentsTests",
            dependencies: ["PlanDocuments", "PlanCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strict
        ),
        .testTarget(name: "PlanFeedTests", dependencies: ["PlanFeed", "PlanCore", "ICal"], swiftSettings: strict),
        .testTarget(
            name: "PlanStoreTests",
            dependencies: [
                "PlanStore", "PlanStorePostgres", "PlanCore", "ICal",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PlanServerTests",
            dependencies: [
                "PlanServer", "PlanFeedCache", "PlanCore", "PlanStore", "PlanStorePostgres", "PlanFeed", "ICal", "PlanDAV",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Plans"],
            swiftSettings: strict
        ),
    ]
)

// The libFuzzer targets (the plan loader; the API's JSON bodies; CalDAV's bodies) exist only when scripts/fuzz.sh
// builds them with PLANCAL_FUZZ=1 and -sanitize=fuzzer, which links libFuzzer's driver: an
// ordinary build could not link them.
if ProcessInfo.processInfo.environment["PLANCAL_FUZZ"] == "1" {
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(
            name: "plancal-fuzz",
            dependencies: ["PlanCore", "CLibFuzzer"],
            path: "Fuzz/PlanLoaderFuzz",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "plancal-fuzz-api",
            dependencies: ["PlanAPI", "PlanCore", "ICal", "CLibFuzzer"],
            path: "Fuzz/APIBodyFuzz",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "plancal-fuzz-dav",
            dependencies: ["PlanDAV", "PlanFeed", "PlanCore", "ICal", "CLibFuzzer"],
            path: "Fuzz/DAVBodyFuzz",
            swiftSettings: strict
        ),
    ]
}
