import CLuaBridge

/// Stopping Lua code that runs too long, for a host: the REPL's Ctrl-C, a
/// notebook kernel's interrupt request. An interrupt raises "interrupted!"
/// at the next Lua instruction (lua.c's behaviour) and stops `train.fit`'s
/// loops at their next iteration; the session and its variables stay.
extension LuaVM {
    /// Runs `body` with Ctrl-C (SIGINT) interrupting the Lua code it runs;
    /// outside it, SIGINT has its usual effect again.
    @discardableResult
    public func withInterrupts<T>(_ body: () throws -> T) rethrows -> T {
        optlab_catch_sigint(luaState)
        defer { optlab_release_sigint() }
        return try body()
    }

    /// Runs `body` so that `LuaVM.requestInterrupt()`, called from another
    /// thread and without signals, interrupts the Lua code it runs.
    public func watchingInterrupts<T>(_ body: () throws -> T) rethrows -> T {
        optlab_watch_interrupts(luaState)
        defer { optlab_unwatch_interrupts() }
        return try body()
    }

    /// Interrupts the code running under `watchingInterrupts`, from any
    /// thread; false when nothing is running (the request is then dropped,
    /// so it never lands on the next cell).
    @discardableResult
    public static func requestInterrupt() -> Bool { optlab_request_interrupt() != 0 }

    /// Whether an interrupt came since the last call (and forgets it): for a
    /// host's own waits (a kernel waiting for input).
    public static func takeInterrupt() -> Bool { optlab_take_interrupt() != 0 }
}
