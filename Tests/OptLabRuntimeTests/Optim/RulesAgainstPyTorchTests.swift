import Foundation
import Testing
@testable import OptLabRuntime

/// The update rules beyond the notes' against torch.optim's trajectories in
/// f64 (Tests/references/optimizers_torch.py writes Fixtures/optimizers_torch.json;
/// Lion's reference is the paper's Algorithm 2 written out in torch ops):
/// 100 steps on a quadratic and on a small tanh MLP, the parameters compared
/// at steps 1, 2, 3, 10, 50 and 100, to 1e-9 relative (or, where the problem
/// amplifies rounding more, 100 times the fixture's `ulp_spread`). Each rule is built from its declaration
/// with the options as Lua spells them, so the option names and defaults are
/// checked too.
@Suite struct RulesAgainstPyTorchTests {
    struct Problem {
        let parameters: [Tensor]
        let matrices: [Tensor]
        let loss: () throws -> Tensor
    }

    static func tensor(_ values: [Double], _ shape: [Int]) throws -> Tensor {
        try Tensor.from(values, dtype: .f64).reshape(shape)
    }

    /// The reference script's problems, built from the same formulas ("square"
    /// only for SOAP, whose eigenbases must be unique).
    static func problem(_ name: String) throws -> Problem {
        func grid(_ r: Int, _ c: Int, _ f: (Int, Int) -> Double) -> [Double] { (0..<r).flatMap { i in (0..<c).map { j in f(i, j) } } }
        if name == "quadratic" {
            let X = try tensor(grid(4, 6) { i, j in cos(0.7 * Double(6 * i + j) + 0.3) * 2 }, [4, 6]).requiringGrad()
            let v = try tensor((0..<6).map { sin(1.3 * Double($0) + 0.5) * 3 }, [6]).requiringGrad()
            let A = try tensor(grid(4, 6) { i, j in 0.2 * pow(1.35, Double((6 * i + j) % 11)) }, [4, 6])
            let B = try tensor(grid(4, 6) { i, j in sin(0.9 * Double(6 * i + j)) }, [4, 6])
            let c = try tensor((0..<6).map { 0.5 + 0.4 * Double($0) }, [6]), d = try tensor((0..<6).map { cos(2.1 * Double($0)) }, [6])
            return Problem(parameters: [X, v], matrices: [X]) {
                let dx = try X.sub(B), dv = try v.sub(d)
                return try A.mul(dx).mul(dx).sum().mul(0.5).add(c.mul(dv).mul(dv).sum().mul(0.5))
            }
        }
        if name == "square" {
            let X = try tensor(grid(4, 4) { i, j in cos(0.9 * Double(4 * i + j) + 0.2) * 1.5 }, [4, 4]).requiringGrad()
            let v = try tensor((0..<6).map { sin(1.3 * Double($0) + 0.5) * 3 }, [6]).requiringGrad()
            let T = try tensor((0..<12).map { sin(0.8 * Double($0) + 0.1) }, [2, 2, 3]).requiringGrad()
            let A = try tensor(grid(4, 4) { i, j in 0.3 * pow(1.4, Double((4 * i + j) % 7)) }, [4, 4])
            let B = try tensor(grid(4, 4) { i, j in sin(1.1 * Double(4 * i + j)) }, [4, 4])
            let c = try tensor((0..<6).map { 0.5 + 0.4 * Double($0) }, [6]), d = try tensor((0..<6).map { cos(2.1 * Double($0)) }, [6])
            let e = try tensor((0..<12).map { 0.4 + 0.15 * Double($0) }, [2, 2, 3]), f = try tensor((0..<12).map { cos(0.7 * Double($0)) }, [2, 2, 3])
            return Problem(parameters: [X, v, T], matrices: [X]) {
                let dx = try X.sub(B), dv = try v.sub(d), dt = try T.sub(f)
                return try A.mul(dx).mul(dx).sum().mul(0.5).add(c.mul(dv).mul(dv).sum().mul(0.5))
                    .add(e.mul(dt).mul(dt).sum().mul(0.5)).add(X.sum().mul(T.sum()).mul(0.1))
            }
        }
        let W1 = try tensor(grid(5, 3) { i, j in 0.6 * sin(1.7 * Double(3 * i + j) + 0.2) }, [5, 3]).requiringGrad()
        let b1 = try tensor((0..<5).map { 0.1 * cos(2.3 * Double($0)) }, [5]).requiringGrad()
        let W2 = try tensor(grid(2, 5) { i, j in 0.5 * cos(1.1 * Double(5 * i + j) + 0.4) }, [2, 5]).requiringGrad()
        let b2 = try tensor([0.05, -0.1], [2]).requiringGrad()
        let x = try tensor(grid(8, 3) { n, j in sin(0.5 * Double(n) + 0.3 * Double(j)) }, [8, 3])
        let y = try tensor(grid(8, 2) { n, k in k == 0 ? cos(0.8 * Double(n)) * 0.5 : sin(0.6 * Double(n) + 1) }, [8, 2])
        return Problem(parameters: [W1, b1, W2, b2], matrices: [W1, W2]) {
            let h = try x.linear(weight: W1, bias: b1).tanh()
            let e = try h.linear(weight: W2, bias: b2).sub(y)
            return try e.mul(e).mean()
        }
    }

