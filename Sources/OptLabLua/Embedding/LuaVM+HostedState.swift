import CLuaBridge

extension LuaVM {
    static let anchorKey = "optlab.runtime"

    /// The registry reference of `require "optlab"`'s table in the state of
    /// `L` (a host's state), installing the runtime there the first time.
    /// For the Lua module (Sources/OptLabLuaModule); a Swift host creates a `LuaVM`.
    public static func moduleTable(in L: OpaquePointer) throws -> Int32 {
        if let anchored = optlab_anchored(L, anchorKey) {
            return Unmanaged<LuaVM>.fromOpaque(anchored).takeUnretainedValue().moduleTable
        }
        let vm = try LuaVM(hostedIn: L)
        let retained = Unmanaged.passRetained(vm as AnyObject)
        guard optlab_p_anchor(L, anchorKey, retained.toOpaque()) == 0 else {
            retained.release()
            throw LuaError(message: "cannot keep the runtime in the Lua state (out of memory)")
        }
        return vm.moduleTable
    }
}
