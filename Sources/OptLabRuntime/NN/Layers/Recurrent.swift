import Foundation

/// PyTorch's nn.LSTM and nn.GRU, batch-first: [N, T, in] → outputs [N, T, H]
/// and the final states [layers, N, H]. Each layer's input projection runs
/// for all time steps in one product; the recurrence is composed of the
/// differentiable ops step by step, so its gradient is autograd's. The
/// parameters are PyTorch's, with its names and gate order (`weight_ih_l0`
/// [G·H, in], `weight_hh_l0` [G·H, H], `bias_ih_l0`, `bias_hh_l0`; LSTM's
/// gates i, f, g, o; GRU's r, z, n), all drawn U(−1/√H, 1/√H) as PyTorch's.
public class RecurrentLayer: Module {
    public let inputSize: Int, hidden: Int, layers: Int, hasBias: Bool, dropout: Double
    let generator: Generator
    /// Gates per unit: 4 for LSTM, 3 for GRU.
    var gates: Int { 4 }
    /// States per layer: (h, c) for LSTM, h for GRU.
    public var stateCount: Int { 2 }

    init(_ input: Int, _ hidden: Int, layers: Int, bias: Bool, dropout: Double, dtype: DType, generator: Generator) throws {
        guard input > 0, hidden > 0, layers > 0 else {
            throw RuntimeError(.argument, "", "input, hidden and layers must be positive, got \(input), \(hidden), \(layers)")
        }
        guard dropout >= 0, dropout < 1 else { throw RuntimeError(.argument, "", "dropout must be in [0, 1), got \(dropout)") }
        (inputSize, self.hidden, self.layers, hasBias, self.dropout) = (input, hidden, layers, bias, dropout)
        self.generator = generator
        super.init()
        let k = 1 / Double(hidden).squareRoot()
        func uniform(_ shape: [Int]) throws -> Tensor { try Tensor.rand(shape, dtype: dtype).mul(2 * k).sub(k) }
        for l in 0..<layers {
            try addParameter("weight_ih_l\(l)", uniform([gates * hidden, l == 0 ? input : hidden]))
            try addParameter("weight_hh_l\(l)", uniform([gates * hidden, hidden]))
            if bias {
                try addParameter("bias_ih_l\(l)", uniform([gates * hidden]))
                try addParameter("bias_hh_l\(l)", uniform([gates * hidden]))
            }
        }
    }

    override public var config: [String: Double] {
        ["input": Double(inputSize), "hidden": Double(hidden), "layers": Double(layers), "bias": hasBias ? 1 : 0, "dropout": dropout]
    }

    /// Layer l's (W_ih, W_hh, b_ih, b_hh).
    func weights(_ l: Int) -> (ih: Tensor, hh: Tensor, bih: Tensor?, bhh: Tensor?) {
        let per = hasBias ? 4 : 2
        return (parameter(l * per), parameter(l * per + 1), hasBias ? parameter(l * per + 2) : nil, hasBias ? parameter(l * per + 3) : nil)
    }

    /// A layer over the whole sequence from its input projection `pre` [N, T, G·H]:
    /// its outputs [N, T, H] and final states [N, H]. Each kind defines it.
    func sequence(_ pre: Tensor, _ initial: [Tensor], _ w: (ih: Tensor, hh: Tensor, bih: Tensor?, bhh: Tensor?)) throws -> (Tensor, [Tensor]) {
        throw RuntimeError(.argument, typeName, "this recurrent layer defines no recurrence")
    }

    override public func forward(_ x: Tensor) throws -> Tensor { try run(x).output }

    /// The outputs [N, T, H] of the last layer and each state [layers, N, H]
    /// after the last step; `initial` gives the states to start from (zeros by default).
    public func run(_ x: Tensor, initial: [Tensor]? = nil) throws -> (output: Tensor, states: [Tensor]) {
        try x.requireFloat(typeName)
        guard x.rank == 3, x.shape[2] == inputSize, x.shape[1] > 0 else {
            throw RuntimeError(.shape, typeName, "expected a batch of sequences [N, T, \(inputSize)] (batch first, T ≥ 1), got shape \(describe(x.shape))")
        }
        let (n, t) = (x.shape[0], x.shape[1])
        if let initial {
            guard initial.count == stateCount, initial.allSatisfy({ $0.shape == [layers, n, hidden] }) else {
                throw RuntimeError(.shape, typeName, "expected \(stateCount == 2 ? "initial states h0 and c0, each" : "an initial state h0") [\(layers), \(n), \(hidden)], got "
                                   + initial.map { describe($0.shape) }.joined(separator: " and "))
            }
        }
        var input = x
        var finals: [[Tensor]] = Array(repeating: [], count: stateCount)
        for l in 0..<layers {
            let w = weights(l)
            let pre = try input.reshape([n * t, input.shape[2]]).linear(weight: w.ih, bias: w.bih).reshape([n, t, gates * hidden])
            let state = try (0..<stateCount).map { s in
                try initial.map { try $0[s].narrow(dim: 0, start: l, length: 1).reshape([n, hidden]).to(x.dtype) }
                    ?? Tensor.zeros([n, hidden], dtype: x.dtype)
            }
            let (outputs, last) = try sequence(pre, state, w)
            for s in 0..<stateCount { finals[s].append(last[s]) }
            input = outputs
            if l < layers - 1 && isTraining && dropout > 0 {
                input = try input.mul(Tensor.bernoulli(input.shape, p: 1 - dropout, dtype: input.dtype, generator: generator).div(1 - dropout))
            }
        }
        return (input, try finals.map { try Tensor.stack($0, dim: 0) })
    }

