import CLua
import OptLabRuntime

/// The `tensor` module: making, loading and saving tensors, the generator,
/// and no-grad scopes.
enum TensorLibrary {
    static let summary = "tensors: creation, random numbers, files, no_grad"

    static func creator(_ name: String, _ what: String, _ make: @escaping @Sendable ([Int], DType) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "tensor.\(name)(shape [, dtype])", """
        A new tensor \(what). The shape is a table or a list of sizes; dtype is
        "f32" (default), "f64" or "i32".
          local x = tensor.\(name){2, 3}      -- or tensor.\(name)(2, 3), tensor.\(name)({2, 3}, "f64")
        """) { a in
            let (shape, next) = try a.shape(1)
            return [.tensor(try make(shape, try a.dtype(next)))]
        }
    }

    /// zeros_like and its kind: a new tensor of x's shape, in x's dtype unless one is given.
    static func like(_ name: String, _ what: String, _ make: @escaping @Sendable (Tensor, DType) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "tensor.\(name)(x [, dtype])", """
        A new tensor \(what), of x's shape and (unless dtype is given) dtype.
          local y = tensor.\(name)(x)
        """) { a in
            let x = try a.tensor(1)
            return [.tensor(try make(x, try a.dtype(2, default: x.dtype)))]
        }
    }

    static let functions: [LuaFunction] = [
        creator("zeros", "of zeros") { try Tensor.zeros($0, dtype: $1) },
        creator("ones", "of ones") { try Tensor.ones($0, dtype: $1) },
        creator("rand", "uniform in [0, 1), from the seeded generator") { try Tensor.rand($0, dtype: $1) },
        creator("randn", "of standard normal values, from the seeded generator") { try Tensor.randn($0, dtype: $1) },
        LuaFunction("full", "tensor.full(shape, value [, dtype])", """
        A new tensor with every element equal to value.
          local x = tensor.full({2, 2}, 0.5)
        """) { a in
            let (shape, next) = try a.shape(1)
            return [.tensor(try Tensor.full(shape, try a.number(next), dtype: try a.dtype(next + 1)))]
        },
        like("zeros_like", "of zeros") { x, d in try Tensor.zeros(x.shape, dtype: d) },
        like("ones_like", "of ones") { x, d in try Tensor.ones(x.shape, dtype: d) },
        like("rand_like", "uniform in [0, 1), from the seeded generator") { x, d in try Tensor.rand(x.shape, dtype: d) },
        like("randn_like", "of standard normal values, from the seeded generator") { x, d in try Tensor.randn(x.shape, dtype: d) },
        LuaFunction("full_like", "tensor.full_like(x, value [, dtype])", """
        A new tensor of x's shape (and dtype, unless one is given) with every element value.
          local halves = tensor.full_like(x, 0.5)
        """) { a in
            let x = try a.tensor(1)
            return [.tensor(try Tensor.full(x.shape, try a.number(2), dtype: try a.dtype(3, default: x.dtype)))]
        },
        LuaFunction("linspace", "tensor.linspace(start, stop, steps [, dtype])", """
        steps values evenly spaced from start to stop, both included (torch.linspace).
          tensor.linspace(0, 1, 5)   -- 0 0.25 0.5 0.75 1
        """) { a in
            [.tensor(try Tensor.linspace(try a.number(1), try a.number(2), steps: try a.integer(3), dtype: try a.dtype(4)))]
        },
        LuaFunction("logspace", "tensor.logspace(start, stop, steps [, base] [, dtype])", """
        base^v (base 10 by default) for steps values v evenly spaced from start to stop (torch.logspace).
          local lrs = tensor.logspace(-4, -1, 4)   -- 1e-4 1e-3 1e-2 1e-1
        """) { a in
            let hasBase = a.type(4) == LUA_TNUMBER
            return [.tensor(try Tensor.logspace(try a.number(1), try a.number(2), steps: try a.integer(3),
                                                base: hasBase ? try a.number(4) : 10, dtype: try a.dtype(hasBase ? 5 : 4)))]
        },
        LuaFunction("randint", "tensor.randint(low, high, shape [, dtype])", """
        Integers drawn uniformly from low to high − 1 (high excluded, as torch.randint), i32 unless a dtype is
        given, from the seeded generator.
          local tokens = tensor.randint(1, 66, {12, 64})
        """) { a in
            let (low, high) = (try a.integer(1), try a.integer(2))
            let (shape, next) = try a.shape(3)
            return [.tensor(try Tensor.randint(low, high, shape, dtype: try a.dtype(next, default: .i32)))]
        },
        LuaFunction("randperm", "tensor.randperm(n [, dtype])", """
        A random permutation of 1..n (i32), from the seeded generator: indices for a shuffle.
          local order = tensor.randperm(10)
        """) { a in
            [.tensor(try Tensor.randperm(try a.integer(1), dtype: try a.dtype(2, default: .i32)))]
        },
        LuaFunction("arange", "tensor.arange([start,] stop [, step] [, dtype])", """
        start, start+step, … up to but not including stop, as numpy's arange.
          tensor.arange(5)          -- 0 1 2 3 4
          tensor.arange(1, 2, 0.25) -- 1 1.25 1.5 1.75
        """) { a in
            var nums: [Double] = []
            var i = 1
            while a.type(i) == LUA_TNUMBER && nums.count < 3 { nums.append(try a.number(i)); i += 1 }
            guard !nums.isEmpty else { throw a.typeError(1, expected: "number") }
            let (start, stop, step) = nums.count == 1 ? (0, nums[0], 1) : (nums[0], nums[1], nums.count > 2 ? nums[2] : 1)
            return [.tensor(try Tensor.arange(start, stop, step: step, dtype: try a.dtype(i)))]
        },
        LuaFunction("eye", "tensor.eye(n [, m] [, dtype])", """
        The n×n identity matrix (n×m when m is given).
          local I = tensor.eye(3)
        """) { a in
            let n = try a.integer(1)
            let hasM = a.type(2) == LUA_TNUMBER
            let m = hasM ? try a.integer(2) : n
            guard n >= 0, m >= 0 else { throw a.argumentError(1, "sizes must be non-negative") }
            return [.tensor(try Tensor.eye(n, columns: m, dtype: try a.dtype(hasM ? 3 : 2)))]
        },
        LuaFunction("from", "tensor.from(table [, dtype])", """
        A tensor from nested tables of numbers (rectangular), or from one number.
          local x = tensor.from{{1, 2}, {3, 4}}
        """) { a in
            [.tensor(try a.nestedTensor(1, dtype: try a.dtype(2)))]
        },
        LuaFunction("bernoulli", "tensor.bernoulli(shape, p [, dtype])", """
        1 with probability p, else 0; from the seeded generator.
          local mask = tensor.bernoulli({4, 4}, 0.5)
        """) { a in
            let (shape, next) = try a.shape(1)
            return [.tensor(try Tensor.bernoulli(shape, p: try a.number(next), dtype: try a.dtype(next + 1)))]
        },
        LuaFunction("seed", "tensor.seed(n)", """
        Seeds the generator behind rand, randn, bernoulli, dropout and shuffling:
        the same script with the same seed gives the same numbers, bit for bit.
          tensor.seed(42)
        """) { a in
            let n = try a.integer(1)
            Generator.default.seed(UInt64(bitPattern: Int64(n)))
            return []
        },
        LuaFunction("rng_state", "tensor.rng_state()", """
        The generator's state, as a table to give back to tensor.set_rng_state
        (replays the same random numbers, e.g. the same dropout mask).
          local s = tensor.rng_state(); local a = tensor.rand(3)
          tensor.set_rng_state(s); local b = tensor.rand(3)   -- b equals a
        """) { _ in
            let s = Generator.default.state
            var pairs: [(String, LuaValue)] = [
                ("s1", .integer(Int(Int64(bitPattern: s.s.0)))), ("s2", .integer(Int(Int64(bitPattern: s.s.1)))),
                ("s3", .integer(Int(Int64(bitPattern: s.s.2)))), ("s4", .integer(Int(Int64(bitPattern: s.s.3)))),
            ]
            if let spare = s.spareNormal { pairs.append(("spare", .number(spare))) }
            return [.record(pairs)]
        },
        LuaFunction("set_rng_state", "tensor.set_rng_state(state)", """
        Restores a state returned by tensor.rng_state().
        """) { a in
            let o = try a.options(1, allowed: ["s1", "s2", "s3", "s4", "spare"])
            func word(_ k: String) throws -> UInt64 {
                guard case .integer(let v)? = o.value(k) else { throw a.argumentError(1, "state field '\(k)' missing or not an integer") }
                return UInt64(bitPattern: Int64(v))
            }
            let spare = o.has("spare") ? try o.number("spare", default: 0) : nil
            Generator.default.state = Generator.State(s: (try word("s1"), try word("s2"), try word("s3"), try word("s4")), spareNormal: spare)
            return []
        },
        LuaFunction("load", "tensor.load(path)", """
        Reads a .npy file (a tensor) or a .safetensors file (a table of tensors
        by name, and a second result with its string metadata). Nothing in the
        file is ever run.
          local w = tensor.load("w.npy")
          local ts, meta = tensor.load("model.safetensors")
        """) { a in
            let path = try a.string(1)
            if path.hasSuffix(".safetensors") {
                let f = try SafeTensors.load(path)
                return [.record(f.tensors.map { ($0.name, .tensor($0.tensor)) }),
                        .record(f.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })]
            }
            return [.tensor(try Npy.load(path))]
        },
        LuaFunction("save", "tensor.save(path, tensor_or_table [, metadata])", """
        Writes a tensor to .npy, or a table of named tensors (with optional
        string metadata) to .safetensors. Written to a temporary file, synced,
        then renamed: a failed save leaves the old file intact.
          tensor.save("w.npy", w)
          tensor.save("ckpt.safetensors", {w = w, b = b}, {epoch = "3"})
        """) { a in
            let path = try a.string(1)
            if let t = a.state.tensor(at: 2) {
                if path.hasSuffix(".safetensors") { try SafeTensors.save([("tensor", t)], to: path) } else { try Npy.save(t, to: path) }
                return []
            }
            guard case .record(let pairs) = try a.state.read(2, depth: 0, asRecord: true) else {
                throw a.typeError(2, expected: "tensor or table of tensors")
            }
            var named: [(name: String, tensor: Tensor)] = []
            for (k, v) in pairs.sorted(by: { $0.0 < $1.0 }) {
                guard let t = v.tensor else { throw a.argumentError(2, "entry '\(k)' is \(v.typeName), expected a tensor") }
                named.append((k, t))
            }
            var meta: [String: String] = [:]
            if !a.isNoneOrNil(3) {
                guard case .record(let m) = try a.state.read(3, depth: 0, asRecord: true) else { throw a.typeError(3, expected: "table of strings") }
                for (k, v) in m {
                    switch v {
                    case .string(let s): meta[k] = s
                    case .number(let d): meta[k] = String(d)
                    case .integer(let i): meta[k] = String(i)
                    default: throw a.argumentError(3, "metadata '\(k)' is \(v.typeName), expected a string")
                    }
                }
            }
            try SafeTensors.save(named, metadata: meta, to: path)
            return []
        },
        LuaFunction("stack", "tensor.stack(tensors [, dim])", """
        Joins a table of tensors of one shape along a new dimension dim (default 1; -1 appends it).
          local batch = tensor.stack({a, b})   -- two [n, p] tensors: [2, n, p]
        """) { a in
            guard case .array(let items) = try a.value(1) else { throw a.typeError(1, expected: "table of tensors") }
            let ts = try items.enumerated().map { k, v -> Tensor in
                guard let t = v.tensor else { throw a.argumentError(1, "entry \(k + 1) is \(v.typeName), expected a tensor") }
                return t
            }
            guard let first = ts.first else { throw a.argumentError(1, "expected at least one tensor") }
            var dim = 0
            if !a.isNoneOrNil(2) {
                let d = try a.integer(2), places = first.rank + 1
                guard (d >= 1 && d <= places) || (d < 0 && d >= -places) else {
                    throw a.argumentError(2, "position \(d) out of range 1..\(places) (or -\(places)..-1)")
                }
                dim = d > 0 ? d - 1 : places + d
            }
            return [.tensor(try Tensor.stack(ts, dim: dim))]
        },
        LuaFunction("cat", "tensor.cat(tensors [, dim])", """
        Joins a table of tensors along dim (default 1); other sizes must agree.
          local z = tensor.cat({a, b}, 2)   -- a [n, p] and b [n, q]: [n, p + q]
        """) { a in
            guard case .array(let items) = try a.value(1) else { throw a.typeError(1, expected: "table of tensors") }
            let ts = try items.enumerated().map { k, v -> Tensor in
                guard let t = v.tensor else { throw a.argumentError(1, "entry \(k + 1) is \(v.typeName), expected a tensor") }
                return t
            }
            guard let first = ts.first else { throw a.argumentError(1, "expected at least one tensor") }
            let dim = try a.isNoneOrNil(2) ? 0 : a.dimension(2, rank: first.rank)
            return [.tensor(try Tensor.concatenate(ts, dim: dim))]
        },
        LuaFunction("where", "tensor.where(mask, a, b)", """
        Elementwise: a where mask is non-zero, else b (all three broadcast).
          local y = tensor.where(x:gt(0), x, x * 0.1)
        """) { a in
            let mask = try a.tensor(1)
            let x = try a.operand(2, like: mask)
            return [.tensor(try x.where(mask, try a.operand(3, like: x)))]
        },
        LuaFunction("no_grad", "tensor.no_grad(fn, ...)", """
        Calls fn(...) without recording the graph (evaluation, manual updates)
        and returns its results.
          local acc = tensor.no_grad(function() return evaluate(model) end)
        """) { a in
            guard a.type(1) == LUA_TFUNCTION else { throw a.typeError(1, expected: "function") }
            // the arguments themselves (stack slots), so tables keep their identity and metatables
            let extra = a.count >= 2 ? (2...a.count).map { LuaValue.argument(Int32($0)) } : []
            return try Tensor.withNoGrad { try a.call(1, extra) }
        },
        LuaFunction("is_tensor", "tensor.is_tensor(x)", """
        True when x is a tensor.
        """) { a in
            [.bool(a.state.tensor(at: 1) != nil)]
        },
    ]
}
