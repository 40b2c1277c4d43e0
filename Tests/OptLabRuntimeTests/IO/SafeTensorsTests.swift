import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct SafeTensorsTests {
    let dir = makeTemporaryDirectory("optlab-st")

    @Test func roundTripKeepsValuesNamesAndMetadata() throws {
        let w = try f64([3, 4], seed: 70).to(.f32), b = try f64([4], seed: 71), l = try Tensor(int32: [1, 2, 3])
        try SafeTensors.save([("1.weight", w), ("1.bias", b), ("labels", l)], metadata: ["arch": "Linear(4 -> 3)", "epoch": "5"],
                             to: dir + "/m.safetensors")
        let f = try SafeTensors.load(dir + "/m.safetensors")
        #expect(f.tensors.map(\.name) == ["1.weight", "1.bias", "labels"])
        #expect(f["1.weight"]!.dtype == .f32 && f["1.weight"]!.toDoubles() == w.toDoubles())
        #expect(f["1.bias"]!.dtype == .f64 && f["1.bias"]!.toDoubles() == b.toDoubles())
        #expect(f["labels"]!.toInt32s() == [1, 2, 3])
        #expect(f.metadata == ["arch": "Linear(4 -> 3)", "epoch": "5"])
    }

    @Test func pythonSafetensorsReadsOurFilesAndWeReadTheirs() throws {
        let w = try Tensor.arange(0, 6, dtype: .f32).reshape([2, 3])
        try SafeTensors.save([("w", w), ("s", Tensor.scalar(4, dtype: .f64))], metadata: ["note": "hi"], to: dir + "/ours.safetensors")
        let r = try NumpyOracle.python("""
        import sys, numpy as np
        from safetensors.numpy import load_file, save_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        assert np.array_equal(t['w'], np.arange(6, dtype=np.float32).reshape(2, 3)) and t['w'].dtype == np.float32
        assert t['s'].shape == () and t['s'] == 4.0
        with safe_open(sys.argv[1], framework='np') as f:
            assert f.metadata() == {'note': 'hi'}, f.metadata()
        save_file({'a': np.arange(4, dtype=np.int64), 'b': np.ones((2, 2), np.float64), 'c': np.arange(3, dtype=np.uint8)},
                  sys.argv[2], metadata={'k': 'v'})
        print('ok')
        """, args: [dir + "/ours.safetensors", dir + "/theirs.safetensors"])
        #expect(r.status == 0 && r.output.contains("ok"), "\(r.output)")
        let theirs = try SafeTensors.load(dir + "/theirs.safetensors")
        #expect(theirs["a"]!.toInt32s() == [0, 1, 2, 3])
        #expect(theirs["b"]!.toDoubles() == [1, 1, 1, 1] && theirs["b"]!.dtype == .f64)
        #expect(theirs["c"]!.toInt32s() == [0, 1, 2])
        #expect(theirs.metadata == ["k": "v"])
    }

    @Test func lyingAndCorruptFilesAreErrors() throws {
        let good = try SafeTensors.encode([("w", Tensor.ones([4]))])
        func header(_ json: String, data: Int = 16) -> [UInt8] {
            var out = [UInt8]()
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            return out + Array(json.utf8) + [UInt8](repeating: 0, count: data)
        }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode([1, 2, 3]) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(Array(good.dropLast(4))) }
        var huge = good
        huge.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(huge) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header("{not json")) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}"#)) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#)) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#)) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"w": {"dtype": "F16", "shape": [8], "data_offsets": [0, 16]}}"#)) }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}"#)) }
        #expect(throws: RuntimeError.self) {
            try SafeTensors.decode(header(#"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#))
        }
        #expect(throws: RuntimeError.self) { try SafeTensors.decode(header(#"{"__metadata__": {"k": 3}}"#)) }
    }

    /// What Python's safetensors (the reference reader) refuses, we refuse,
    /// and what it reads, we read: each case is written to a file and given to both.
    @Test func asStrictAsTheReferenceReader() throws {
        let cases: [(name: String, header: String, data: Int, valid: Bool)] = [
            ("repeated key", #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, 16, false),
            ("gap", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}"#, 16, false),
            ("overlap", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, 12, false),
            ("bytes after the last tensor", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 12, false),
            ("a gap at the start", #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, false),
            ("listed out of offset order", #"{"b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 8, true),
            ("whitespace before the JSON", #" {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 8, true),
            ("garbage before the JSON", #"x{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 8, false),
            ("plain", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 8, true),
        ]
        var paths: [String] = []
        for (i, c) in cases.enumerated() {
            var bytes = [UInt8]()
            withUnsafeBytes(of: UInt64(c.header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes += Array(c.header.utf8) + [UInt8](repeating: 0, count: c.data)
            let path = dir + "/case\(i).safetensors"
            try AtomicFile.write(bytes, to: path, op: "test")
            paths.append(path)
            let ours = (try? SafeTensors.load(path)) != nil
            #expect(ours == c.valid, "\(c.name): we \(ours ? "read" : "refuse") it")
        }
        let r = try NumpyOracle.python("""
        import sys
        from safetensors.numpy import load_file
        for p in sys.argv[1:]:
            try:
                load_file(p); print("read")
            except Exception:
                print("refuse")
        """, args: paths)
        let verdicts = r.output.split(separator: "\n").map(String.init)
        #expect(verdicts.count == cases.count, "python said: \(r.output)")
        for (c, v) in zip(cases, verdicts) { #expect((v == "read") == c.valid, "\(c.name): Python's safetensors would \(v) it") }
    }

    @Test func aFailedWriteLeavesTheOldFile() throws {
        let path = dir + "/keep.safetensors"
        try SafeTensors.save([("w", Tensor.ones([2]))], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A repeated name fails while encoding, before anything touches the file.
        #expect(throws: RuntimeError.self) { try SafeTensors.save([("w", Tensor.zeros([2])), ("w", Tensor.zeros([2]))], to: path) }
        // An unwritable directory fails at the temporary file; the target is untouched.
        #expect(throws: RuntimeError.self) { try AtomicFile.write([1, 2, 3], to: dir + "/no/such/dir/x", op: "test") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
