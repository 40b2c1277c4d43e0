import Foundation
import OptLabLua
import OptLabRuntime

/// What modelling in Lua costs, each against its built-in twin in the same
/// run: interleaved pairs (built-in, then Lua), 9 pairs, the median ratio
/// and its range in the row's name.
enum ModellingBenchmarks {
    static let setup = """
    tensor.seed(1)
    X = tensor.randn{256, 784}; Y = tensor.from((function() local t = {} for i = 1, 256 do t[i] = (i % 10) + 1 end return t end)(), "i32")
    loss_fn = nn.SoftmaxCrossEntropy()
    Block = nn.Module:extend("Block")
    function Block:init(d) self.fc = nn.Linear(d, d) end
    function Block:forward(x) return self.fc(x):relu() end
    builtin = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)}
    lua = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), Block(256), nn.Linear(256, 10)}
    opt_builtin = optim.SGD(builtin, {lr = 0.01, momentum = 0.9})
    opt_lua = optim.SGD(lua, {lr = 0.01, momentum = 0.9})
    -- Adam written in Lua with in-place ops, on a copy of the built-in model
    adam_model = builtin:clone(); adam_builtin_model = builtin:clone()
    adam_builtin = optim.Adam(adam_builtin_model, {lr = 1e-3})
    local params, m, v = adam_model:parameters(), {}, {}
    for i, p in ipairs(params) do m[i] = tensor.zeros(p:shape()); v[i] = tensor.zeros(p:shape()) end
    local t = 0
    function lua_adam_step()
      t = t + 1
      local c1, c2 = 1 - 0.9 ^ t, 1 - 0.999 ^ t
      tensor.no_grad(function()
        for i, p in ipairs(params) do
          local g = p.grad
          m[i]:mul_(0.9):add_(g, 0.1)
          v[i]:mul_(0.999):addcmul_(g, g, 0.001)
          p:addcdiv_(m[i], (v[i] / c2):sqrt_():add_(1e-8), -1e-3 / c1)
        end
      end)
    end
    function zero(model) for _, p in ipairs(model:parameters()) do p.grad = nil end end
    -- one call: a Lua module around a ReLU against the ReLU alone
    relu = nn.ReLU(); Wrap = nn.Module:extend("Wrap")
    function Wrap:init() self.inner = nn.ReLU() end
    function Wrap:forward(x) return self.inner(x) end
    wrap = Wrap(); small = tensor.ones(1, 10)
    big_x = tensor.randn{1048576}; big_y = tensor.randn{1048576}; big_m = tensor.randn{1048576}
    """

    /// Seconds per iteration of each body, interleaved: (reference, ours) pairs.
    static func pairs(_ vm: LuaVM, reference: String, ours: String, iterations: Int) throws -> [(Double, Double)] {
        try vm.run(code: "function bench_a() for _ = 1, \(iterations) do \(reference) end end\nfunction bench_b() for _ = 1, \(iterations) do \(ours) end end")
        try vm.run(code: "bench_a(); bench_b()")
        var out: [(Double, Double)] = []
        for _ in 0..<9 {
            var t0 = now()
            try vm.run(code: "bench_a()")
            let a = (now() - t0) / Double(iterations)
            t0 = now()
            try vm.run(code: "bench_b()")
            out.append((a, (now() - t0) / Double(iterations)))
        }
        return out
    }

    static func row(_ name: String, unit: String, scale: Double, _ p: [(Double, Double)]) -> Row {
        Row.paired(name, ratio: "Lua ÷ built-in", unit: unit, scale: scale, p)
    }

    static func run() throws -> [Row] {
        let vm = try LuaVM()
        try vm.run(code: setup)
        let step = try pairs(vm, reference: "opt_builtin:zero_grad(); loss_fn(builtin(X), Y):backward(); opt_builtin:step()",
                             ours: "opt_lua:zero_grad(); loss_fn(lua(X), Y):backward(); opt_lua:step()", iterations: 20)
        let adam = try pairs(vm, reference: "zero(adam_builtin_model); loss_fn(adam_builtin_model(X), Y):backward(); adam_builtin:step()",
                             ours: "zero(adam_model); loss_fn(adam_model(X), Y):backward(); lua_adam_step()", iterations: 20)
        let call = try pairs(vm, reference: "local y = relu(small)", ours: "local y = wrap(small)", iterations: 50_000)
        let overhead = call.map { $0.1 - $0.0 }.sorted()
        let inplace = try pairs(vm, reference: "local z = big_x + big_y", ours: "big_x:add_(big_y)", iterations: 200)
        let addcmul = try pairs(vm, reference: "local z = big_x + big_y * big_m", ours: "big_x:addcmul_(big_y, big_m)", iterations: 100)
        return [
            row("MLP training step, a Lua module among built-in layers, batch 256 (reference: the same layers built in)", unit: "ms", scale: 1e3, step),
            row("MLP training step with Adam written in Lua, batch 256 (reference: optim.Adam)", unit: "ms", scale: 1e3, adam),
            row(String(format: "one Lua module call around a ReLU, 1×10 (reference: the ReLU alone; added %.2f µs)", overhead[overhead.count / 2] * 1e6),
                unit: "µs", scale: 1e6, call),
            row("x:add_(y), 1M f32 (reference: x + y)", unit: "µs", scale: 1e6, inplace),
            row("x:addcmul_(y, m), 1M f32 (reference: x + y * m)", unit: "µs", scale: 1e6, addcmul),
        ]
    }
}
