import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct MonitorTests {
    @Test func histogramCountsMatchNumpy() throws {
        let x = try Tensor.randn([5000], dtype: .f64, generator: Generator(seed: 4))
        let ref = try NumpyOracle.run("""
        c, e = np.histogram(x, bins=17); c2, e2 = np.histogram(x, bins=5, range=(-1, 1))
        out = dict(c=c.astype(np.int32), e=e, c2=c2.astype(np.int32), e2=e2)
        """, ["x": x])
        let h = try Histogram(x, bins: 17)
        #expect(h.counts.map(Int32.init) == ref["c"]!.toInt32s())
        expectClose(h.edges, ref["e"]!.toDoubles(), tolerance: 1e-14)
        let h2 = try Histogram(x, bins: 5, range: (-1, 1))
        #expect(h2.counts.map(Int32.init) == ref["c2"]!.toInt32s())
        #expect(h2.excluded == 5000 - h2.counts.reduce(0, +))
        #expect(h.description.contains("5000 values"))
    }

    /// [0, 1, 2, 3, NaN, ∞, −∞, 1] in 3 bins: the finite extent [0, 3], edges
    /// 0, 1, 2, 3; 0 | 1, 1 | 2, 3 (the last bin closed); NaN and ±∞ left out.
    /// The same from an array, an f32 tensor's memory and an f64 tensor's.
    @Test func histogramsOfTensorsSkipNonFiniteValues() throws {
        let values: [Double] = [0, 1, 2, 3, .nan, .infinity, -.infinity, 1]
        for h in [try Histogram(values, bins: 3), try Histogram(Tensor.from(values, shape: [8], dtype: .f32), bins: 3),
                  try Histogram(Tensor.from(values, shape: [2, 4], dtype: .f64), bins: 3)] {
            #expect(h.edges == [0, 1, 2, 3])
            #expect(h.counts == [1, 2, 2])
            #expect(h.excluded == 3)
        }
        let none = try Histogram(Tensor.from([Double.nan, .infinity], shape: [2], dtype: .f32), bins: 2)
        #expect(none.edges == [0, 0.5, 1] && none.counts == [0, 0] && none.excluded == 2)
        let constant = try Histogram(Tensor.from([2, 2, 2], shape: [3], dtype: .f32), bins: 2)
        #expect(constant.edges == [1.5, 2, 2.5] && constant.counts == [0, 3])
    }

    @Test func saturationAndDeadUnitsOnConstructedActivations() throws {
        let model = try Sequential([Linear(2, 4), ReLU(), Tanh()])
        model.watch()
        let lin = model.children[0].module as! Linear
        // Units: 0 always positive; 1 always negative (dead); 2 and 3 mixed. Then tanh of those.
        try lin.weight.copy(from: Tensor.from([10, 10, -10, -10, 10, -10, -10, 10], shape: [4, 2]))
        try lin.bias!.copy(from: Tensor.from([1, -1, 0, 0]))
        let x = try Tensor.from([1, 0, 0, 1, 2, 1], shape: [3, 2])
        try model(x).sum().backward()
        let st = try LayerStatistics(model)
        #expect(st.rows[1].dead == 0.25)           // one of four units is zero over the whole batch
        #expect(!st.rows[1].flags.contains("dead"), "25% is not above the 25% threshold")
        // tanh of relu outputs: values 0 (dead or negative) or ≥ tanh(9) > 0.99
        let a = model.lastActivations![2].toDoubles()
        let want = Double(a.filter { Swift.abs($0) > 0.99 }.count) / Double(a.count)
        #expect(st.rows[2].saturated == want && want > 0.25)
        #expect(st.rows[2].flags.contains("saturated"))
        #expect(st.rows[0].gradientStd != nil, "activation gradients are kept")
    }

    @Test func ratiosMatchAHandComputation() throws {
        let p = try Tensor.from([3, 4], dtype: .f64).requiringGrad()
        p.name = "w"
        let opt = try Optimizer([p], rule: .sgd, learningRate: 1e-5)
        p.grad = try Tensor.from([0, 10], dtype: .f64)
        try opt.step()
        let r = try UpdateRatios(opt)
        // update 1e-4 against |(3, 4 − 1e-4)|
        #expect(Swift.abs(r.rows[0].ratio - 1e-4 / (9 + (4 - 1e-4) * (4 - 1e-4)).squareRoot()) < 1e-18)
        #expect(r.rows[0].advice.contains("too low"))
    }

    @Test func diagnosisOfSyntheticHistories() {
        let g = Generator(seed: 1)
        let falling = (0..<200).map { 2.3 * Foundation.exp(-Double($0) / 50) + 0.1 }
        func kinds(_ l: [Double], _ t: [Double], _ v: [Double]) -> [Diagnosis.Finding.Kind] {
            Diagnosis.diagnose(loss: l, trainAccuracy: t, validationAccuracy: v).map(\.kind)
        }
        #expect(kinds(falling, [0.8, 0.9], [0.79, 0.88]) == [.healthy])
        #expect(kinds((0..<200).map { 2.3 - Double($0) * 1e-5 }, [0.3], [0.3]).contains(.flat))
        #expect(kinds((0..<50).map { 2.3 * Foundation.exp(Double($0) / 10) }, [], []) == [.exploding])
        #expect(kinds(falling.map { $0 * (1 + 0.8 * (g.uniform() - 0.5) * 2) }, [], []).contains(.noisy))
        #expect(kinds(falling, [0.99], [0.80]) == [.overfitting])
        #expect(kinds(falling, [0.55], [0.54]) == [.underfitting])
    }

    @Test func weightImagesDecodeToTheExpectedPixels() throws {
        let lin = try Linear(4, 2)   // 4 inputs: 2×2 grey tiles
        try lin.weight.copy(from: Tensor.from([0, 1, 2, 3, -1, -1, 1, 1], shape: [2, 4]))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WeightImage.write(lin, to: path, scale: 1)
        // Decode with Python's zlib and struct: a 2×1 grid of 2×2 tiles with 1-pixel padding: 7×4 grey.
        let r = try NumpyOracle.python("""
        import struct, sys, zlib
        b = open(sys.argv[1], 'rb').read()
        assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, ihdr = 8, b'', None
        while pos < len(b):
            n, = struct.unpack('>I', b[pos:pos + 4]); kind = b[pos + 4:pos + 8]; data = b[pos + 8:pos + 8 + n]
            assert zlib.crc32(kind + data) == struct.unpack('>I', b[pos + 8 + n:pos + 12 + n])[0]
            if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', data)
            if kind == b'IDAT': idat += data
            pos += 12 + n
        w, h = ihdr[0], ihdr[1]
        raw = zlib.decompress(idat)
        rows = [list(raw[y * (w + 1) + 1:(y + 1) * (w + 1)]) for y in range(h)]
        print(w, h, rows[1][1:3], rows[2][1:3], rows[1][4:6], rows[2][4:6])
        """, args: [path])
        #expect(r.status == 0, "\(r.output)")
        // tile 1: 0,1 / 2,3 scaled to 0..255; tile 2: -1,-1 / 1,1 → 0,0 / 255,255
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == "7 4 [0, 85] [170, 255] [0, 0] [255, 255]")
    }
}

