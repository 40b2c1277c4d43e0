import Foundation
import Testing
@testable import OptLabRuntime

/// torch.optim.lr_scheduler's rates step by step (Tests/references/schedules_torch.py
/// writes Fixtures/schedules_torch.json) against optlab's schedules, each built
/// from its declaration with the options as Lua spells them and driving a real
/// optimizer: the rate after construction and after every step, and `rate(at:)`
/// (sched:lr_at) for the same t, to 1e-12 relative. torch computes several of
/// these recursively; optlab's are functions of the step.
@Suite struct SchedulesAgainstPyTorchTests {
    static func cases() throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/schedules_torch.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return root["cases"] as! [[String: Any]]
    }

    /// A schedule from its declaration, the options as Lua spells them.
    static func make(_ c: [String: Any]) throws -> any ScheduleRule {
        let name = c["schedule"] as! String
        switch name {
        case "sequence":
            return SequentialSchedule(try (c["parts"] as! [[String: Any]]).map(make), milestones: (c["milestones"] as! [NSNumber]).map(\.intValue))
        case "chain":
            return ChainedSchedule(try (c["parts"] as! [[String: Any]]).map(make))
        case "lambda":
            let base = (c["power"] as! NSNumber).doubleValue
            return LambdaSchedule { t in Foundation.pow(base, Double(t)) }
        default:
            break
        }
        let options = c["options"] as! [String: Any]
        guard let kind = Schedules.registry.named(name) else { throw RuntimeError(.argument, "test", "no schedule \(name)") }
        var args = ConstructorArguments(layer: "optim." + name)
        for (k, v) in options {
            switch v {
            case let s as String: args.choices[k] = s
            case let list as [NSNumber]:
                args.numbers[k + "_count"] = Double(list.count)
                for (i, m) in list.enumerated() { args.numbers[k + "_\(i + 1)"] = m.doubleValue }
            case let n as NSNumber: args.numbers[k] = n.doubleValue
            default: throw RuntimeError(.argument, "test", "\(name): option \(k) of unexpected type")
            }
        }
        return try kind.make(args)
    }

    @Test func everyScheduleEqualsTorchs() throws {
        let cases = try Self.cases().filter { $0["rates"] != nil }
        #expect(cases.count == 24)
        for c in cases {
            let lr0 = (c["lr0"] as! NSNumber).doubleValue, want = (c["rates"] as! [NSNumber]).map(\.doubleValue)
            let p = try Tensor.zeros([1], dtype: .f64).requiringGrad()
            let opt = try Optimizer([p], rule: .sgd, learningRate: lr0)
            let schedule = try Schedule(try Self.make(c), optimizer: opt)
            var got = [opt.learningRate]
            for _ in 1..<want.count {
                try schedule.step()
                got.append(opt.learningRate)
            }
            let what = "\(c["schedule"]!) \(c["options"] ?? c["parts"] ?? "")"
            for (t, (g, w)) in zip(got, want).enumerated() {
                #expect(Swift.abs(g - w) <= 1e-12 * Swift.max(Swift.abs(w), 1e-12), "\(what): step \(t): \(g) vs torch's \(w)")
                #expect(try schedule.rate(at: t) == g, "\(what): lr_at(\(t)) differs from the rate stepped to")
            }
        }
    }

    /// OneCycleLR's and CyclicLR's momentum cycling: SGD's momentum and Adam's
    /// beta1 after construction and after every step, equal to torch's.
    @Test func momentumCyclesEqualTorchs() throws {
        let cases = try Self.cases().filter { $0["momenta"] != nil }
        #expect(cases.count == 4)
        for c in cases {
            let want = (c["momenta"] as! [NSNumber]).map(\.doubleValue)
            let sgd = c["optimizer"] as! String == "sgd"
            let p = try Tensor.zeros([1], dtype: .f64).requiringGrad()
            let rule: any UpdateRule = sgd ? MomentumRule(mu: 0.9) : AdamRule()
            let opt = try Optimizer([Optimizer.GroupSpec([p], rule: rule, learningRate: 0.1)], learningRate: 0.1)
            opt.declaredName = sgd ? "SGD" : "Adam"
            let schedule = try Schedule(try Self.make(c), optimizer: opt)
            let key = sgd ? "momentum" : "beta1"
            var got = [opt.hyperparameterValues(key)[0]!]
            for _ in 1..<want.count {
                try schedule.step()
                got.append(opt.hyperparameterValues(key)[0]!)
            }
            for (t, (g, w)) in zip(got, want).enumerated() {
                #expect(Swift.abs(g - w) <= 1e-12 * Swift.abs(w), "\(c["schedule"]!) \(c["options"]!): \(key) at step \(t): \(g) vs torch's \(w)")
            }
        }
    }
}
