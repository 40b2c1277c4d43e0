import OptLabRuntime

extension LuaOptions {
    /// Reads the declared options of a constructor (a layer's, an update
    /// rule's) into its arguments, checking each one's kind; what is not given
    /// keeps the declaration's default.
    func read(_ declared: [ConstructorParameter], into built: inout ConstructorArguments) throws {
        for p in declared {
            for key in [p.name] + p.aliases where has(key) {
                switch p.kind {
                case .size:
                    let v = try integer(key, default: 0)
                    guard v >= 0 else { throw args.argumentError(index, "option '\(key)' must be a non-negative integer, got \(v)") }
                    built.numbers[p.name] = Double(v)
                case .number: built.numbers[p.name] = try number(key, default: 0)
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
