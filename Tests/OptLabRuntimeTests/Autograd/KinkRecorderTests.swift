import Testing
@testable import OptLabRuntime

@Suite struct KinkRecorderTests {
    func hash(_ x: Tensor, _ f: (Tensor) throws -> Tensor) throws -> UInt64 {
        try KinkRecorder.recording { try f(x) }.1.hash
    }

    @Test func crossingAKinkChangesTheHash() throws {
        let h = 1e-5
        // Element 1 sits within h of relu's kink: x+h and x−h take different branches.
        let near = try Tensor.from([0.5, 0.4e-5, -0.3], dtype: .f64)
        let plus = try near.add(Tensor.from([0, h, 0], dtype: .f64))
        let minus = try near.sub(Tensor.from([0, h, 0], dtype: .f64))
        for f in [{ (t: Tensor) in try t.relu() }, { try $0.leakyRelu() }, { try $0.abs() },
                  { try $0.clamp(min: 0) }, { try $0.maximum(.scalar(0, dtype: .f64)) }] as [(Tensor) throws -> Tensor] {
            #expect(try hash(plus, f) != hash(minus, f))
        }
        // Element 0 is far from every kink: the hashes agree.
        let far = try Tensor.from([0.5, 0.2, -0.3], dtype: .f64)
        let p0 = try far.add(Tensor.from([h, 0, 0], dtype: .f64)), m0 = try far.sub(Tensor.from([h, 0, 0], dtype: .f64))
        #expect(try hash(p0) { try $0.relu() } == hash(m0) { try $0.relu() })
    }

    @Test func maxWinnerChangeIsRecorded() throws {
        let a = try Tensor.from([1.0, 1.0 + 1e-6], dtype: .f64), b = try Tensor.from([1.0 + 1e-6, 1.0], dtype: .f64)
        #expect(try hash(a) { try $0.max() } != hash(b) { try $0.max() })
    }

    @Test func recordingIsOffByDefault() throws {
        #expect(KinkRecorder.current == nil)
        let (_, r) = try KinkRecorder.recording { try Tensor.ones([3]).relu() }
        #expect(r.ops == 1)
        #expect(KinkRecorder.current == nil)
    }
}
