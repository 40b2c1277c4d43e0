import Foundation
import Testing
@testable import OptLabRuntime

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
