import Foundation
import Testing
@testable import OptLabRuntime

/// The rules' eight-lane loops against the formulas written per element, bit
/// for bit, at lengths around the lane count and the 256-element flush.
@Suite struct UpdateLaneTests {
    func buffers(_ n: Int, seed: UInt64) -> [[Float]] {
        let g = Generator(seed: seed)
        return (0..<4).map { k in (0..<n).map { _ in Float(g.normal()) * (k == 3 ? 0.01 : 1) + (k == 3 ? 0.02 : 0) } }
    }

    @Test(arguments: [1, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1029])
    func adamLanesEqualTheScalarFormula(_ n: Int) {
        let b = buffers(n, seed: UInt64(n))
        var (x, dx, m, v) = (b[0], b[1], b[2], b[3].map(Swift.abs))
        var (xr, mr, vr) = (x, m, v)
        let rule = AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        let sq = x.withUnsafeMutableBufferPointer { xp in
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    dx.withUnsafeBufferPointer { gp in
                        rule.apply(xp.baseAddress!, gp.baseAddress!, [mp.baseAddress!, vp.baseAddress!], count: n, lr: 1e-3, t: 3)
                    }
                }
            }
        }
        let c1 = Float(1 - 0.9 * 0.9 * 0.9), c2 = Float(1 - 0.999 * 0.999 * 0.999)
        var want = 0.0
        for i in 0..<n {
            mr[i] = 0.9 * mr[i] + (1 - 0.9) * dx[i]
            vr[i] = 0.999 * vr[i] + (1 - 0.999) * dx[i] * dx[i]
            let u = -Float(1e-3) * (mr[i] / c1) / ((vr[i] / c2).squareRoot() + 1e-8)
            xr[i] += u
            want += Double(u * u)
        }
        #expect(x.map(\.bitPattern) == xr.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == mr.map(\.bitPattern) && v.map(\.bitPattern) == vr.map(\.bitPattern))
        #expect(Swift.abs(sq - want) <= 1e-5 * want, "Σu² \(sq) vs \(want)")
    }

    @Test(arguments: [1, 8, 13, 256, 1029])
    func nesterovLanesEqualTheScalarFormula(_ n: Int) {
        let b = buffers(n, seed: UInt64(n) + 99)
        var (x, dx, vel) = (b[0], b[1], b[2])
        var (xr, vr) = (x, vel)
        let rule = NesterovRule(mu: 0.9)
        _ = x.withUnsafeMutableBufferPointer { xp in
            vel.withUnsafeMutableBufferPointer { vp in
                dx.withUnsafeBufferPointer { gp in rule.apply(xp.baseAddress!, gp.baseAddress!, [vp.baseAddress!], count: n, lr: 0.05, t: 1) }
            }
        }
        for i in 0..<n {
            let prev = vr[i]
            vr[i] = 0.9 * vr[i] - 0.05 * dx[i]
            xr[i] += -0.9 * prev + (1 + 0.9) * vr[i]
        }
        #expect(x.map(\.bitPattern) == xr.map(\.bitPattern) && vel.map(\.bitPattern) == vr.map(\.bitPattern))
    }
}
