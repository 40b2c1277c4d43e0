import Testing
@testable import OptLabRuntime

/// The layer registry: every kind builds from its declared arguments, and
/// its checkpoint description rebuilds the same layer (what clone, save/load
/// and EMA rely on; a layer missing from `Layers.all` fails here, not at
/// run time in a user's session).
@Suite struct LayersTests {
    /// Small arguments that fit every declaration: sizes 2 (kernels too), defaults elsewhere.
    static func arguments(_ kind: LayerKind) throws -> ConstructorArguments {
        var a = ConstructorArguments(layer: kind.name)
        for p in kind.positional where p.defaultValue == nil { a.numbers[p.name] = 2 }
        if kind.takesChildren { a.children = [try Linear(2, 2)] }
        return a
    }

    @Test func everyKindRoundTripsThroughItsDescription() throws {
        #expect(Layers.all.count >= 15)
        for kind in Layers.all {
            let m = try kind.make(try LayersTests.arguments(kind))
            #expect(m.typeName == kind.name, "\(kind.name) builds a \(m.typeName)")
            let spec = try ModuleSpec(json: try ModuleSpec(m).json())
            let rebuilt = try spec.build()
            #expect(rebuilt.summary == m.summary, "\(kind.name): \(rebuilt.summary) vs \(m.summary)")
            #expect(rebuilt.config == m.config, "\(kind.name) config")
            #expect(try m.clone().summary == m.summary)
            #expect(Layers.kind(named: kind.name) != nil)
        }
    }

    @Test func everyConfigKeyIsADeclaredArgument() throws {
        for kind in Layers.all where !kind.takesChildren {
            let m = try kind.make(try LayersTests.arguments(kind))
            let declared = Set((kind.positional + kind.options).map(\.name))
            for key in m.config.keys { #expect(declared.contains(key), "\(kind.name)'s config key '\(key)' is no argument") }
        }
    }

    /// nn.load checks a file against the shapes the layers declare before it
    /// builds anything: the declarations must be what building makes.
    @Test func everyKindDeclaresTheTensorsItMakes() throws {
        func expectDeclared(_ m: Module, _ what: String) throws {
            let declared = try ModuleSpec(m).tensorShapes()
            let made = (m.namedParameters() + m.namedBuffers()).map { ($0.name, $0.tensor.shape) }
            #expect(declared.map(\.name) == made.map(\.0), "\(what): names")
            #expect(declared.map(\.shape) == made.map(\.1), "\(what): shapes")
        }
        for kind in Layers.all {
            var a = try LayersTests.arguments(kind)
            // distinct sizes, so a swapped dimension shows
            // (attention's d must be a multiple of its heads)
            let sizes = kind.name == "MultiheadAttention" ? [6, 3] : [3, 5, 2]
            for (p, size) in zip(kind.positional.filter { $0.defaultValue == nil }, sizes) { a.numbers[p.name] = Double(size) }
            if kind.takesChildren { a.children = [try Linear(3, 4), try BatchNorm(4), try Conv2d(2, 3, kernel: 2, bias: false)] }
            try expectDeclared(try kind.make(a), kind.name)
            for flag in kind.options where flag.kind == .flag {
                var b = a
                b.numbers[flag.name] = flag.defaultValue == 0 ? 1 : 0
                try expectDeclared(try kind.make(b), "\(kind.name) with \(flag.name) = \(b.numbers[flag.name]!)")
            }
        }
    }

    @Test func unknownTypesAndBadConfigsAreFormatErrors() throws {
        #expect(throws: RuntimeError.self) { try ModuleSpec(type: "Nope").build() }
        #expect(throws: RuntimeError.self) { try ModuleSpec(type: "Linear", config: ["in": 2]).build() }
        #expect(throws: RuntimeError.self) { try ModuleSpec(type: "Linear", config: ["in": 2, "out": 1.5]).build() }
    }
}