    override public var summary: String {
        "\(typeName)(\(inputSize) -> \(hidden)\(layers > 1 ? ", \(layers) layers" : ""))"
    }
}

/// c' = f·c + i·g, h' = o·tanh(c'), gates i, f, g, o.
public final class LSTM: RecurrentLayer {
    override public init(_ input: Int, _ hidden: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                         dtype: DType = .f32, generator: Generator = .default) throws {
        try super.init(input, hidden, layers: layers, bias: bias, dropout: dropout, dtype: dtype, generator: generator)
    }

    /// The whole sequence in one fused operation (LSTMKernel.swift); its packed
    /// [N, T, 2H] output gives the outputs and the final h and c as views.
    override func sequence(_ pre: Tensor, _ initial: [Tensor], _ w: (ih: Tensor, hh: Tensor, bih: Tensor?, bhh: Tensor?)) throws -> (Tensor, [Tensor]) {
        let (n, t) = (pre.shape[0], pre.shape[1])
        let packed = try Tensor.lstmSequence(pre, weight: w.hh, bias: w.bhh, h0: initial[0], c0: initial[1])
        let outputs = try packed.narrow(dim: 2, start: 0, length: hidden)
        let cells = try packed.narrow(dim: 2, start: hidden, length: hidden)
        return (outputs, [try outputs.narrow(dim: 1, start: t - 1, length: 1).reshape([n, hidden]),
                          try cells.narrow(dim: 1, start: t - 1, length: 1).reshape([n, hidden])])
    }
}

/// r, z = σ(…), n = tanh(x·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn)), h' = (1 − z)·n + z·h.
public final class GRU: RecurrentLayer {
    override var gates: Int { 3 }
    override public var stateCount: Int { 1 }

    override public init(_ input: Int, _ hidden: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                         dtype: DType = .f32, generator: Generator = .default) throws {
        try super.init(input, hidden, layers: layers, bias: bias, dropout: dropout, dtype: dtype, generator: generator)
    }

    /// One time step at a time, composed of the differentiable ops.
    override func sequence(_ pre: Tensor, _ initial: [Tensor], _ w: (ih: Tensor, hh: Tensor, bih: Tensor?, bhh: Tensor?)) throws -> (Tensor, [Tensor]) {
        let (n, t) = (pre.shape[0], pre.shape[1])
        var h = initial[0], outputs: [Tensor] = []
        for step in 0..<t {
            let gi = try pre.narrow(dim: 1, start: step, length: 1).reshape([n, 3 * hidden]).chunk(3, dim: 1)
            let gh = try h.linear(weight: w.hh, bias: w.bhh).chunk(3, dim: 1)
            let r = try gi[0].add(gh[0]).sigmoid(), z = try gi[1].add(gh[1]).sigmoid()
            let candidate = try gi[2].add(r.mul(gh[2])).tanh()
            // (1 − z)·n + z·h = n + z·(h − n)
            h = try candidate.add(z.mul(h.sub(candidate)))
            outputs.append(h)
        }
        return (try Tensor.stack(outputs, dim: 1), [h])
    }
}

extension RecurrentLayer {
    static func declare(_ name: String, gates: Int, help: String,
                        make: @escaping @Sendable (Int, Int, Int, Bool, Double) throws -> Module) -> LayerKind {
        LayerKind(name, signature: "nn.\(name)(input, hidden [, {layers=1, bias=true, dropout=0}])", help: help,
                  positional: [.init("input", .size), .init("hidden", .size)],
                  options: [.init("layers", .size, default: 1), .init("bias", .flag, default: 1), .init("dropout", .number, default: 0)],
                  tensors: { a in
                      let (i, h, layers) = (try a.size("input"), try a.size("hidden"), try a.size("layers", default: 1))
                      return (0..<layers).flatMap { l -> [LayerTensor] in
                          [.parameter("weight_ih_l\(l)", [gates * h, l == 0 ? i : h]), .parameter("weight_hh_l\(l)", [gates * h, h])]
                              + (a.flag("bias", default: true) ? [.parameter("bias_ih_l\(l)", [gates * h]), .parameter("bias_hh_l\(l)", [gates * h])] : [])
                      }
                  }) { a in
            try make(try a.size("input"), try a.size("hidden"), try a.size("layers", default: 1), a.flag("bias", default: true), a.number("dropout", default: 0))
        }
    }
}

extension LSTM {
    public static let kind = RecurrentLayer.declare("LSTM", gates: 4, help: """
        A long short-term memory over sequences [N, T, input] (batch first): lstm(x [, h0, c0]) returns the
        outputs [N, T, hidden] and the final states h and c, each [layers, N, hidden] (zeros to start from
        unless given). A Sequential passes the outputs on. PyTorch's parameters: weight_ih_l0, weight_hh_l0,
        bias_ih_l0, bias_hh_l0 per layer, gates i, f, g, o; dropout between layers while training.
          local lstm = nn.LSTM(8, 16, {layers = 2}); local out, h, c = lstm(tensor.randn{4, 10, 8})
        """) { try LSTM($0, $1, layers: $2, bias: $3, dropout: $4) }
}

extension GRU {
    public static let kind = RecurrentLayer.declare("GRU", gates: 3, help: """
        A gated recurrent unit over sequences [N, T, input] (batch first): gru(x [, h0]) returns the outputs
        [N, T, hidden] and the final state h [layers, N, hidden]. PyTorch's parameters and gate order (r, z, n),
        PyTorch's reset gate applied to h·W_hnᵀ + b_hn; dropout between layers while training.
          local gru = nn.GRU(8, 16); local out, h = gru(tensor.randn{4, 10, 8})
        """) { try GRU($0, $1, layers: $2, bias: $3, dropout: $4) }
}
