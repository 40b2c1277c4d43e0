// swift-tools-version:6.0
import PackageDescription

// Every folder under Sources/ is its target's name; the C targets (system
// libraries and shims) are grouped under Sources/C. Layers (docs/DESIGN.md):
//
//   optlab (executable) -> OptLabReport -> OptLabCharts -> OptLabRuntime -> C/CBLAS, C/CZlib, C/CKernels
//                       -> OptLabLua ----------^
//
// The runtime never imports Lua; the bindings never draw on a terminal and
// never write a report page (only the executable links OptLabReport).
let package = Package(
    name: "optlab",
    products: [
        .library(name: "OptLabRuntime", targets: ["OptLabRuntime"]),
        // Charts (SVG, terminal plots) and the report pages as products of their
        // own: a host embedding OptLabLua links the charts (monitor.plot draws
        // with them) but never the pages.
        .library(name: "OptLabCharts", targets: ["OptLabCharts"]),
        .library(name: "OptLabReport", targets: ["OptLabReport"]),
        // LuaLink: a Swift host that creates its Lua state links liblua5.4.
        .library(name: "OptLabLua", targets: ["OptLabLua", "LuaLink"]),
        // `require "optlab"` from a stock Lua 5.4: installed as lib/lua/5.4/optlab.so
        // (scripts/install). It links no Lua: the host's symbols are used.
        .library(name: "optlab-lua", type: .dynamic, targets: ["OptLabLuaModule"]),
        .executable(name: "optlab", targets: ["optlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // `swift package generate-documentation` (scripts/test builds the DocC catalogs).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries, all from Debian: liblua5.4-dev, libedit-dev, libopenblas-dev, zlib1g-dev.
        // CLua is Lua's headers only (<lua5.4/lua.h>); the library is linked by
        // LuaLink, so that the Lua module can leave it to its host.
        .systemLibrary(name: "CLua", path: "Sources/C/CLua", providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CEditLine", path: "Sources/C/CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/C/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/C/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // The notebook kernel (`optlab --kernel`): ZeroMQ for Jupyter's channels,
        // OpenSSL's libcrypto for the messages' HMAC-SHA256 signatures.
        // (no pkgConfig: libzmq.pc's flags include -isystem, which SwiftPM refuses)
        .systemLibrary(name: "CZMQ", path: "Sources/C/CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/C/COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // glibc's mallopt, which Swift's Glibc module does not export.
        .target(name: "CAllocator", path: "Sources/C/CAllocator"),
        // Vector kernels compiled per instruction set (AVX-512, AVX2, baseline) and
        // chosen at run time: Swift compiles for the baseline only, and no
        // -march flag may be set for a package others depend on.
        .target(name: "CKernels", path: "Sources/C/CKernels"),
        // The C half of the Lua bridge: the error trampoline, result pushing, Lua macro wrappers.
        .target(name: "CLuaBridge", dependencies: ["CLua"], path: "Sources/C/CLuaBridge"),
        // libedit's variadic calls, wrapped; apart from the bridge so that a host
        // embedding OptLabLua does not link libedit.
        .target(name: "CEditShims", dependencies: ["CEditLine"], path: "Sources/C/CEditShims"),
        // The Lua module's entry points (C, because they raise).
        .target(name: "CLuaModule", dependencies: ["CLua"], path: "Sources/C/CLuaModule"),
        .target(name: "LuaLink", linkerSettings: [.linkedLibrary("lua5.4")]),

        // The numeric runtime: tensors, autograd, layers, losses, optimizers,
        // training, checks, the monitors' numbers, search, files.
        .target(name: "OptLabRuntime",
                dependencies: ["CBLAS", "CZlib", "CAllocator", "CKernels", .product(name: "RealModule", package: "swift-numerics")]),
        // Drawing: charts as SVG and in the terminal, from the runtime's numbers.
        .target(name: "OptLabCharts", dependencies: ["OptLabRuntime"]),
        // The HTML pages of `optlab report` (a run, a comparison, a search).
        .target(name: "OptLabReport", dependencies: ["OptLabRuntime", "OptLabCharts"]),
        // The Lua bindings. Their Lua source (prelude, search, modules) lives in
        // Sources/OptLabLua/Lua and is compiled into the library, so optlab stays
        // one self-contained file.
        .target(name: "OptLabLua", dependencies: ["OptLabRuntime", "OptLabCharts", "CLua", "CLuaBridge"],
                resources: [.embedInCode("Lua")]),
        // The Swift that sets up the runtime for `require "optlab"`.
        .target(name: "OptLabLuaModule", dependencies: ["OptLabLua", "CLuaModule", "CLuaBridge"]),
        // Swift 5 mode: the REPL lives on C globals (stdin/stdout/stderr, environ,
        // signal handlers, libedit callbacks) that Swift 6's checking rejects.
        .executableTarget(name: "optlab",
                          dependencies: ["OptLabLua", "OptLabReport", "OptLabCharts", "LuaLink", "OptLabRuntime",
                                         "CEditLine", "CEditShims", "CZMQ", "COpenSSL"],
                          resources: [.embedInCode("Lua")],
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "optlab-bench", dependencies: ["OptLabRuntime", "OptLabLua", "LuaLink"]),

        // (Examples/EmbedOptLab is a package of its own that depends on this one by path.)

        // (Fixtures/: numbers PyTorch printed, read by the tests from their source folder)
        .testTarget(name: "OptLabRuntimeTests", dependencies: ["OptLabRuntime"], exclude: ["Fixtures"]),
        .testTarget(name: "OptLabChartsTests", dependencies: ["OptLabCharts", "OptLabRuntime"]),
        .testTarget(name: "OptLabLuaTests", dependencies: ["OptLabLua", "LuaLink", "OptLabRuntime"]),
    ]
)
