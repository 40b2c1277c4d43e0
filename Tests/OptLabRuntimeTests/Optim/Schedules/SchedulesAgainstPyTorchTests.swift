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
    @Test func everyScheduleEqualsTorchs() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/schedules_torch.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = root["cases"] as! [[String: Any]]
        #expect(cases.count == 19)
        for c in cases {
            let name = c["schedule"] as! String, options = c["options"] as! [String: Any]
            let lr0 = (c["lr0"] as! NSNumber).doubleValue, want = (c["rates"] as! [NSNumber]).map(\.doubleValue)
            guard let kind = Schedules.registry.named(name) else { Issue.record("no schedule \(name)"); continue }
            var args = ConstructorArguments(layer: "optim." + name)
            for (k, v) in options {
                switch v {
                case let s as String: args.choices[k] = s
                case let list as [NSNumber]:
                    args.numbers[k + "_count"] = Double(list.count)
                    for (i, m) in list.enumerated() { args.numbers[k + "_\(i + 1)"] = m.doubleValue }
                case let n as NSNumber: args.numbers[k] = n.doubleValue
                default: Issue.record("\(name): option \(k) of unexpected type")
                }
            }
            let p = try Tensor.zeros([1], dtype: .f64).requiringGrad()
            let opt = try Optimizer([p], rule: .sgd, learningRate: lr0)
            let schedule = try Schedule(try kind.make(args), optimizer: opt)
            var got = [opt.learningRate]
            for _ in 1..<want.count {
                try schedule.step()
                got.append(opt.learningRate)
            }
            let what = "\(name) \(options)"
            for (t, (g, w)) in zip(got, want).enumerated() {
                #expect(Swift.abs(g - w) <= 1e-12 * Swift.max(Swift.abs(w), 1e-12), "\(what): step \(t): \(g) vs torch's \(w)")
                #expect(schedule.rate(at: t) == g, "\(what): lr_at(\(t)) differs from the rate stepped to")
            }
        }
    }
}
