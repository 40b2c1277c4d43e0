import Foundation
import Testing
@testable import OptLabRuntime

/// optlab's L-BFGS against torch.optim.LBFGS (PyTorch 2.x, f64): every point
/// the closure is evaluated at, in order, and the losses there. The references
/// are fixed numbers printed by `Tests/references/lbfgs_torch.py` (PyTorch
/// 2.15 CPU, 2026-12-01); the suites do not need PyTorch.
@Suite struct LBFGSAgainstPyTorchTests {
    struct Reference { let points: [[Double]], losses: [Double] }

    /// Runs one `step` from `start`, recording each evaluation.
    func record(_ start: [Double], _ f: (Tensor) throws -> Tensor, _ make: ([Tensor]) throws -> LBFGS) throws -> (LBFGS, Tensor, Reference, Double) {
        let x = try Tensor.from(start, dtype: .f64).requiringGrad()
        let opt = try make([x])
        var points: [[Double]] = [], losses: [Double] = []
        let first = try opt.step {
            let loss = try f(x)
            try loss.backward()
            points.append(x.toDoubles()); losses.append(try loss.item())
            return try loss.item()
        }
        return (opt, x, Reference(points: points, losses: losses), first)
    }

    func expectSame(_ got: Reference, _ want: Reference, tolerance: Double = 1e-9, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.points.count == want.points.count, "evaluations: \(got.points.count), PyTorch \(want.points.count)", sourceLocation: sourceLocation)
        for (i, (g, w)) in zip(got.points, want.points).enumerated() {
            for (a, b) in zip(g, w) where Swift.abs(a - b) > tolerance * Swift.max(1, Swift.abs(b)) {
                Issue.record("evaluation \(i): x = \(g), PyTorch \(w)", sourceLocation: sourceLocation)
                return
            }
        }
        for (i, (a, b)) in zip(got.losses, want.losses).enumerated() where Swift.abs(a - b) > tolerance * Swift.max(1, Swift.abs(b)) {
            Issue.record("evaluation \(i): loss \(a), PyTorch \(b)", sourceLocation: sourceLocation)
            return
        }
    }

    static func quadratic(_ x: Tensor) throws -> Tensor { try x.sub(100).pow(2).sum().mul(0.5) }

    static func rosenbrock(_ x: Tensor) throws -> Tensor {
        let (a, b) = (try x.subscripted([.at(0)]), try x.subscripted([.at(1)]))
        return try a.neg().add(1).pow(2).add(b.sub(a.pow(2)).pow(2).mul(100))
    }

    /// Logistic regression on a data set made from a formula (the script's).
    static func logistic(_ w: Tensor) throws -> Tensor {
        let n = 40
        let rows = (0..<n).map { i in [sin(1.3 * Double(i)), cos(0.7 * Double(i))] }
        let labels: [Double] = (0..<n).map { i in
            let t = Double(i)
            let score: Double = sin(1.3 * t) + 0.5 * cos(0.7 * t) + 0.4 * sin(3.1 * t)
            return score > 0 ? 1 : 0
        }
        let X = try Tensor.from(rows.flatMap { $0 }, shape: [n, 2], dtype: .f64), Y = try Tensor.from(labels, dtype: .f64)
        let weights = try w.subscripted([.range(0, 1)]), bias = try w.subscripted([.at(2)])
        let z = try X.matmul(weights.reshape([2, 1])).reshape([n]).add(bias)
        // binary cross-entropy with logits, log(1 + e^z) − y·z: z stays small here, and
        // the stable form max(z,0) + log(1 + e^−|z|) would take relu's and abs's
        // subgradients at z = 0, where the function is smooth
        let bce = try z.exp().add(1).log().sub(Y.mul(z)).mean()
        return try bce.add(weights.pow(2).sum().mul(0.05))
    }

    @Test func quadraticStepsLikePyTorch() throws {
        // The bracketing phase extrapolates by the cubic through the two last
        // points: 0, 1, 10 (the curvature condition holds there), then 100.
        let (opt, x, got, first) = try record([0], Self.quadratic) { try LBFGS($0) }
        expectSame(got, Self.quadraticStrongWolfe)
        #expect(first == 5000)
        #expect(x.toDoubles() == [100])
        #expect(opt.iterations == 2 && opt.evaluations == 4)
    }

    @Test func rosenbrockStepsLikePyTorch() throws {
        let (opt, x, got, first) = try record([-1.2, 1], Self.rosenbrock) {
            try LBFGS($0, maxIterations: 100, toleranceGrad: 1e-10, toleranceChange: 1e-14)
        }
        expectSame(got, Self.rosenbrockStrongWolfe)
        #expect(Swift.abs(first - 24.2) < 1e-12)
        expectClose(x.toDoubles(), [1.000000003286162, 1.0000000058407632], tolerance: 1e-9)
        #expect(opt.iterations == 37 && opt.evaluations == 45)
    }

    @Test func logisticRegressionStepsLikePyTorch() throws {
        let (opt, x, got, _) = try record([0, 0, 0], Self.logistic) {
            try LBFGS($0, maxIterations: 50, toleranceGrad: 1e-12, toleranceChange: 1e-15)
        }
        expectSame(got, Self.logisticStrongWolfe)
        expectClose(x.toDoubles(), [1.3054793178493973, 0.5177762061619952, 0.21213723298042161], tolerance: 1e-9)
        #expect(opt.iterations == 8 && opt.evaluations == 8)
    }

    @Test func fixedStepsLikePyTorchWithoutTheLastEvaluation() throws {
        let (opt, x, got, _) = try record([-1.2, 1], Self.rosenbrock) { try LBFGS($0, learningRate: 0.1, maxIterations: 12, lineSearch: .none) }
        expectSame(got, Self.rosenbrockFixedStep)
        expectClose(x.toDoubles(), [-1.0656310618118967, 1.0582333010137979], tolerance: 1e-9)
        #expect(opt.iterations == 12 && opt.evaluations == 12)
        #expect(opt.lastLoss == nil, "the last fixed step is not evaluated")
    }

    @Test func stopsAtMaxEvaluations() throws {
        let (opt, x, got, _) = try record([-1.2, 1], Self.rosenbrock) { try LBFGS($0, maxIterations: 100, maxEvaluations: 7) }
        expectSame(got, Self.rosenbrockMaxEval)
        expectClose(x.toDoubles(), [-1.0203084803940978, 1.0352769866467468], tolerance: 1e-9)
        #expect(opt.evaluations == 7 && opt.iterations == 5)
    }

    @Test func stateCarriesOverFromOneStepCallToTheNext() throws {
        // PyTorch: three calls of opt.step with max_iter 4 (max_eval 5):
        // n_iter 11, func_evals 15, each call starting with an evaluation
        // at the point the last one left, and the history kept.
        let x = try Tensor.from([-1.2, 1], dtype: .f64).requiringGrad()
        let opt = try LBFGS([x], maxIterations: 4)
        var points: [[Double]] = []
        for _ in 0..<3 {
            try opt.step {
                let loss = try Self.rosenbrock(x)
                try loss.backward()
                points.append(x.toDoubles())
                return try loss.item()
            }
        }
        expectSame(Reference(points: points, losses: []), Reference(points: Self.rosenbrockThreeCalls, losses: []))
        #expect(opt.iterations == 11 && opt.evaluations == 15)
    }

    @Test func defaultMaxEvaluationsIsPyTorchs() throws {
        let p = try Tensor.zeros([1], dtype: .f64).requiringGrad()
        #expect(try LBFGS([p]).maxEvaluations == 25)
        #expect(try LBFGS([p], maxIterations: 7).maxEvaluations == 8)
    }

    @Test func stopsWhenTheDirectionIsNotDescentByMoreThanToleranceChange() throws {
        // f = 1e-5·x: the gradient (1e-5) is above tolerance_grad, but the
        // first direction's slope g·d = −1e-10 is above −tolerance_change, so
        // PyTorch stops after one evaluation without moving (checked with
        // PyTorch: n_iter 1, func_evals 1, x = 0); no restart, no step.
        let (opt, x, got, _) = try record([0], { try $0.mul(1e-5).sum() }) { try LBFGS($0) }
        #expect(got.points == [[0]])
        #expect(x.toDoubles() == [0])
        #expect(opt.iterations == 1 && opt.evaluations == 1)
    }

    // quadratic, strong_wolfe: {'line_search_fn': 'strong_wolfe'}
    //   step returned 5000.0, final x [100.0]
    //   n_iter 2, func_evals 4
    static let quadraticStrongWolfe = Reference(
        points: [[0.0], [1.0], [10.0], [100.0]],
        losses: [5000.0, 4900.5, 4050.0, 0.0])

    // rosenbrock, strong_wolfe: {'line_search_fn': 'strong_wolfe', 'max_iter': 100, 'tolerance_grad': 1e-10, 'tolerance_change': 1e-14}
    //   step returned 24.199999999999996, final x [1.000000003286162, 1.0000000058407632]
    //   n_iter 37, func_evals 45
    static let rosenbrockStrongWolfe = Reference(
        points: [[-1.2, 1.0], [-0.4898550724637681, 1.289855072463768], [-1.0245319303460325, 1.0716196202669255], [-1.0284565745562346, 1.068187455748677], [-1.0288795348319695, 1.0655029516848564], [-1.0276177663827242, 1.0584120782656612], [-1.0203084803940978, 1.0352769866467468], [-0.9970310351680055, 0.9755913846740084], [-0.9431278012083242, 0.8529662725410918], [-0.8802131649658734, 0.7274772060719978], [-0.7745797354515831, 0.5476256792320806], [-0.6657084570888959, 0.41398308319536115], [-0.5160277728852024, 0.2265458257902353], [-0.34877876200144664, 0.12519507039453415], [0.1889124468569, -0.3849059597353517], [-0.21053348161068666, -0.005956525123739687], [-0.2560895768966468, 0.03726198161622369], [-0.17113560906029426, -0.006111200392020753], [-0.04619019171258308, -0.01801156636469505], [0.06629731136778556, -0.017627359722663875], [0.21682779600948238, 0.06691881400560815], [1.2117314341613201, 0.32428599542248837], [0.5096423098016859, 0.14266569360557238], [0.34184236067537654, 0.09925827373850052], [0.38062264334648777, 0.12491013187293636], [0.5136224431368508, 0.2558152810317753], [0.6161737966679104, 0.3544950575966924], [0.6803460312870351, 0.46120580018830387], [0.8082251033140458, 0.6242428640991566], [0.7460759093292195, 0.5450068956869687], [0.7887038200403467, 0.6122685417325051], [0.8342517656821654, 0.6981152654335759], [0.9656686308834154, 0.9071052328335358], [0.8926077474569865, 0.7909177737724866], [0.9160713624543694, 0.8342473675852569], [0.9452890215102754, 0.8950994053215234], [1.005544166946681, 1.0047505102286531], [0.9768773674819872, 0.9525832436377473], [0.9866961395800236, 0.9724067870330666], [0.9949244301959199, 0.9900103526083556], [1.0014241818074148, 1.0026291765163013], [0.9998139520065257, 0.9996256094716882], [0.9999814210791366, 0.9999619651810989], [1.0000000014508728, 0.9999999739512782], [1.000000003286162, 1.0000000058407632]],
        losses: [24.199999999999996, 112.44805608969924, 4.146927102567213, 4.125586713674038, 4.121126775765638, 4.111816451757751, 4.084955376327375, 4.02228214897995, 3.9091442795206377, 3.758911717937623, 3.423165462292753, 2.859759140731463, 2.456257721580502, 1.8204632954233833, 18.347783561572328, 1.7182079190372601, 1.6579626408971875, 1.4968646823354919, 1.135096423342255, 0.9203006124131852, 0.6529776962626517, 130.92004853327737, 1.6109795624436396, 0.4641401774955063, 0.4234823024380289, 0.24295150600035212, 0.21070107053603426, 0.10245585627376125, 0.12079036410003295, 0.07798538481346325, 0.05422103871344081, 0.02793011918352065, 0.06574886723490064, 0.014932938650694064, 0.009483757280975853, 0.0032267913062585377, 0.004086595283720683, 0.0008257500503591216, 0.000312129799852444, 2.760369405142492e-05, 6.92191880177776e-06, 3.515635227925487e-08, 4.221457511263308e-10, 8.381506104909829e-14, 6.431698290549263e-17])

    // logistic, strong_wolfe: {'line_search_fn': 'strong_wolfe', 'max_iter': 50, 'tolerance_grad': 1e-12, 'tolerance_change': 1e-15}
    //   step returned 0.6931471805599453, final x [1.3054793178493973, 0.5177762061619952, 0.21213723298042161]
    //   n_iter 8, func_evals 8
    static let logisticStrongWolfe = Reference(
        points: [[0.0, 0.0, 0.0], [0.2734008607773907, 0.11482389470455594, 0.05000000000000001], [1.2200294874202564, 0.47111828948575296, 0.1738155847612701], [1.2947790201339464, 0.5131687790082521, 0.20822012975931017], [1.305457827129827, 0.5175974206663613, 0.21191415162070026], [1.3054611005288501, 0.517798005903534, 0.21216118932040337], [1.3054793816677217, 0.5177763712331059, 0.212137102495743], [1.3054793178493973, 0.5177762061619952, 0.21213723298042161]],
        losses: [0.6931471805599453, 0.6130749893066334, 0.488846498121841, 0.4878430717136497, 0.48782923770455466, 0.4878292293550253, 0.48782922920698696, 0.48782922920698135])

    // rosenbrock, fixed step: {'lr': 0.1, 'max_iter': 12}
    //   step returned 24.199999999999996, final x [-1.0656310618118967, 1.0582333010137979]
    //   n_iter 12, func_evals 12
    static let rosenbrockFixedStep = Reference(
        points: [[-1.2, 1.0], [-1.1289855072463768, 1.0289855072463767], [-1.1208360338970624, 1.0326372109383015], [-1.1128546149688603, 1.0363447882087733], [-1.1055651417532057, 1.0398185126407882], [-1.0989030589182796, 1.0430413750577954], [-1.0928128114024878, 1.0460014732921115], [-1.0872425313872367, 1.048693219912098], [-1.082144084118606, 1.0511161385666528], [-1.0774729949108208, 1.0532738065165816], [-1.0731883206935724, 1.0551729273427284], [-1.0692524810868185, 1.0568225320178468]],
        losses: [24.199999999999996, 10.565633722077013, 9.499260654115307, 8.548620112437053, 7.762415367488737, 7.112951020506721, 6.577326822685235, 6.136220151028825, 5.773396957586572, 5.475268418107348, 5.2304978915741485, 5.029656095275314])

    // rosenbrock, strong_wolfe, max_eval 7: {'line_search_fn': 'strong_wolfe', 'max_iter': 100, 'max_eval': 7}
    //   step returned 24.199999999999996, final x [-1.0203084803940978, 1.0352769866467468]
    //   n_iter 5, func_evals 7
    static let rosenbrockMaxEval = Reference(
        points: [[-1.2, 1.0], [-0.4898550724637681, 1.289855072463768], [-1.0245319303460325, 1.0716196202669255], [-1.0284565745562346, 1.068187455748677], [-1.0288795348319695, 1.0655029516848564], [-1.0276177663827242, 1.0584120782656612], [-1.0203084803940978, 1.0352769866467468]],
        losses: [24.199999999999996, 112.44805608969924, 4.146927102567213, 4.125586713674038, 4.121126775765638, 4.111816451757751, 4.084955376327375])

    // rosenbrock, strong_wolfe, three calls of max_iter 4
    //   n_iter 11, func_evals 15
    static let rosenbrockThreeCalls: [[Double]] = [[-1.2, 1.0], [-0.4898550724637681, 1.289855072463768], [-1.0245319303460325, 1.0716196202669255], [-1.0284565745562346, 1.068187455748677], [-1.0288795348319695, 1.0655029516848564], [-1.0288795348319695, 1.0655029516848564], [-1.0276177663827242, 1.0584120782656612], [-1.0203084803940978, 1.0352769866467468], [-0.9970310351680055, 0.9755913846740084], [-0.9431278012083242, 0.8529662725410918], [-0.9431278012083242, 0.8529662725410918], [-0.8802131649658734, 0.7274772060719978], [-0.7745797354515831, 0.5476256792320806], [-0.6657084570888959, 0.41398308319536115], [-0.5160277728852024, 0.2265458257902353]]
}