@Suite struct TensorBoardTests {
    @Test func crc32cKnownAnswer() {
        // RFC 3720's test vector: 32 bytes of zeros → 0x8A9136AA; "123456789" → 0xE3069283
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func tensorBoardReadsBackWhatTrainingWrote() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try Datasets.spiral(classes: 3, perClass: 20, seed: 1)
        let model = try Sequential([Linear(2, 16), ReLU(), Linear(16, 3)])
        var o = Trainer.Options()
        o.epochs = 3
        o.batchSize = 6
        o.runDirectory = dir
        o.logEvery = 5
        let h = try Trainer(model: model, loss: { try Loss.softmaxCrossEntropy($0, $1) },
                            optimizer: try Optimizer(model.parameters(), rule: .sgd, learningRate: 0.1),
                            train: d, validation: d, options: o).fit()
        let want = stride(from: 4, to: h.loss.count, by: 5).map { String(format: "%.6g", Float(h.loss[$0])) }.joined(separator: ",")
        let r = try NumpyOracle.python("""
        import sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        ea = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'histograms': 0, 'images': 0})
        ea.Reload()
        t = ea.Tags()
        loss = ','.join('%.6g' % e.value for e in ea.Scalars('loss'))
        assert loss == sys.argv[2], (loss, sys.argv[2])
        assert len(ea.Scalars('val_acc')) == 3, ea.Scalars('val_acc')
        assert any(k.startswith('activations/2') for k in t['histograms']), t['histograms']
        assert 'weights/1.weight' in t['histograms']
        hv = ea.Histograms('weights/1.weight')[-1].histogram_value
        assert hv.num == 32 and len(hv.bucket) == len(hv.bucket_limit) == 30, hv
        assert 'ratio/1.weight' in t['scalars']
        print('ok', len(t['scalars']), len(t['histograms']))
        """, args: [dir, want])
        #expect(r.status == 0 && r.output.contains("ok"), "\(r.output)")
    }

    @Test func imagesRoundTripThroughTensorBoard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tbi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let img = try WeightImage.render(try Linear(16, 4), scale: 3)
        try TensorBoardWriter(directory: dir).image("weights/first_layer", png: img.png, width: img.width, height: img.height,
                                                     channels: img.channels, step: 7)
        let r = try NumpyOracle.python("""
        import sys, hashlib
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        ea = EventAccumulator(sys.argv[1], size_guidance={'images': 0}); ea.Reload()
        im = ea.Images('weights/first_layer')[0]
        print(im.step, im.width, im.height, hashlib.sha256(im.encoded_image_string).hexdigest())
        """, args: [dir])
        let sha = try NumpyOracle.python("import sys, hashlib; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())",
                                         args: [img.png.map { String(format: "%02x", $0) }.joined()])
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == "7 \(img.width) \(img.height) " + sha.output.trimmingCharacters(in: .whitespacesAndNewlines), "\(r.output)")
    }
}
