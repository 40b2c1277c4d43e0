// swift-tools-version:6.0
// A Swift tool that embeds optlab, as a user's own package would: it depends
// on optlab by path and uses only its public API (scripts/test builds and
// runs it from a clean .build).
import PackageDescription

let package = Package(
    name: "EmbedOptLab",
    dependencies: [
        .package(name: "optlab", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "EmbedOptLab",
            dependencies: [
                .product(name: "OptLabLua", package: "optlab"),
                .product(name: "OptLabRuntime", package: "optlab"),
            ]),
    ]
)
