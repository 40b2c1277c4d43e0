import Testing
@testable import OptLabRuntime

/// What the executables restart with: glibc's malloc cache added to the
/// user's own tunables, never over a choice the user made.
@Suite struct StartupEnvironmentTests {
    @Test func theCacheSizeIsAddedToTheUsersTunables() {
        #expect(StartupEnvironment.mallocTunables(environment: [:]) == "glibc.malloc.tcache_count=65535")
        #expect(StartupEnvironment.mallocTunables(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"])
            == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=65535")
    }

    @Test func theUsersChoiceIsKept() {
        #expect(StartupEnvironment.mallocTunables(environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"]) == nil)
        #expect(StartupEnvironment.mallocTunables(environment: ["OPTLAB_MALLOC": "keep"]) == nil)
        // the restarted process never asks again, even if its tunables were dropped on the way
        #expect(StartupEnvironment.mallocTunables(environment: [StartupEnvironment.savedTunables: "unset"]) == nil)
    }

    /// The restarted process finds every setting made, so it does not restart
    /// again, and it knows what to give the programs it starts: the user's
    /// own tunables, or none.
    @Test func aRestartedProcessHasNothingLeftToSet() {
        var environment: [String: String] = ["PATH": "/usr/bin"]
        let first = StartupEnvironment.restartEnvironment(environment: environment)
        #expect(first["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=65535")
        #expect(first["OPENBLAS_THREAD_TIMEOUT"] == "4")
        environment.merge(first) { _, new in new }
        #expect(StartupEnvironment.restartEnvironment(environment: environment).isEmpty)
        let inherited = StartupEnvironment.inheritedTunables(environment: environment)
        #expect(inherited.restore && inherited.value == nil)

        var theirs: [String: String] = ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]
        theirs.merge(StartupEnvironment.restartEnvironment(environment: theirs)) { _, new in new }
        let back = StartupEnvironment.inheritedTunables(environment: theirs)
        #expect(back.restore && back.value == "glibc.malloc.arena_max=2")
        #expect(!StartupEnvironment.inheritedTunables(environment: ["PATH": "/usr/bin"]).restore)
    }
}
