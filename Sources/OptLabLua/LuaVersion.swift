import CLuaBridge
import OptLabRuntime

/// The Lua release the bindings are built against.
public let luaRelease = String(cString: optlab_lua_version())
