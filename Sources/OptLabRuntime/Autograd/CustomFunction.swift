/// A differentiable function whose gradient someone wrote by hand (a Lua
/// `autograd.Function`): its forward ran without recording, and its
/// backward maps the output's gradient to one gradient per input.
public enum CustomFunction {
    /// A fresh alias of `output` (sharing its elements) whose node calls
    /// `backward`. Each gradient it returns (nil for none) must have its
    /// input's shape; it is converted to the input's dtype.
    public static func record(_ name: String, output: Tensor, inputs: [Tensor],
                              backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        let out = output.detach()
        guard inputs.contains(where: { $0.requiresGrad }), GradMode.enabled else { return out }
        let shapes = inputs.map(\.shape), dtypes = inputs.map(\.dtype)
        // the function's own ctx keeps what it needs: no values of ours are read
        return Tensor.record(name, out, inputs, saving: []) { g, needs in
            let grads = try backward(g)
            guard grads.count <= inputs.count else {
                throw RuntimeError(.autograd, "backward", "\(name)'s backward returned \(grads.count) gradients for \(inputs.count) tensor inputs")
            }
            return try (0..<inputs.count).map { i in
                guard i < grads.count, let gi = grads[i], needs[i] else { return nil }
                guard gi.shape == shapes[i] else {
                    throw RuntimeError(.autograd, "backward", "\(name)'s backward returned a gradient of shape \(describe(gi.shape)) for input \(i + 1) of shape \(describe(shapes[i]))")
                }
                return gi.dtype == dtypes[i] ? gi : try gi.to(dtypes[i])
            }
        }
    }

    /// Records the branch each element took (`mask` non-zero or not), so a
    /// gradient check tells kinks crossed inside the function from failures.
    public static func recordKink(_ name: String, _ mask: Tensor) {
        guard let recorder = KinkRecorder.current else { return }
        recorder.record(name, (0..<mask.count).map { mask.element($0) != 0 })
    }
}
