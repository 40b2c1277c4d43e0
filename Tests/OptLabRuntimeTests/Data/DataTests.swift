import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct DataTests {
    let dir = makeTemporaryDirectory("optlab-data")

    func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + values
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func idxFilesRawAndGzipped() throws {
        let images = try write("img", idx([3, 2, 2], Array(0..<12).map { UInt8($0 * 20) }))
        let labels = try write("lab", idx([3], [2, 0, 1]))
        let d = try IDX.dataset(images: images, labels: labels)
        #expect(d.count == 3 && d.classes == 3)
        #expect(d.inputs.shape == [3, 2, 2])
        expectClose(d.inputs.toDoubles(), (0..<12).map { Double($0 * 20) / 255 }, tolerance: 1e-6)
        #expect(d.labels.toInt32s() == [2, 0, 1])
        let r = try NumpyOracle.python("import gzip, shutil, sys\nwith open(sys.argv[1], 'rb') as f, gzip.open(sys.argv[1] + '.gz', 'wb') as g: shutil.copyfileobj(f, g)", args: [images])
        #expect(r.status == 0, "\(r.output)")
        let gz = try IDX.load(images + ".gz")
        #expect(gz.toDoubles() == (0..<12).map { Double($0 * 20) })
    }

    @Test func brokenIdxFilesAreErrors() throws {
        let good = idx([3, 2, 2], Array(repeating: 1, count: 12))
        #expect(throws: RuntimeError.self) { try IDX.decode([1, 2, 8, 1], source: "x", asLabels: false) }          // magic
        #expect(throws: RuntimeError.self) { try IDX.decode(Array(good.dropLast(3)), source: "x", asLabels: false) } // truncated
        #expect(throws: RuntimeError.self) { try IDX.decode([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0], source: "x", asLabels: false) } // float type
        #expect(throws: RuntimeError.self) { try IDX.decode(idx([0x7fff_ffff, 0x7fff_ffff], []), source: "x", asLabels: false) }
        let images = try write("img2", good)
        let labels = try write("lab2", idx([2], [0, 1]))
        #expect(throws: RuntimeError.self) { try IDX.dataset(images: images, labels: labels) }                     // 3 images, 2 labels
        let corrupt = try write("bad.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4])
        #expect(throws: RuntimeError.self) { try IDX.load(corrupt) }
    }

    @Test func idxIsAsStrictAsItsFormat() throws {
        let good = idx([3, 2, 2], Array(repeating: 1, count: 12))
        #expect(throws: RuntimeError.self) { try IDX.decode(good + [9, 9], source: "x", asLabels: false) }           // trailing bytes
        #expect(throws: RuntimeError.self) { try IDX.decode(idx([3, 0, 2], []), source: "x", asLabels: false) }     // a zero dimension
        var twoDims = good
        twoDims[3] = 2                                                                                             // dims disagree with the data
        #expect(throws: RuntimeError.self) { try IDX.decode(twoDims, source: "x", asLabels: false) }
        #expect(try IDX.decode(good, source: "x", asLabels: false).shape == [3, 2, 2])
    }

    /// A small gzip whose IDX header claims a 46340² image: refused from its
    /// header and trailer, before anything past the header is inflated.
    @Test func aGzipBombIsRefusedBeforeItInflates() throws {
        let path = dir + "/bomb.idx.gz"
        let r = try NumpyOracle.python("""
        import gzip, struct, sys
        with gzip.open(sys.argv[1], 'wb') as g:
            g.write(bytes([0, 0, 8, 2]) + struct.pack('>II', 46340, 46340))
            for _ in range(64): g.write(bytes(1 << 20))
        """, args: [path])
        #expect(r.status == 0, "\(r.output)")
        do {
            _ = try IDX.load(path)
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.message.contains("the IDX header claims 2147395612 bytes, the gzip trailer says 67108876"), "\(e.message)")
        }
        // a header that agrees with its trailer but a stream that goes on is stopped at the claim
        let longer = dir + "/longer.idx.gz"
        _ = try NumpyOracle.python("""
        import gzip, struct, sys
        data = bytes([0, 0, 8, 1]) + struct.pack('>I', 4) + bytes(4)
        open(sys.argv[1], 'wb').write(gzip.compress(data + bytes(100))[:-4] + struct.pack('<I', len(data)))
        """, args: [longer])
        #expect(throws: RuntimeError.self) { try IDX.load(longer) }
    }

    @Test func splitTakeAndBatchesAreSeededAndComplete() throws {
        let d = try Datasets.spiral(classes: 3, perClass: 20, seed: 1)
        let (a, b) = try d.split(0.75, seed: 3)
        #expect(a.count == 45 && b.count == 15)
        let (a2, _) = try d.split(0.75, seed: 3)
        #expect(a.labels.toInt32s() == a2.labels.toInt32s())
        let batches = try d.batches(size: 16, shuffle: true, generator: Generator(seed: 4))
        #expect(batches.map { $0.labels.count } == [16, 16, 16, 12])
        let seen = batches.flatMap { $0.inputs.toDoubles() }.sorted()
        #expect(seen == d.inputs.toDoubles().sorted(), "every example exactly once")
        #expect(try d.take(5).count == 5)
    }

    @Test func normalisationUsesTheTrainingStatistics() throws {
        let train = try Dataset(inputs: Tensor.from([1, 2, 3, 5], shape: [4, 1]), labels: Tensor(int32: [0, 1, 0, 1]))
        let (mean, std) = try train.statistics()
        #expect(try mean.item() == 2.75)
        let test = try Dataset(inputs: Tensor.from([2.75], shape: [1, 1]), labels: Tensor(int32: [0]), classes: 2)
        #expect(try test.normalized(mean: mean, std: std).inputs.item() == 0)
        expectClose([try train.normalized(mean: mean, std: std).inputs.std(correction: 0).item()], [1], tolerance: 1e-6)
    }

    @Test func fusedStatisticsMatchTheTensorFormulas() throws {
        // the fused per-feature passes against the same maths written with tensor ops
        let x = try Tensor.randn([300, 7], generator: Generator(seed: 5)).mul(3).add(2)
        let d = try Dataset(inputs: x, labels: Tensor(int32: Array(repeating: 0, count: 300)))
        let (mean, std) = try d.statistics()
        expectClose(mean.toDoubles(), try x.mean(dim: 0).toDoubles(), tolerance: 1e-5)
        expectClose(std.toDoubles(), try x.std(dim: 0, correction: 0).add(1e-8).toDoubles(), tolerance: 1e-5)
        let n = try d.normalized(mean: mean, std: std).inputs
        expectClose(n.toDoubles(), try x.sub(mean).div(std).toDoubles(), tolerance: 1e-5)
        #expect(try n.mean(dim: 0).toDoubles().allSatisfy { Swift.abs($0) < 1e-5 }, "each feature's mean is 0")
    }

    @Test func csvWithALabelColumn() throws {
        let path = try write("d.csv", Array("a,species,b\n1.5,cat,2\n3,dog,4\n5,cat,6\n".utf8))
        let d = try Datasets.csv(path: path, label: "species")
        #expect(d.inputs.shape == [3, 2] && d.inputs.toDoubles() == [1.5, 2, 3, 4, 5, 6])
        #expect(d.labels.toInt32s() == [0, 1, 0] && d.classes == 2)
        #expect(throws: RuntimeError.self) { try Datasets.csv(path: path, label: "nope") }
    }

    @Test func csvFieldsMayBeQuoted() throws {
        // Python's csv.reader gives these fields for the line without the spaces
        // (with them, skipinitialspace=True keeps "2,5 "; optlab drops spaces around every field)
        #expect(Datasets.csvFields(#"1,"2,5","say ""hi""",x"#) == ["1", "2,5", #"say "hi""#, "x"])
        #expect(Datasets.csvFields(#"1, "2,5" ,"say ""hi""",x"#) == ["1", "2,5", #"say "hi""#, "x"])
        #expect(Datasets.csvFields(#""",,"#) == ["", "", ""])
        #expect(Datasets.csvFields(#""open"#) == nil)
        #expect(Datasets.csvFields(#""a"b"#) == nil)
        let path = try write("quoted.csv", Array("\"x, 1\",label\n\"1.5\",\"a,b\"\n2,c\n".utf8))
        let d = try Datasets.csv(path: path, label: "label")
        #expect(d.inputs.toDoubles() == [1.5, 2] && d.classes == 2)
        let open = try write("open.csv", Array("a,label\n1,\"x\n".utf8))
        #expect { try Datasets.csv(path: open, label: "label") } throws: { "\($0)".contains("line 2 has a quoted field that does not close") }
    }

    @Test func aRaggedCSVRowIsAnErrorNamingItsLine() throws {
        // line 5 (a blank line 3 counts, as in an editor) has two fields
        let path = try write("ragged.csv", Array("a,b,label\r\n1,2,0\r\n\r\n3,4,1\r\n5,6\r\n".utf8))
        do {
            _ = try Datasets.csv(path: path, label: "label")
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.message.contains("line 5 has 2 fields, the header 3"), "\(e.message)")
        }
        let windows = try write("crlf.csv", Array("a,label\r\n1,0\r\n2,1\r\n".utf8))
        #expect(try Datasets.csv(path: windows, label: "label").labels.toInt32s() == [0, 1], "CRLF line ends read")
    }

    @Test func missingFashionMNISTSaysWhatToInstall() throws {
        do {
            _ = try Datasets.fashionMNIST(directory: dir + "/nothing-here")
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.message.contains("apt-get install dataset-fashion-mnist"))
        }
    }

    @Test func anMLPLearnsTheSpiral() throws {
        let d = try Datasets.spiral(classes: 3, perClass: 100, seed: 0)
        let model = try Sequential([Linear(2, 100, initialization: .kaiming), ReLU(), Linear(100, 3)])
        let opt = try Optimizer(model.parameters(), rule: .momentum(mu: 0.9), learningRate: 0.5)
        for _ in 0..<300 {
            opt.zeroGrad()
            try Loss.softmaxCrossEntropy(model(d.inputs), d.labels).add(l2Penalty(model, strength: 1e-3)).backward()
            try opt.step()
        }
        #expect(try accuracy(model, d) > 0.95)
    }
}
