import CLua
import OptLabRuntime

/// Methods of tensors (`x:sum()`), 1-based like Lua: dimensions, indices and
/// labels count from 1; negative dimensions count from the end.
enum TensorMethods {
    static func unary(_ name: String, _ what: String, _ f: @escaping @Sendable (Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "x:\(name)()", "Elementwise \(what); differentiable.\n  local y = x:\(name)()", returningTensor: { a in
            try f(try a.tensor(1))
        })
    }

    static func binary(_ name: String, _ what: String, _ f: @escaping @Sendable (Tensor, Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "a:\(name)(b)", "Elementwise \(what); b is a tensor or a number; shapes broadcast.\n  local z = a:\(name)(b)", returningTensor: { a in
            let x = try a.tensor(1)
            return try a.withOperand(2, like: x) { y in try f(x, y) }
        })
    }

    static func compare(_ name: String, _ what: String) -> LuaFunction {
        LuaFunction(name, "x:\(name)(y)", "1 where x \(what) y, else 0 (a mask in x's dtype); not differentiable.\n  local positive = x:\(name)(0)") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.compare(name, try a.operand(2, like: x)))]
        }
    }

    /// sum, mean: over everything (a 0-d tensor) or along a dimension.
    static func reduction(_ name: String, _ what: String, _ f: @escaping @Sendable (Tensor, Int?, Bool) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "x:\(name)([dim [, keepdim]])", """
        The \(what) of all elements (a 0-d tensor; :item() gives the number), or along dim.
          local total = x:\(name)():item();  local rows = x:\(name)(2)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            let dim = try a.optionalDimension(2, rank: x.rank)
            return try f(x, dim, try a.bool(3, default: false))
        })
    }

    /// var, std: x:name([dim [, keepdim]] [, {correction=1, keepdim=false}]).
    static func spread(_ name: String, _ help: String, _ f: @escaping @Sendable (Tensor, Int?, Bool, Int) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, "x:\(name)([dim [, keepdim]] [, {correction=1}])", help, returningTensor: { a in
            let x = try a.tensor(1)
            let hasDim = a.type(2) == LUA_TNUMBER
            let hasKeep = hasDim && a.type(3) == LUA_TBOOLEAN
            let o = try a.options(hasDim ? (hasKeep ? 4 : 3) : 2, allowed: ["correction", "keepdim"])
            let keep = hasKeep ? try a.bool(3, default: false) : try o.bool("keepdim", default: false)
            return try f(x, hasDim ? try a.dimension(2, rank: x.rank) : nil, keep, try o.integer("correction", default: 1))
        })
    }

    static func extremum(_ name: String, largest: Bool) -> LuaFunction {
        LuaFunction(name, "x:\(name)([dim [, keepdim]])", """
        The \(largest ? "largest" : "smallest") element (a 0-d tensor), or along dim the values and their
        1-based indices (two results, as in Torch7). A NaN always wins.
          local best, where = scores:\(name)(2)
        """) { a in
            let x = try a.tensor(1)
            guard let dim = try a.optionalDimension(2, rank: x.rank) else {
                return [.tensor(largest ? try x.max() : try x.min())]
            }
            let keep = try a.bool(3, default: false)
            let values = largest ? try x.max(dim: dim, keepDim: keep) : try x.min(dim: dim, keepDim: keep)
            let idx = largest ? try x.argmax(dim: dim, keepDim: keep) : try x.argmin(dim: dim, keepDim: keep)
            return [.tensor(values), .tensor(try idx.add(1))]
        }
    }

    static let functions: [LuaFunction] = [
        LuaFunction("shape", "x:shape()", "The sizes, as a table.\n  local s = x:shape()   -- {128, 784}") { a in
            [.array(try a.tensor(1).shape.map { .integer($0) })]
        },
        LuaFunction("size", "x:size([dim])", "The size of dimension dim, or all sizes as a table (Torch7's size).") { a in
            let x = try a.tensor(1)
            if let d = try a.optionalDimension(2, rank: x.rank) { return [.integer(x.shape[d])] }
            return [.array(x.shape.map { .integer($0) })]
        },
        LuaFunction("dim", "x:dim()", "The number of dimensions.") { a in [.integer(try a.tensor(1).rank)] },
        LuaFunction("numel", "x:numel()", "The number of elements.") { a in [.integer(try a.tensor(1).count)] },
        LuaFunction("dtype", "x:dtype()", "\"f32\", \"f64\" or \"i32\".") { a in [.string(try a.tensor(1).dtype.rawValue)] },
        LuaFunction("to", "x:to(dtype)", "The values in another dtype (a copy; the same tensor when it already is).\n  local x64 = x:to(\"f64\")") { a in
            let x = try a.tensor(1)
            guard !a.isNoneOrNil(2) else { throw a.typeError(2, expected: "dtype") }
            return [.tensor(try x.to(try a.dtype(2)))]
        },
        LuaFunction("clone", "x:clone()", "A copy with its own storage, cut from the graph.") { a in [.tensor(try a.tensor(1).clone())] },
        LuaFunction("item", "x:item()", "The number in a one-element tensor.\n  print(loss:item())") { a in [.number(try a.tensor(1).item())] },
        LuaFunction("totable", "x:totable()", "The values as nested Lua tables (a number for a 0-d tensor); up to 10 million elements.") { a in
            let x = try a.tensor(1)
            guard x.count <= 10_000_000 else {
                throw a.argumentError(1, "\(x.count) elements is too many for a Lua table (at most 10 million); use x:save or x:slice")
            }
            return [x.luaTable()]
        },
        LuaFunction("reshape", "x:reshape(shape)", "The same elements in a new shape (one size may be -1); shares storage.\n  local flat = x:reshape{-1, 784}") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.reshape(try a.luaShape(2)))]
        },
        LuaFunction("view", "x:view(shape)", "Same as reshape (Torch7's name).") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.reshape(try a.luaShape(2)))]
        },
        LuaFunction("t", "x:t()", "The transpose of a matrix.") { a in [.tensor(try a.tensor(1).t())] },
        LuaFunction("transpose", "x:transpose(d1, d2)", "Swaps two dimensions (a copy).") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.transpose(try a.dimension(2, rank: x.rank), try a.dimension(3, rank: x.rank)))]
        },
        LuaFunction("permute", "x:permute(d1, d2, ...)", "Reorders dimensions: result dimension i is x's di.\n  local nhwc = images:permute(1, 3, 4, 2)   -- images [N,C,H,W] as [N,H,W,C]") { a in
            let x = try a.tensor(1)
            let dims = try (0..<x.rank).map { try a.dimension(2 + $0, rank: x.rank) }
            return [.tensor(try x.permute(dims))]
        },
        LuaFunction("slice", "x:slice(dim, from, to)", "Entries from..to (inclusive, 1-based; negative counts from the end) along dim; a copy.\n  local firstTen = x:slice(1, 1, 10)") { a in
            let x = try a.tensor(1)
            let d = try a.dimension(2, rank: x.rank)
            let n = x.shape[d]
            func pos(_ i: Int) throws -> Int {
                let v = try a.integer(i)
                let p = v < 0 ? n + v + 1 : v
                guard p >= 1 && p <= n else { throw a.argumentError(i, "index \(v) out of range for size \(n)") }
                return p
            }
            let from = try pos(3), to = try a.isNoneOrNil(4) ? n : pos(4)
            guard to >= from else { throw a.argumentError(4, "slice end \(to) is before its start \(from)") }
            return [.tensor(try x.narrow(dim: d, start: from - 1, length: to - from + 1))]
        },
        LuaFunction("narrow", "x:narrow(dim, start, length)", "length entries from start (1-based) along dim; a copy.") { a in
            let x = try a.tensor(1)
            let d = try a.dimension(2, rank: x.rank)
            return [.tensor(try x.narrow(dim: d, start: try a.integer(3) - 1, length: try a.integer(4)))]
        },
        LuaFunction("squeeze", "x:squeeze([dim])", "Removes dimensions of size 1 (all, or only dim).") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.squeeze(try a.optionalDimension(2, rank: x.rank)))]
        },
        LuaFunction("unsqueeze", "x:unsqueeze(dim)", "Inserts a dimension of size 1 at position dim (1..dim()+1; -1 appends one).\n  local column = v:unsqueeze(-1)") { a in
            let x = try a.tensor(1)
            let d = try a.integer(2)
            let places = x.rank + 1
            guard (d >= 1 && d <= places) || (d < 0 && d >= -places) else {
                throw a.argumentError(2, "position \(d) out of range 1..\(places) (or -\(places)..-1)")
            }
            return [.tensor(try x.unsqueeze(d > 0 ? d - 1 : places + d))]
        },
        LuaFunction("expand", "x:expand(shape)", "The values repeated along size-1 dimensions to shape (a copy).") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.expand(try a.luaShape(2)))]
        },
        LuaFunction("copy", "x:copy(src)", "Copies src's values into x, in place (shapes must match); returns x.") { a in
            try a.tensor(1).copy(from: try a.tensor(2))
            return [.argument(1)]
        },
        LuaFunction("fill", "x:fill(value)", "Sets every element to value, in place; returns x.") { a in
            let x = try a.tensor(1)
            try x.copy(from: Tensor.full(x.shape, try a.number(2), dtype: x.dtype))
            return [.argument(1)]
        },
        LuaFunction("matmul", "x:matmul(w)", "The matrix product (2-d, batched 3-d, or with a vector), through BLAS.\n  local scores = x:matmul(W)", returningTensor: { a in
            try a.tensor(1).matmul(try a.tensor(2))
        }),
        binary("add", "sum") { try $0.add($1) },
        binary("sub", "difference") { try $0.sub($1) },
        binary("mul", "product") { try $0.mul($1) },
        binary("div", "quotient") { try $0.div($1) },
        binary("maximum", "maximum") { try $0.maximum($1) },
        binary("minimum", "minimum") { try $0.minimum($1) },
        LuaFunction("pow", "x:pow(e)", "x raised to e (a number or a tensor), elementwise; differentiable.\n  local sq = x:pow(2)") { a in
            let x = try a.tensor(1)
            if a.type(2) == LUA_TNUMBER { return [.tensor(try x.pow(try a.number(2)))] }
            return [.tensor(try x.pow(try a.tensor(2)))]
        },
        compare("eq", "=="), compare("ne", "~="), compare("lt", "<"), compare("le", "<="), compare("gt", ">"), compare("ge", ">="),
        unary("neg", "negation") { try $0.neg() },
        unary("exp", "e^x") { try $0.exp() },
        unary("log", "natural logarithm") { try $0.log() },
        unary("sqrt", "square root") { try $0.sqrt() },
        unary("abs", "absolute value") { try $0.abs() },
        unary("sign", "sign (-1, 0, 1)") { try $0.sign() },
        unary("tanh", "hyperbolic tangent") { try $0.tanh() },
        unary("sigmoid", "logistic sigmoid 1/(1+e^-x), stable for large |x|") { try $0.sigmoid() },
        unary("relu", "max(0, x)") { try $0.relu() },
        unary("sin", "sine") { try $0.sin() },
        unary("cos", "cosine") { try $0.cos() },
        unary("floor", "floor (the gradient is 0, as in PyTorch)") { try $0.floor() },
        unary("ceil", "ceiling (the gradient is 0)") { try $0.ceil() },
        unary("round", "rounding to the nearest integer, a half to the even one (the gradient is 0)") { try $0.round() },
        unary("trunc", "rounding toward zero (the gradient is 0)") { try $0.trunc() },
        unary("log1p", "log(1 + x), exact for small x") { try $0.log1p() },
        unary("expm1", "e^x − 1, exact for small x") { try $0.expm1() },
        unary("erf", "error function") { try $0.erf() },
        unary("rsqrt", "1/√x") { try $0.rsqrt() },
        unary("reciprocal", "1/x") { try $0.reciprocal() },
        unary("square", "x²") { try $0.square() },
        LuaFunction("leaky_relu", "x:leaky_relu([slope])", "x where x > 0, else slope·x (default 0.01).") { a in
            [.tensor(try a.tensor(1).leakyRelu(try a.number(2, default: 0.01)))]
        },
        LuaFunction("clamp", "x:clamp(min, max)", "Each element limited to [min, max]; either may be nil.\n  local y = x:clamp(-1, 1)") { a in
            let x = try a.tensor(1)
            let lo = a.isNoneOrNil(2) ? nil : try a.number(2)
            let hi = a.isNoneOrNil(3) ? nil : try a.number(3)
            return [.tensor(try x.clamp(min: lo, max: hi))]
        },
        LuaFunction("where", "x:where(mask, y)", "x where mask is non-zero, else y.") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.where(try a.tensor(2), try a.operand(3, like: x)))]
        },
        reduction("sum", "sum") { try $0.sum(dim: $1, keepDim: $2) },
        reduction("mean", "mean") { try $0.mean(dim: $1, keepDim: $2) },
        extremum("max", largest: true),
        extremum("min", largest: false),
        LuaFunction("argmax", "x:argmax(dim [, keepdim])", "1-based indices of the largest entries along dim (an i32 tensor).\n  local predicted = scores:argmax(2)") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.argmax(dim: try a.dimension(2, rank: x.rank), keepDim: try a.bool(3, default: false)).add(1))]
        },
        LuaFunction("argmin", "x:argmin(dim [, keepdim])", "1-based indices of the smallest entries along dim.\n  local nearest = scores:argmin(-1)") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.argmin(dim: try a.dimension(2, rank: x.rank), keepDim: try a.bool(3, default: false)).add(1))]
        },
        LuaFunction("chunk", "x:chunk(n [, dim])", """
        At most n pieces along dim (default 1), each ⌈size/n⌉ long but the last, as a list (torch.chunk).
          local q, k, v = table.unpack(x:chunk(3, 1))
        """) { a in
            let x = try a.tensor(1)
            return [.array(try x.chunk(try a.integer(2), dim: try a.optionalDimension(3, rank: x.rank) ?? 0).map { .tensor($0) })]
        },
        LuaFunction("split", "x:split(size_or_sizes [, dim])", """
        Pieces along dim (default 1) of the given size (the last shorter when it does not divide) or of the
        listed sizes, as a list (torch.split).
          local head, tail = table.unpack(x:split({1, x:size(1) - 1}, 1))
        """) { a in
            let x = try a.tensor(1)
            let dim = try a.optionalDimension(3, rank: x.rank) ?? 0
            if a.type(2) == LUA_TTABLE {
                guard case .array(let items) = try a.value(2) else { throw a.typeError(2, expected: "size or list of sizes") }
                let sizes = try items.map { v -> Int in
                    guard let n = v.number, let i = Int(exactly: n) else { throw a.argumentError(2, "sizes must be whole numbers") }
                    return i
                }
                return [.array(try x.split(sizes: sizes, dim: dim).map { .tensor($0) })]
            }
            return [.array(try x.split(size: try a.integer(2), dim: dim).map { .tensor($0) })]
        },
        LuaFunction("unbind", "x:unbind([dim])", """
        The slices along dim (default 1), that dimension removed, as a list (torch.unbind).
          for _, row in ipairs(x:unbind(1)) do print(row:sum():item()) end
        """) { a in
            let x = try a.tensor(1)
            return [.array(try x.unbind(dim: try a.optionalDimension(2, rank: x.rank) ?? 0).map { .tensor($0) })]
        },
        LuaFunction("flip", "x:flip(dim, ...)", """
        The entries along each dim given in reverse order (a copy; torch.flip).
          local reversed = x:flip(1)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            var dims: [Int] = []
            var i = 2
            while !a.isNoneOrNil(i) { dims.append(try a.dimension(i, rank: x.rank)); i += 1 }
            guard !dims.isEmpty else { throw a.argumentError(2, "expected at least one dimension") }
            return try x.flip(dims: dims)
        }),
        LuaFunction("roll", "x:roll(shift [, dim])", """
        The entries moved shift places along dim, wrapping around; without dim, of the flattened tensor,
        its shape kept (torch.roll).
          local shifted = x:roll(1, 2)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            return try x.roll(try a.integer(2), dim: try a.optionalDimension(3, rank: x.rank))
        }),
        LuaFunction("tril", "x:tril([diagonal])", """
        The lower triangle of the last two dimensions (entries with column − row ≤ diagonal, default 0), the
        rest 0; differentiable (torch.tril).
          local causal = tensor.ones{4, 4}:tril()
        """, returningTensor: { a in try a.tensor(1).tril(try a.integer(2, default: 0)) }),
        LuaFunction("triu", "x:triu([diagonal])", """
        The upper triangle of the last two dimensions (column − row ≥ diagonal, default 0), the rest 0 (torch.triu).
          local future = tensor.ones{4, 4}:triu(1)
        """, returningTensor: { a in try a.tensor(1).triu(try a.integer(2, default: 0)) }),
        LuaFunction("repeat_interleave", "x:repeat_interleave(repeats [, dim])", """
        Each entry along dim repeated repeats times in place; without dim, of the flattened tensor
        (torch.repeat_interleave).
          local doubled = x:repeat_interleave(2, 1)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            guard let dim = try a.optionalDimension(3, rank: x.rank) else { return try x.reshape([x.count]).repeatInterleave(try a.integer(2), dim: 0) }
            return try x.repeatInterleave(try a.integer(2), dim: dim)
        }),
        LuaFunction("masked_fill", "x:masked_fill(mask, value)", """
        A new tensor: value where mask is non-zero, else x's entries; the mask broadcasts (torch.masked_fill).
          local masked = scores:masked_fill(scores:lt(0), -math.huge)
        """, returningTensor: { a in try a.tensor(1).maskedFill(try a.tensor(2), try a.number(3)) }),
        LuaFunction("cumsum", "x:cumsum(dim)", "The running sum along dim; differentiable.\n  local totals = x:cumsum(1)", returningTensor: { a in
            let x = try a.tensor(1)
            return try x.cumsum(dim: try a.dimension(2, rank: x.rank))
        }),
        LuaFunction("cumprod", "x:cumprod(dim)", "The running product along dim; differentiable, zeros included.\n  local products = x:cumprod(1)", returningTensor: { a in
            let x = try a.tensor(1)
            return try x.cumprod(dim: try a.dimension(2, rank: x.rank))
        }),
        LuaFunction("sort", "x:sort([dim [, descending]])", """
        The entries along dim (default the last) in order, and their 1-based indices (two results). Stable;
        NaN sorts as the largest. The values are differentiable.
          local sorted, order = x:sort(1, true)
        """) { a in
            let x = try a.tensor(1)
            let r = try x.sort(dim: try a.optionalDimension(2, rank: x.rank) ?? -1, descending: try a.bool(3, default: false))
            return [.tensor(r.values), .tensor(try r.indices.add(1))]
        },
        LuaFunction("argsort", "x:argsort([dim [, descending]])", "The 1-based indices that sort x along dim (default the last); stable.\n  local order = x:argsort(1)") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.sort(dim: try a.optionalDimension(2, rank: x.rank) ?? -1, descending: try a.bool(3, default: false)).indices.add(1))]
        },
        LuaFunction("topk", "x:topk(k [, dim [, largest]])", """
        The k largest (smallest with largest = false) entries along dim (default the last), in order, and
        their 1-based indices (two results). The values are differentiable.
          local best, which = scores:topk(3)
        """) { a in
            let x = try a.tensor(1)
            let r = try x.topk(try a.integer(2), dim: try a.optionalDimension(3, rank: x.rank) ?? -1, largest: try a.bool(4, default: true))
            return [.tensor(r.values), .tensor(try r.indices.add(1))]
        },
        LuaFunction("eigh", "a:eigh()", """
        The eigenvalues (ascending) and eigenvectors (the columns, vectors[{{}, i}] for values[i]) of a
        symmetric matrix, by LAPACK (torch.linalg.eigh); only the upper triangle is read. Not differentiable.
          local values, vectors = a:t():matmul(a):eigh()
        """) { a in
            let r = try a.tensor(1).symmetricEigen()
            return [.tensor(r.values), .tensor(r.vectors)]
        },
        LuaFunction("qr", "a:qr()", """
        The reduced QR factorisation of a matrix [m, n] (torch.linalg.qr): Q [m, k] with orthonormal columns
        and R [k, n] upper triangular, k = min(m, n), by Householder reflections (LAPACK). Not differentiable.
          local q, r = a:qr()
        """) { a in
            let r = try a.tensor(1).qr()
            return [.tensor(r.q), .tensor(r.r)]
        },
        LuaFunction("lerp", "x:lerp(stop, weight)", "x + weight·(stop − x); weight a number or a tensor; differentiable.\n  local mid = x:lerp(x * 2, 0.5)", returningTensor: { a in
            let x = try a.tensor(1)
            return try x.lerp(try a.operand(2, like: x), weight: try a.operand(3, like: x))
        }),
        LuaFunction("scatter_add", "x:scatter_add(dim, index, src)", """
        A copy of x with src's entries added at the 1-based index along dim (torch.scatter_add): for dim 1,
        out[index[i][j]][j] += src[i][j]. Differentiable in x and src.
          local counts = tensor.zeros{3}:scatter_add(1, tensor.from({1, 3, 3}, "i32"), tensor.ones{3})
        """, returningTensor: { a in
            let x = try a.tensor(1)
            return try x.scatterAdd(dim: try a.dimension(2, rank: x.rank), try a.indices(3), try a.tensor(4))
        }),
        LuaFunction("index_add", "x:index_add(dim, index, source [, alpha])", """
        A copy of x with alpha·source's slices added at the 1-based indices along dim (torch.index_add).
          local y = tensor.zeros{3, 2}:index_add(1, tensor.from({3, 1}, "i32"), tensor.ones{2, 2})
        """, returningTensor: { a in
            let x = try a.tensor(1)
            return try x.indexAdd(dim: try a.dimension(2, rank: x.rank), try a.indices(3), try a.tensor(4), alpha: try a.number(5, default: 1))
        }),
        LuaFunction("self_attention", "qkv:self_attention(heads [, {causal=false}])", """
        Scaled dot-product self-attention in one fused step (forward and backward): qkv [N, T, 3d] holds the
        queries, keys and values side by side (a projection's output), split into heads of d/heads features;
        returns [N, T, d], softmax(Q·Kᵀ/√(d/heads))·V per head. causal = true lets position i see 1..i only,
        without forming a mask. What nn.MultiheadAttention runs between its projections.
          local out = tensor.randn{2, 8, 3 * 16}:self_attention(4, {causal = true})   -- [2, 8, 16]
        """, options: ["causal"], returningTensor: { a in
            let o = try a.options(3, allowed: ["causal"])
            return try a.tensor(1).selfAttention(heads: try a.integer(2), causal: try o.bool("causal", default: false))
        }),
        LuaFunction("gelu", "x:gelu([{approximate=\"none\"}])", """
        GELU x·Φ(x) with erf (PyTorch's default), or its tanh approximation with approximate = "tanh".
          local h = x:gelu()
        """, options: ["approximate"], returningTensor: { a in
            let o = try a.options(2, allowed: ["approximate"])
            let kind = try o.string("approximate", default: "none")
            guard kind == "none" || kind == "tanh" else { throw a.argumentError(2, "approximate must be \"none\" or \"tanh\", got \"\(kind)\"") }
            return try a.tensor(1).gelu(tanh: kind == "tanh")
        }),
        unary("silu", "SiLU x·σ(x)") { try $0.silu() },
        LuaFunction("softplus", "x:softplus([{beta=1, threshold=20}])", """
        log(1 + e^(beta·x))/beta, and x where beta·x > threshold (PyTorch's); differentiable.
          local positive = x:softplus()
        """, options: ["beta", "threshold"], returningTensor: { a in
            let o = try a.options(2, allowed: ["beta", "threshold"])
            return try a.tensor(1).softplus(beta: try o.number("beta", default: 1), threshold: try o.number("threshold", default: 20))
        }),
        LuaFunction("multinomial", "w:multinomial(samples [, {replacement=false}])", """
        1-based category indices drawn from each row of the non-negative weights w (1-d or 2-d, not
        necessarily normalized), with or without replacement (torch.multinomial), from the seeded generator.
          local next_token = scores:softmax(-1):multinomial(1)
        """) { a in
            let w = try a.tensor(1)
            let o = try a.options(3, allowed: ["replacement"])
            return [.tensor(try w.multinomial(try a.integer(2), replacement: try o.bool("replacement", default: false)))]
        },
        LuaFunction("logsumexp", "x:logsumexp([dim [, keepdim]])", """
        log Σ e^x over all elements (a 0-d tensor) or along dim, computed stably (the maximum taken out first);
        differentiable (its gradient is the softmax).
          local lse = scores:logsumexp(-1)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            return try x.logsumexp(dim: try a.optionalDimension(2, rank: x.rank), keepDim: try a.bool(3, default: false))
        }),
        spread("var", "Variance Σ(x-mean)²/(n-correction); correction 1 (default) is unbiased, 0 numpy's.") { try $0.variance(dim: $1, keepDim: $2, correction: $3) },
        spread("std", "Standard deviation; correction as in var.") { try $0.std(dim: $1, keepDim: $2, correction: $3) },
        LuaFunction("norm", "x:norm([p [, dim [, keepdim]]])", """
        The p-norm (p = 2 by default, 1, math.huge for the largest |x|, or any p ≥ 1) of all elements (a 0-d
        tensor) or along dim; differentiable.
          local l2 = x:norm();  local rows = x:norm(1, 2)
        """, returningTensor: { a in
            let x = try a.tensor(1)
            let p = try a.number(2, default: 2)
            guard p >= 1 else { throw a.argumentError(2, "p must be at least 1 (or math.huge), got \(p)") }
            return try x.norm(p: p, dim: try a.optionalDimension(3, rank: x.rank), keepDim: try a.bool(4, default: false))
        }),
        LuaFunction("softmax", "x:softmax([dim])", "Softmax along dim (default: the last), computed stably.") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.softmax(dim: try a.optionalDimension(2, rank: x.rank) ?? -1))]
        },
        LuaFunction("log_softmax", "x:log_softmax([dim])", "Log-softmax along dim (default: the last), computed stably.") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.logSoftmax(dim: try a.optionalDimension(2, rank: x.rank) ?? -1))]
        },
        LuaFunction("cross_entropy", "scores:cross_entropy(labels)", """
        Mean softmax cross-entropy of N×C scores against N labels in 1..C (fused and stable).
          local loss = model(x):cross_entropy(y)
        """) { a in
            let s = try a.tensor(1)
            return [.tensor(try s.softmaxCrossEntropy(labels: try a.indices(2, op: "softmax_cross_entropy", bound: s.rank == 2 ? s.shape[1] : nil, what: "label")))]
        },
        LuaFunction("index_select", "x:index_select(dim, indices)", "Entries picked along dim by 1-based indices (a tensor or a table).") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.indexSelect(dim: try a.dimension(2, rank: x.rank), try a.indices(3)))]
        },
        LuaFunction("gather", "x:gather(dim, index)", "out[i][j] = x[i][index[i][j]] along dim, with 1-based indices.\n  local correct = scores:gather(2, y:unsqueeze(2))") { a in
            let x = try a.tensor(1)
            return [.tensor(try x.gather(dim: try a.dimension(2, rank: x.rank), try a.indices(3)))]
        },
        LuaFunction("one_hot", "labels:one_hot(classes [, dtype])", "Labels in 1..classes as rows of a one-hot matrix.") { a in
            let labels = try a.tensor(1)
            return [.tensor(try labels.sub(1).oneHot(classes: try a.integer(2), dtype: try a.dtype(3)))]
        },
        LuaFunction("requires_grad", "x:requires_grad([flag])", """
        Marks x as a parameter whose gradient backward() fills in x.grad (flag defaults to true); returns x.
          local w = tensor.randn{3, 3}:requires_grad()
        """) { a in
            try a.tensor(1).requiringGrad(try a.bool(2, default: true))
            return [.argument(1)]
        },
        LuaFunction("backward", "loss:backward([grad] [, {retain_graph=false}])", """
        Adds d(loss)/d(p) into p.grad for every p with requires_grad that led to loss.
        A one-element loss needs no grad argument.
          loss:backward(); print(w.grad)
        """) { a in
            let x = try a.tensor(1)
            let grad = try a.optionalTensor(2)
            let o = try a.options(a.type(2) == LUA_TTABLE ? 2 : 3, allowed: ["retain_graph"])
            try x.backward(grad, retainGraph: try o.bool("retain_graph", default: false))
            return []
        },
        LuaFunction("detach", "x:detach()", "The same values cut from the graph (shares storage).") { a in [.tensor(try a.tensor(1).detach())] },
        LuaFunction("zero_grad", "x:zero_grad()", "Forgets x.grad.") { a in
            try a.tensor(1).zeroGrad()
            return []
        },
        LuaFunction("save", "x:save(path)", "Writes x to a .npy file (or .safetensors), atomically.\n  w:save(\"w.npy\")") { a in
            let x = try a.tensor(1)
            let path = try a.string(2)
            if path.hasSuffix(".safetensors") { try SafeTensors.save([("tensor", x)], to: path) } else { try Npy.save(x, to: path) }
            return []
        },
    ]
}

extension LuaArgs {
    /// A shape given as a table or as sizes from `i` on; -1 allowed (reshape).
    func luaShape(_ i: Int) throws -> [Int] {
        if type(i) == LUA_TTABLE {
            guard case .array(let items) = try value(i) else { throw typeError(i, expected: "shape") }
            return try items.enumerated().map { k, v in
                guard let n = v.number, n.rounded() == n, n >= -1, n < 1e12 else { throw argumentError(i, "shape entry \(k + 1) is not a size") }
                return Int(n)
            }
        }
        var s: [Int] = []
        var k = i
        while type(k) == LUA_TNUMBER {
            s.append(try integer(k))
            k += 1
        }
        guard !s.isEmpty else { throw typeError(i, expected: "shape") }
        return s
    }
}
