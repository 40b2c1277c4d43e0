import Foundation
import Testing
@testable import OptLabRuntime

/// Every registered search sampler against what it promises: its plan, its
/// points (hand-worked where they are fixed), its timing. A sampler added to
/// `Samplers.all` without an entry here fails `everySamplerHasAnEntry`.
@Suite struct SamplerRegistryTests {
    static let space = SearchSpace([("lr", .logUniform(1e-4, 1)), ("p", .uniform(0, 1))])

    static func sampler(_ name: String) throws -> any SearchSampler {
        try #require(Samplers.registry.named(name)).make(ConstructorArguments(layer: name))
    }

    static let entries: [String: @Sendable () throws -> Void] = [
        "random": {
            let s = try sampler("random")
            #expect(s.plan(space: space, budget: 7).trials == 7)
            let a = try #require(s.point(space: space, index: 2, budget: 7, seed: 3, trial: 3))
            #expect(a == space.sample(seed: 3, trial: 3), "trial 3 is the space's own draw for (seed, trial)")
            #expect(a != s.point(space: space, index: 3, budget: 7, seed: 3, trial: 4))
            #expect(a["lr"]! >= 1e-4 && a["lr"]! <= 1 && a["p"]! >= 0 && a["p"]! <= 1)
        },
        "grid": {
            let s = try sampler("grid")
            let line = SearchSpace([("p", .uniform(0, 1))])
            let (n, note) = s.plan(space: line, budget: 4)
            #expect(n == 4 && note == "grid of 4 points (p 4 levels) for a budget of 4")
            // each level at its cell's centre: (j + ½)/4
            let points = (0..<4).map { s.point(space: line, index: $0, budget: 4, seed: 0, trial: $0 + 1)?["p"] }
            #expect(points == [0.125, 0.375, 0.625, 0.875])
            #expect(s.point(space: line, index: 4, budget: 4, seed: 0, trial: 5) == nil)
            #expect(s.plan(space: space, budget: 20).trials <= 20)
        },
        "tpe": {
            let s = try sampler("tpe")
            #expect(s.point(space: space, index: 0, budget: 5, seed: 1, trial: 1) == nil, "sampled when handed out, not ahead")
            let few = (1...4).map { TPE.Observation(values: space.sample(seed: 1, trial: $0), score: Double($0)) }
            #expect(s.point(space: space, finished: few, running: [], seed: 1, trial: 5) == space.sample(seed: 1, trial: 5),
                    "random until 10 trials have finished")
            let many = (1...12).map { TPE.Observation(values: space.sample(seed: 1, trial: $0), score: -Swift.abs(log10(space.sample(seed: 1, trial: $0)["lr"]!) + 2)) }
            let p = s.point(space: space, finished: many, running: [], seed: 1, trial: 13)
            #expect(p == TPE.sample(space: space, finished: many, running: [], seed: 1, trial: 13))
            #expect(p != space.sample(seed: 1, trial: 13))
        },
    ]

    @Test func everySamplerHasAnEntry() {
        for kind in Samplers.all { #expect(Self.entries[kind.name] != nil, "\(kind.name) is registered without a test entry") }
        for name in Self.entries.keys { #expect(Samplers.registry.named(name) != nil, "entry for \(name), which is not registered") }
    }

    @Test(arguments: Samplers.all.map(\.name))
    func samplerKeepsItsPromises(_ name: String) throws {
        try Self.entries[name]?()
        #expect(Samplers.registry.named(name)!.traits.adaptive == (name == "tpe"))
    }
}
