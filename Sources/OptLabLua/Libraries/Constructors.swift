import CLua
import OptLabRuntime

/// Lua's side of every declared constructor (`nn.Linear`, `nn.MSE`,
/// `optim.Adam`, `optim.step_decay`): the arguments are read as the
/// declaration says, checked against each parameter's kind and range, and
/// passed to its `make`.
extension LuaArgs {
    /// The declaration's positional arguments from argument `first` on, then
    /// its options table; nothing more may be given. `optionsTable` allows an
    /// (empty) options table for a kind that declares no options.
    func constructorArguments<Made, Traits>(_ kind: Declaration<Made, Traits>, first: Int = 1, optionsTable: Bool? = nil,
                                            qualifier: String) throws -> ConstructorArguments {
        var args = ConstructorArguments(layer: qualifier + kind.name)
        let hasTable = optionsTable ?? !kind.options.isEmpty
        try noArguments(after: first - 1 + kind.positional.count + (hasTable ? 1 : 0))
        for (k, p) in kind.positional.enumerated() {
            let i = first + k
            if isNoneOrNil(i) {
                guard p.defaultValue != nil else { throw argumentError(i, "\(p.name) expected, got no value") }
                continue
            }
            switch p.kind {
            case .size:
                let v = try integer(i)
                guard v >= 0 else { throw argumentError(i, "\(p.name) must be a non-negative integer, got \(v)") }
                args.numbers[p.name] = Double(v)
            case .sizePair:
                let (h, w) = try sizePair(i, what: p.name)
                args.numbers[p.name] = Double(h)
                if w != h { args.numbers[p.name + "_w"] = Double(w) }
            case .number:
                let v = try number(i)
                if let refusal = p.refusal(v) { throw argumentError(i, refusal) }
                args.numbers[p.name] = v
            case .numberPair:
                (args.numbers[p.name + "_1"], args.numbers[p.name + "_2"]) = try numberPair(of: try value(i), at: i, what: p.name)
            case .sizeList:
                args.storeList(try sizeList(of: try value(i), at: i, what: p.name), as: p.name)
            case .flag: args.numbers[p.name] = try bool(i, default: false) ? 1 : 0
            case .choice: args.choices[p.name] = try string(i)
            }
        }
        guard hasTable else { return args }
        let at = first + kind.positional.count
        try options(at, allowed: kind.optionNames).read(kind.options, into: &args)
        return args
    }
}

extension LuaOptions {
    /// Reads the declared options of a constructor into its arguments,
    /// checking each one's kind and range; what is not given keeps the
    /// declaration's default.
    func read(_ declared: [ConstructorParameter], into built: inout ConstructorArguments) throws {
        for p in declared {
            for key in [p.name] + p.aliases where has(key) {
                switch p.kind {
                case .size:
                    let v = try integer(key, default: 0)
                    guard v >= 0 else { throw args.argumentError(index, "option '\(key)' must be a non-negative integer, got \(v)") }
                    built.numbers[p.name] = Double(v)
                case .sizePair:
                    guard let v = value(key) else { continue }
                    let (h, w) = try args.sizePair(of: v, at: index, what: "option '\(key)'")
                    built.numbers[p.name] = Double(h)
                    if w != h { built.numbers[p.name + "_w"] = Double(w) }
                case .number:
                    let v = try number(key, default: 0)
                    if let refusal = p.refusal(v) { throw args.argumentError(index, refusal) }
                    built.numbers[p.name] = v
                case .sizeList:
                    guard let v = value(key) else { continue }
                    built.storeList(try args.sizeList(of: v, at: index, what: "option '\(key)'"), as: p.name)
                case .numberPair:
                    guard let v = value(key) else { continue }
                    (built.numbers[p.name + "_1"], built.numbers[p.name + "_2"]) = try args.numberPair(of: v, at: index, what: "option '\(key)'")
                case .flag: built.numbers[p.name] = try bool(key, default: false) ? 1 : 0
                case .choice(let words):
                    let w = try string(key, default: "")
                    guard (try? Initialization(parsing: w)) != nil || words.contains(w) else {
                        throw args.argumentError(index, "option '\(key)' must be \(words.joined(separator: ", ")), got '\(w)'")
                    }
                    built.choices[p.name] = w
                }
            }
        }
    }
}

extension LuaArgs {
    /// A size or {height, width} at argument i.
    func sizePair(_ i: Int, what: String) throws -> (Int, Int) {
        try sizePair(of: try value(i), at: i, what: what)
    }

    /// A list of non-negative integers, {a, b, ...} (possibly empty).
    func sizeList(of v: LuaValue, at i: Int, what: String) throws -> [Int] {
        let items: [LuaValue]
        switch v {
        case .array(let a): items = a
        case .record(let r) where r.isEmpty: items = []
        default: throw argumentError(i, "\(what) must be a list of non-negative integers {a, b, ...}, got \(v.typeName)")
        }
        return try items.map { x in
            guard let d = x.number, d.rounded() == d, d >= 0, d < 1e12 else {
                throw argumentError(i, "\(what) must be a list of non-negative integers {a, b, ...}, got an entry \(x.typeName == "number" ? String(describing: x.number!) : x.typeName)")
            }
            return Int(d)
        }
    }

    /// Two numbers, {a, b}.
    func numberPair(of v: LuaValue, at i: Int, what: String) throws -> (Double, Double) {
        if case .array(let items) = v, items.count == 2, let a = items[0].number, let b = items[1].number { return (a, b) }
        throw argumentError(i, "\(what) must be a pair of numbers {a, b}, got \(v.typeName)")
    }

    func sizePair(of v: LuaValue, at i: Int, what: String) throws -> (Int, Int) {
        func size(_ x: LuaValue) -> Int? {
            guard let d = x.number, d.rounded() == d, d >= 0, d < 1e9 else { return nil }
            return Int(d)
        }
        if let s = size(v) { return (s, s) }
        if case .array(let items) = v, items.count == 2, let h = size(items[0]), let w = size(items[1]) { return (h, w) }
        throw argumentError(i, "\(what) must be a non-negative integer or {height, width}, got \(v.typeName)")
    }
}

extension ConstructorArguments {
    /// A size list as `name_1` … `name_k` and `name_count`.
    mutating func storeList(_ values: [Int], as name: String) {
        numbers[name + "_count"] = Double(values.count)
        for (k, v) in values.enumerated() { numbers[name + "_\(k + 1)"] = Double(v) }
    }
}
