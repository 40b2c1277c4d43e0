import Testing
@testable import OptLabRuntime

@Suite struct ShapeTests {
    @Test func shapeOpsMatchNumpy() throws {
        let x = try f64([2, 3, 4], seed: 40), y = try f64([2, 2, 4], seed: 41)
        let idx = try Tensor(int32: [2, 0, 2])
        let g = try Tensor(int32: [0, 2, 1, 1, 0, 0, 3, 3, 2, 1, 1, 0, 2, 2, 2, 0, 1, 3, 0, 0, 1, 1, 2, 3], shape: [2, 3, 4])
        let ref = try NumpyOracle.run("""
        out = dict(p=x.transpose(2,0,1), t=x.reshape(6,4).T, n=x[:, 1:3, :], c=np.concatenate([x, y], 1),
                   s=np.take(x, idx, axis=1), g=np.take_along_axis(x, g, 2), oh=np.eye(4)[idx])
        """, ["x": x, "y": y, "idx": idx, "g": g])
        try expectClose(x.permute([2, 0, 1]).toDoubles(), ref["p"]!.toDoubles(), tolerance: 0)
        try expectClose(x.reshape([6, -1]).t().toDoubles(), ref["t"]!.toDoubles(), tolerance: 0)
        try expectClose(x.narrow(dim: 1, start: 1, length: 2).toDoubles(), ref["n"]!.toDoubles(), tolerance: 0)
        try expectClose(Tensor.concatenate([x, y], dim: 1).toDoubles(), ref["c"]!.toDoubles(), tolerance: 0)
        try expectClose(x.indexSelect(dim: 1, idx).toDoubles(), ref["s"]!.toDoubles(), tolerance: 0)
        try expectClose(x.gather(dim: 2, g).toDoubles(), ref["g"]!.toDoubles(), tolerance: 0)
        try expectClose(idx.oneHot(classes: 4).toDoubles(), ref["oh"]!.toDoubles(), tolerance: 0)
        #expect(try x.permute([2, 0, 1]).shape == [4, 2, 3])
    }

    @Test func reshapeSharesStorageAndInfersOneSize() throws {
        let x = try Tensor.arange(0, 12)
        let r = try x.reshape([3, -1])
        #expect(r.shape == [3, 4])
        try x.setValue(100, at: [5])
        #expect(try r.value(at: [1, 1]) == 100)
        #expect(throws: RuntimeError.self) { try x.reshape([5, -1]) }
        #expect(throws: RuntimeError.self) { try x.reshape([-1, -1]) }
        #expect(try x.unsqueeze(0).shape == [1, 12])
        #expect(try x.reshape([1, 12, 1]).squeeze().shape == [12])
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try f64([2, 3, 4], seed: 42)
        try expectGradientsMatch([x]) { try $0[0].reshape([4, 6]) }
        try expectGradientsMatch([x]) { try $0[0].permute([1, 2, 0]) }
        try expectGradientsMatch([x]) { try $0[0].transpose(0, 2) }
        try expectGradientsMatch([x]) { try $0[0].narrow(dim: 2, start: 1, length: 2) }
        try expectGradientsMatch([x, try f64([2, 1, 4], seed: 43)]) { try Tensor.concatenate($0, dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].indexSelect(dim: 1, Tensor(int32: [2, 2, 0])) }
        try expectGradientsMatch([x]) {
            try $0[0].gather(dim: 1, Tensor(int32: [0, 1, 2, 2, 1, 1, 0, 0], shape: [2, 1, 4]))
        }
        try expectGradientsMatch([x, try f64([4], seed: 44)]) { try $0[0].add($0[1].expand([2, 3, 4])) }
    }

    @Test func outOfRangeIndicesAreErrorsNotCrashes() throws {
        let x = try Tensor.zeros([3, 4])
        #expect(throws: RuntimeError(.argument, "index_select", "index 3.0 at position 1 is out of range 0..<3")) {
            try x.indexSelect(dim: 0, Tensor(int32: [0, 3]))
        }
        #expect(throws: RuntimeError.self) { try Tensor(int32: [-1]).oneHot(classes: 3) }
        #expect(throws: RuntimeError.self) { try x.narrow(dim: 1, start: 3, length: 2) }
        #expect(throws: RuntimeError.self) { try x.permute([0, 0]) }
        #expect(throws: RuntimeError.self) { try x.value(at: [3, 0]) }
        #expect(throws: RuntimeError.self) { try Tensor.concatenate([x, try Tensor.zeros([2, 3])], dim: 0) }
    }
}
