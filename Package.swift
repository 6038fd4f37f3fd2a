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
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        // libpq, PostgreSQL's own client: the PostGIS store (README, "Scale": why libpq and not postgres-nio).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // The house, bottom up (docs/DESIGN.md): each target may import only those listed as its dependencies, so
        // the direction of the flow is the compiler's rule. Only DoorstepSpatiaLite names SQLite, only DoorstepPostGIS names PostgreSQL.
        .target(name: "DoorstepModel", swiftSettings: upcoming),
        .target(name: "DoorstepGeometry", dependencies: ["DoorstepModel", "CPROJ", "CGEOS"], swiftSettings: upcoming),
        .target(name: "DoorstepStore", dependencies: ["DoorstepModel", "DoorstepGeometry"], swiftSettings: upcoming),
        .target(
            name: "DoorstepSpatiaLite",
            dependencies: ["DoorstepModel", "DoorstepGeometry", "DoorstepStore", "CSpatiaLite"],
            swiftSettings: upcoming
        ),
        .target(
            name: "DoorstepPostGIS",
            dependencies: ["DoorstepModel", "DoorstepGeometry", "DoorstepStore", "CPostgres"],
            swiftSettings: upcoming
        ),
        .target(name: "DoorstepGDAL", dependencies: ["DoorstepModel", "CGDAL"], swiftSettings: upcoming),
        .target(
            name: "DoorstepNetwork",
            dependencies: ["DoorstepModel", "DoorstepGeometry", "DoorstepStore"],
            swiftSettings: upcoming
        ),
        .target(
            name: "DoorstepImport",
            dependencies: ["DoorstepModel", "DoorstepGeometry", "DoorstepStore", "DoorstepGDAL", "CGDAL"],
            swiftSettings: upcoming
        ),
        .target(
            name: "DoorstepAnalysis",
            dependencies: [
                "DoorstepModel", "DoorstepGeometry", "DoorstepStore", "DoorstepNetwork",
                .product(name: "Collections", package: "swift-collections"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "DoorstepExport",
            dependencies: [
                "DoorstepModel", "DoorstepGeometry", "DoorstepStore", "DoorstepNetwork", "DoorstepAnalysis",
                "DoorstepGDAL", "CGDAL",
            ],
            swiftSettings: upcoming
        ),
        // Opens a store by its address: the one target that knows the backends.
        .target(
            name: "DoorstepBackends",
            dependencies: ["DoorstepStore", "DoorstepSpatiaLite", "DoorstepPostGIS"],
            swiftSettings: upcoming
        ),
        // The engine in one import for the HTTP service, the CLI, the tools and the tests: every layer above except
        // the backends' own targets, so none of them can name SQLite.
        .target(
            name: "DoorstepGeo",
            dependencies: [
                "DoorstepModel", "DoorstepGeometry", "DoorstepStore", "DoorstepNetwork", "DoorstepImport",
                "DoorstepAnalysis", "DoorstepExport", "DoorstepBackends",
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
                .product(name: "Prometheus", package: "swift-prometheus"),
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
            dependencies: ["DoorstepGeo", "DoorstepSpatiaLite"],
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
            dependencies: ["DoorstepGeo", "DoorstepSpatiaLite", "CityGen"],
            path: "tools/bench",
            exclude: ["previous-figures.json"],  // read at run time (Figures.swift), not a resource
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
            dependencies: ["DoorstepGeo", "DoorstepSpatiaLite", "DoorstepPostGIS", "CityGen", "DoorstepTestSupport"],
            resources: [],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "DoorstepHTTPTests",
            dependencies: [
                "DoorstepHTTP",
                "DoorstepSpatiaLite",
                "DoorstepTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
