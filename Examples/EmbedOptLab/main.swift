// A Swift tool that embeds optlab's Lua runtime: it hands Lua a tensor,
// registers a Swift function, runs a script, and reads the result back.
import OptLabLua
import OptLabRuntime

do {
    let vm = try LuaVM()
    let data = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
    try vm.setGlobal("data", .tensor(data))
    try vm.register("host_scale", help: "host_scale(x): the host's scale factor times x") { args in
        guard let x = args.first?.number else { return [.nil] }
        return [.number(x * 10)]
    }
    try vm.capturePrint { line in print("lua says: " + line, terminator: "") }
    try vm.run(code: """
    local w = tensor.ones(2, 2):requires_grad()
    local loss = (data:matmul(w)):sum() * host_scale(1)
    loss:backward()
    print("loss", loss:item())
    result = w.grad
    """)
    guard case .tensor(let grad) = try vm.global("result") else {
        print("no gradient came back")
        exit(1)
    }
    // d/dw of 10 · Σ data·w is 10 · (column sums of data) repeated: [[40, 40], [60, 60]]
    print("gradient from Lua:", grad.toDoubles())
    do {
        try vm.run(code: "tensor.zeros(2, 3):matmul(tensor.zeros(4, 2))")
    } catch {
        print("a Lua error reaches Swift as a thrown error:", String(describing: error).split(separator: "\n")[0])
    }
} catch {
    print("error: \(error)")
    exit(1)
}

import Glibc
