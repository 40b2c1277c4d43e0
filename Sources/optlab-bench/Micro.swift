import OptLabRuntime

/// `optlab-bench micro`: the Swift-side cost of small ops, without Lua.
enum MicroBenchmarks {
    static func run() throws -> [Row] {
        let x = try Tensor.ones([4]), y = try Tensor.ones([4])
        let add = try secondsPerCall(inner: 200_000) { _ = try x.add(y) }
        let clone = try secondsPerCall(inner: 200_000) { _ = try x.clone() }
        let sum = try secondsPerCall(inner: 200_000) { _ = try x.sum() }
        return [
            Row(name: "Swift `x.add(y)`, 4 elements", unit: "µs", ours: add * 1e6, reference: nil, higherIsBetter: false),
            Row(name: "Swift `x.clone()`, 4 elements", unit: "µs", ours: clone * 1e6, reference: nil, higherIsBetter: false),
            Row(name: "Swift `x.sum()`, 4 elements", unit: "µs", ours: sum * 1e6, reference: nil, higherIsBetter: false),
        ]
    }
}
