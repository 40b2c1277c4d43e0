// swift-tools-version:6.0
import PackageDescription

// Layers (see docs/DESIGN.md): REPL -> Bindings -> Runtime -> CBLAS, CZlib.
// The runtime never imports CLua; the bindings never draw on a terminal.
let package = Package(
    name: "optlab",
    products: [
        .library(name: "OptLabRuntime", targets: ["OptLabRuntime"]),
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
        // System libraries, all from Debian: liblua5.4-dev, libedit-dev, libopenblas-dev.
        // CLua is Lua's headers only (<lua5.4/lua.h>); the library is linked by
        // LuaLink, so that the Lua module can leave it to its host.
        .systemLibrary(name: "CLua", path: "Sources/CLua", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "LuaLink", path: "Sources/LuaLink", linkerSettings: [.linkedLibrary("lua5.4")]),
        .systemLibrary(name: "CEditLine", path: "Sources/CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // The notebook kernel (`optlab --kernel`): ZeroMQ for Jupyter's channels,
        // OpenSSL's libcrypto for the messages' HMAC-SHA256 signatures.
        // (no pkgConfig: libzmq.pc's flags include -isystem, which SwiftPM refuses)
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // glibc's mallopt, which Swift's Glibc module does not export.
        .target(name: "CAllocator", path: "Sources/CAllocator"),
        // Vector kernels compiled per instruction set (AVX-512, AVX2, baseline) and
        // chosen at run time: Swift compiles for the baseline only, and no
        // -march flag may be set for a package others depend on.
        .target(name: "CKernels", path: "Sources/CKernels"),
        // The C half of the Lua bridge: the error trampoline, result pushing, Lua macro wrappers.
        .target(name: "CLuaBridge", dependencies: ["CLua"], path: "Sources/CLuaBridge"),
        // libedit's variadic calls, wrapped; apart from the bridge so that a host
        // embedding OptLabLua does not link libedit.
        .target(name: "CEditShims", dependencies: ["CEditLine"], path: "Sources/CEditShims"),

        .target(name: "OptLabRuntime",
                dependencies: ["CBLAS", "CZlib", "CAllocator", "CKernels", .product(name: "RealModule", package: "swift-numerics")],
                path: "Sources/Runtime"),
        // The Lua source of the bindings (prelude, search) lives in Sources/Bindings/Lua
        // and is compiled into the library, so optlab stays one self-contained file.
        .target(name: "OptLabLua", dependencies: ["OptLabRuntime", "CLua", "CLuaBridge"],
                path: "Sources/Bindings", resources: [.embedInCode("Lua")]),
        // Swift 5 mode: the REPL lives on C globals (stdin/stdout/stderr, environ,
        // signal handlers, libedit callbacks) that Swift 6's checking rejects.
        // The Lua module's entry points (C, because they raise) and the Swift that sets up the runtime.
        .target(name: "CLuaModule", dependencies: ["CLua"], path: "Sources/CLuaModule"),
        .target(name: "OptLabLuaModule", dependencies: ["OptLabLua", "CLuaModule", "CLuaBridge"], path: "Sources/LuaModule"),
        .executableTarget(name: "optlab", dependencies: ["OptLabLua", "LuaLink", "OptLabRuntime", "CLua", "CLuaBridge", "CEditLine", "CEditShims", "CKernels", "CZMQ", "COpenSSL"],
                          path: "Sources/REPL", resources: [.embedInCode("Lua")],
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "optlab-bench", dependencies: ["OptLabRuntime", "OptLabLua", "LuaLink"],
                          path: "Sources/Bench"),

        // (Examples/EmbedOptLab is a package of its own that depends on this one by path.)

        .testTarget(name: "OptLabRuntimeTests", dependencies: ["OptLabRuntime"],
                    path: "Tests/OptLabRuntimeTests"),
        .testTarget(name: "OptLabLuaTests", dependencies: ["OptLabLua", "LuaLink", "OptLabRuntime"],
                    path: "Tests/OptLabLuaTests"),
    ]
)
