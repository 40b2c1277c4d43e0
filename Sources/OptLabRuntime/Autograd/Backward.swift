/// The reverse pass: walk the graph in reverse topological order, adding each
/// op's input gradients into its inputs, and into `.grad` at the leaves.
extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that
    /// requires grad, adding it into their `.grad`.
    ///
    /// - Parameters:
    ///   - gradient: d(something)/d(self); may be omitted for a one-element tensor (it is 1).
    ///   - retainGraph: keep the graph so a second `backward()` can go through it.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        guard requiresGrad else {
            throw RuntimeError(.autograd, "backward", "tensor does not require grad (no input of the expression had requires_grad)")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw RuntimeError(.shape, "backward", "gradient shape \(describe(gradient.shape)) does not match output shape \(describe(shape))")
            }
            seed = try gradient.to(dtype).clone()  // accumulation must never write into the caller's tensor
        } else {
            guard count == 1 else {
                throw RuntimeError(.autograd, "backward", "output has shape \(describe(shape)); call it on a one-element loss or pass a gradient of that shape")
            }
            seed = try Tensor.ones(shape, dtype: dtype)
        }

        let order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        var handedOut = Set<ObjectIdentifier>()

        try Tensor.withNoGrad {
            for t in order.reversed() {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
                guard let node = t.node else {
                    try t.accumulateGrad(g, handedOut: &handedOut)
                    continue
                }
                if t.retainsGrad { t.grad = g }
                guard let back = node.backward else {
                    throw RuntimeError(.autograd, "backward", "the graph through '\(node.op)' was already freed by an earlier backward(); pass retain_graph the first time to go through it twice")
                }
                try node.checkSaved()
                let needs = node.inputs.map { $0.requiresGrad }
                let inputGrads = try back(g, needs)
                for (input, ig) in zip(node.inputs, inputGrads) {
                    guard input.requiresGrad, let ig else { continue }
                    let key = ObjectIdentifier(input)
                    if let prior = grads[key] {
                        grads[key] = try prior.add(ig)
                    } else {
                        grads[key] = ig
                    }
                }
            }
        }
        if !retainGraph {
            for t in order {
                t.node?.backward = nil
                t.node?.inputs = []
                t.node?.saved = []
            }
        }
    }

    /// Leaves first, the root last. Iterative, so a graph of a million ops
    /// does not exhaust the stack.
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded {
                order.append(t)
                continue
            }
            guard visited.insert(ObjectIdentifier(t)).inserted else { continue }
            stack.append((t, true))
            for input in t.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// `.grad += g`. Storage handed to one leaf's `.grad` is never handed to
    /// another (add returns one tensor for both inputs, reshape a view of it),
    /// so that accumulating into one `.grad` in place cannot change another.
    private func accumulateGrad(_ g: Tensor, handedOut: inout Set<ObjectIdentifier>) throws {
        let g = g.dtype == dtype ? g : try g.to(dtype)
        if let existing = grad {
            try existing.addInPlace(g)
        } else if handedOut.insert(ObjectIdentifier(g.storage)).inserted {
            grad = g.detach()
        } else {
            let copy = try g.clone()
            handedOut.insert(ObjectIdentifier(copy.storage))
            grad = copy
        }
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }
}
