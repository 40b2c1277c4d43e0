import CLuaBridge
import CLuaModule
import Glibc
import OptLabLua

/// `require "optlab"` in a host's Lua: one `LuaVM` per state, created on the
/// first require and anchored in the state's registry, so the host's
/// `lua_close` releases it; later requires (and `require "optlab.nn"`) find it.
@_cdecl("optlab_module_open")
public func optlab_module_open(_ L: OpaquePointer?, _ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guard let L else { return 0 }
    do {
        return try LuaVM.moduleTable(in: L)
    } catch {
        message?.pointee = strdup("optlab: \(error)")
        return 0
    }
}