    /// The rule's constructor arguments from the case's options (Lua's spellings).
    static func arguments(_ options: [String: Any], rule: String) -> ConstructorArguments {
        var a = ConstructorArguments(layer: "optim." + rule)
        for (k, v) in options where k != "lr" && k != "weight_decay" {
            switch v {
            case let s as String: a.choices[k] = s
            case let pair as [NSNumber]: (a.numbers[k + "_1"], a.numbers[k + "_2"]) = (pair[0].doubleValue, pair[1].doubleValue)
            case let n as NSNumber: a.numbers[k] = n.doubleValue
            default: Issue.record("\(rule): option \(k) of unexpected type")
            }
        }
        return a
    }

    @Test func everyTrajectoryEqualsTorchOptims() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizers_torch.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = root["cases"] as! [[String: Any]]
        #expect(cases.count == 68)
        // every rule beyond the notes' has its trajectories here
        let covered = Set(cases.map { $0["rule"] as! String })
        #expect(covered.contains("SAM"), "SAM has no trajectory in the fixture")
        for kind in UpdateRules.all where !UpdateRuleRegistryTests.transcribed.contains(kind.name) {
            #expect(covered.contains(kind.name), "\(kind.name) has no torch.optim trajectory in the fixture")
        }
        for c in cases {
            let (rule, options, problemName) = (c["rule"] as! String, c["options"] as! [String: Any], c["problem"] as! String)
            let what = "\(rule) \(options) on \(problemName)"
            // SAM is a way of stepping another rule: its base rule, with two passes a step
            let sam = rule == "SAM"
            guard let kind = UpdateRules.registry.named(sam ? options["base"] as! String : rule) else { Issue.record("no rule \(rule)"); continue }
            let problem = try Self.problem(problemName)
            let trained = rule == "Muon" ? problem.matrices : problem.parameters
            let args = Self.arguments(sam ? options.filter { !["base", "rho", "adaptive"].contains($0.key) } : options, rule: rule)
            let lr = (options["lr"] as? NSNumber)?.doubleValue ?? kind.defaultLearningRate!
            let decay = (options["weight_decay"] as? NSNumber)?.doubleValue ?? kind.defaultWeightDecay
            let opt = try Optimizer(groups: [(trained, try kind.make(args), lr, decay)], learningRate: lr,
                                    decoupled: kind.decouples(args))
            if sam {
                opt.sharpness = try SharpnessAware(rho: (options["rho"] as! NSNumber).doubleValue,
                                                   adaptive: (options["adaptive"] as? NSNumber)?.boolValue ?? false)
            }
            let points = c["points"] as! [String: [[NSNumber]]]
            let spread = (c["ulp_spread"] as? [String: NSNumber]) ?? [:]
            for step in 1...100 {
                opt.zeroGrad()
                try problem.loss().backward()
                if sam {
                    try opt.perturb()
                    opt.zeroGrad()
                    try problem.loss().backward()
                    try opt.restore()
                }
                try opt.step()
                guard let want = points[String(step)] else { continue }
                for (k, p) in problem.parameters.enumerated() {
                    let expected = want[k].map(\.doubleValue)
                    let got = p.toDoubles()
                    let worst = zip(got, expected).map { Swift.abs($0 - $1) / Swift.max(Swift.abs($1), 1e-3) }.max() ?? .infinity
                    // 1e-9, or what an ulp at the start does to torch's own trajectory (times 100) where that is more
                    let tolerance = Swift.max(1e-9, 100 * (spread[String(step)]?.doubleValue ?? 0))
                    #expect(worst <= tolerance, "\(what): parameter \(k + 1) at step \(step) off by \(worst) (relative; allowed \(tolerance))")
                }
            }
            // a Schedule-Free rule's weights to evaluate after step 100, and back to the training weights
            for (key, move) in [("eval", opt.evaluationWeights), ("train_again", opt.trainingWeights)] {
                guard let want = points[key] else { continue }
                try move()
                for (k, p) in problem.parameters.enumerated() {
                    let worst = zip(p.toDoubles(), want[k].map(\.doubleValue)).map { Swift.abs($0 - $1) / Swift.max(Swift.abs($1), 1e-3) }.max() ?? .infinity
                    let tolerance = Swift.max(1e-9, 100 * (spread["100"]?.doubleValue ?? 0))
                    #expect(worst <= tolerance, "\(what): parameter \(k + 1), \(key) weights off by \(worst)")
                }
            }
        }
    }
}
