import Foundation
import Testing
@testable import OptLabRuntime

/// The tensor ops against numbers PyTorch 2.15 printed in f64
/// (Tests/references/tensor_ops_torch.py writes Fixtures/tensor_ops_torch.json):
/// each op's output, its indices where it has them, and the gradient of
/// Σ output·w for each input, to 1e-9 relative.
@Suite struct TorchParityTests {
    struct Case {
        let name: String
        let inputs: [Tensor]
        let shape: [Int]
        let output: [Double]
        let indices: [Double]?
        let w: [Double]?
        let grads: [[Double]]?
    }

    static func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tensor_ops_torch.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func doubles(_ v: Any?) -> [Double] { (v as? [NSNumber])?.map(\.doubleValue) ?? [] }
        return try (root["cases"] as! [[String: Any]]).map { c in
            let inputs = try (c["inputs"] as! [[String: Any]]).map { i in
                try Tensor.from(doubles(i["values"]), dtype: .f64).reshape((i["shape"] as! [NSNumber]).map(\.intValue))
            }
            return Case(name: c["name"] as! String, inputs: inputs, shape: (c["shape"] as! [NSNumber]).map(\.intValue),
                        output: doubles(c["output"]), indices: c["indices"].map(doubles), w: c["w"].map(doubles),
                        grads: (c["grads"] as? [Any])?.map(doubles))
        }
    }

    /// The language-model cases' targets (0-based), as the reference script writes them.
    nonisolated(unsafe) static let tokens = try! Tensor.from([1, 2, 0, 3, 2, 2, 4, 0], dtype: .i32).reshape([2, 4])

    /// optlab's op for each case (0-based dims and indices, as the Swift API takes them).
    static let ops: [String: @Sendable ([Tensor]) throws -> (Tensor, Tensor?)] = [
        "sin": { (try $0[0].sin(), nil) }, "cos": { (try $0[0].cos(), nil) },
        "floor": { (try $0[0].floor(), nil) }, "ceil": { (try $0[0].ceil(), nil) },
        "round": { (try $0[0].round(), nil) }, "trunc": { (try $0[0].trunc(), nil) },
        "log1p": { (try $0[0].log1p(), nil) }, "expm1": { (try $0[0].expm1(), nil) }, "erf": { (try $0[0].erf(), nil) },
        "rsqrt": { (try $0[0].rsqrt(), nil) }, "reciprocal": { (try $0[0].reciprocal(), nil) }, "square": { (try $0[0].square(), nil) },
        "logsumexp_dim1": { (try $0[0].logsumexp(dim: 1), nil) }, "logsumexp_all": { (try $0[0].logsumexp(), nil) },
        "norm_p1_dim1": { (try $0[0].norm(p: 1, dim: 1), nil) }, "norm_p2_dim0_keep": { (try $0[0].norm(p: 2, dim: 0, keepDim: true), nil) },
        "norm_inf": { (try $0[0].norm(p: .infinity), nil) }, "norm_p3": { (try $0[0].norm(p: 3), nil) },
        "cumsum_dim1": { (try $0[0].cumsum(dim: 1), nil) }, "cumprod_dim1": { (try $0[0].cumprod(dim: 1), nil) },
        "sort_dim1_desc": { let r = try $0[0].sort(dim: 1, descending: true); return (r.values, try r.indices.add(1)) },
        "topk_2_dim1": { let r = try $0[0].topk(2, dim: 1); return (r.values, try r.indices.add(1)) },
        "gelu": { (try $0[0].gelu(), nil) }, "gelu_tanh": { (try $0[0].gelu(tanh: true), nil) },
        "silu": { (try $0[0].silu(), nil) }, "softplus_beta2_threshold1": { (try $0[0].softplus(beta: 2, threshold: 1), nil) },
        "lerp_0.3": { (try $0[0].lerp($0[1], weight: .scalar(0.3, dtype: .f64)), nil) },
        "tril_-1": { (try $0[0].tril(-1), nil) }, "triu_1": { (try $0[0].triu(1), nil) },
        "flip_0_1": { (try $0[0].flip(dims: [0, 1]), nil) }, "roll_2_dim1": { (try $0[0].roll(2, dim: 1), nil) },
        "roll_-4_flat": { (try $0[0].roll(-4), nil) }, "repeat_interleave_2_dim0": { (try $0[0].repeatInterleave(2, dim: 0), nil) },
        "masked_fill_gt0": { (try $0[0].maskedFill($0[0].detach().compare(.gt, .scalar(0, dtype: .f64)), -1.5), nil) },
        "stack_dim1": { (try Tensor.stack([$0[0], $0[1]], dim: 1), nil) },
        "scatter_add_dim0": { (try $0[0].scatterAdd(dim: 0, Tensor.from([2, 0, 1, 2, 0], dtype: .i32).reshape([1, 5]), $0[1]), nil) },
        "index_add_dim0": { (try $0[0].indexAdd(dim: 0, Tensor.from([2, 0], dtype: .i32), $0[1], alpha: 0.5), nil) },
        "loss_ce_ntv_ignore2": { (try SoftmaxCrossEntropy(ignoreIndex: 2).loss($0[0], tokens), nil) },
        "loss_ce_smooth0.2": { (try SoftmaxCrossEntropy(smoothing: 0.2).loss($0[0], tokens.narrow(dim: 0, start: 0, length: 1).reshape([4])), nil) },
        "loss_nll_ignore2": { (try NLL(ignoreIndex: 2).loss($0[0], tokens), nil) },
        "loss_l1": { (try L1().loss($0[0], $0[1]), nil) },
        "loss_huber_0.7": { (try Huber(delta: 0.7).loss($0[0], $0[1]), nil) },
        "loss_smoothl1_0.5": { (try SmoothL1(beta: 0.5).loss($0[0], $0[1]), nil) },
        "loss_bce_pos2": { (try BCEWithLogits(positiveWeight: 2).loss($0[0], $0[1]), nil) },
        "loss_kldiv": { (try KLDiv().loss($0[0], $0[1]), nil) },
        "linspace": { _ in (try Tensor.linspace(-1.5, 2.25, steps: 7, dtype: .f64), nil) },
        "logspace": { _ in (try Tensor.logspace(-4, -1, steps: 4, dtype: .f64), nil) },
    ]

    @Test func everyOpEqualsPyTorch() throws {
        let all = try TorchParityTests.cases()
        #expect(all.count == TorchParityTests.ops.count, "every fixture has its op here, and every op a fixture")
        for c in all {
            guard let op = TorchParityTests.ops[c.name] else { Issue.record("no op for \(c.name)"); continue }
            let leaves = try c.inputs.map { try $0.clone().requiringGrad() }
            let (out, indices) = try op(leaves)
            #expect(out.shape == c.shape, "\(c.name): shape \(out.shape) vs \(c.shape)")
            expectClose(try out.toDoubles(), c.output, tolerance: 1e-9)
            if let want = c.indices { #expect(try indices?.toDoubles() == want, "\(c.name): indices") }
            guard let w = c.w, let grads = c.grads else { continue }
            try out.mul(Tensor.from(w, dtype: .f64).reshape(c.shape)).sum().backward()
            for (k, (leaf, want)) in zip(leaves, grads).enumerated() {
                let got = try leaf.grad?.toDoubles() ?? [Double](repeating: 0, count: leaf.count)
                #expect(got.count == want.count, "\(c.name): gradient \(k) size")
                expectClose(got, want, tolerance: 1e-9)
            }
        }
    }
}
