// swift-tools-version:6.0
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Doorstep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "doorstep", targets: ["doorstep"]),
        .library(name: "DoorstepGeo", targets: ["DoorstepGeo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSpatiaLite",
            pkgConfig: "spatialite",
            providers: [.apt(["libspatialite-dev", "libsqlite3-dev", "libproj-dev", "libgeos-dev"])]
        ),
        .systemLibrary(
            name: "CGDAL",
            pkgConfig: "gdal",
            providers: [.apt(["libgdal-dev"])]
        ),
        .target(
            name: "DoorstepGeo",
            dependencies: [
                "CSpatiaLite",
                "CGDAL",
                .product(name: "Collections", package: "swift-collections"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "DoorstepHTTP",
            dependencies: [
                "DoorstepGeo",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "doorstep",
            dependencies: [
                "DoorstepGeo",
                "DoorstepHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // Deterministic generator of the sample city and of synthetic cities of any size (tools/).
        .target(
            name: "CityGen",
            dependencies: ["DoorstepGeo"],
            path: "tools/CityGen",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "doorstep-citygen",
            dependencies: ["CityGen"],
            path: "tools/citygen",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "doorstep-bench",
            dependencies: ["DoorstepGeo", "CityGen"],
            path: "tools/bench",
            swiftSettings: upcoming
        ),
        // Shared by the test targets: the package root, `doorstep` of this build (built when missing or stale), processes.
        .target(
            name: "DoorstepTestSupport",
            path: "Tests/DoorstepTestSupport",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "DoorstepGeoTests",
            dependencies: ["DoorstepGeo", "CityGen", "DoorstepTestSupport"],
            resources: [],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "DoorstepHTTPTests",
            dependencies: [
                "DoorstepHTTP",
                "DoorstepTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
