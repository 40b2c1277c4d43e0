import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct NpyTests {
    let dir = makeTemporaryDirectory("optlab-npy")

    @Test func numpyWritesEveryDtypeAndOrderWeRead() throws {
        let ref = try NumpyOracle.run("""
        a = np.arange(12).reshape(3, 4)
        out = dict(f4=a.astype('<f4') / 3, f8=a.astype('<f8') / 7, i4=a.astype('<i4') - 5, i8=a.astype('<i8') * 1000,
                   u1=a.astype('u1') + 240, be=a.astype('>f8') / 3, s=np.array(2.5), e=np.zeros((0, 3), 'f4'))
        np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(a.astype('f8')))
        out['fortran'] = np.load(os.path.join(d, 'fortran.npy'))
        """)
        let base = (0..<12).map(Double.init)
        #expect(ref["f4"]!.dtype == .f32)
        expectClose(ref["f4"]!.toDoubles(), base.map { Double(Float($0) / 3) }, tolerance: 1e-7)
        expectClose(ref["f8"]!.toDoubles(), base.map { $0 / 7 }, tolerance: 0)
        #expect(ref["i4"]!.toDoubles() == base.map { $0 - 5 })
        #expect(ref["i8"]!.dtype == .i32 && ref["i8"]!.toDoubles() == base.map { $0 * 1000 })
        #expect(ref["u1"]!.toDoubles() == base.map { $0 + 240 })
        expectClose(ref["be"]!.toDoubles(), base.map { $0 / 3 }, tolerance: 0)
        #expect(ref["s"]!.shape == [])
        #expect(try ref["s"]!.item() == 2.5)
        #expect(ref["e"]!.shape == [0, 3])
        #expect(ref["fortran"]!.shape == [3, 4] && ref["fortran"]!.toDoubles() == base)
    }

    @Test func fortranOrderFileIsTransposedOnLoad() throws {
        _ = try NumpyOracle.python("import numpy as np, sys; np.save(sys.argv[1], np.asfortranarray(np.arange(6.).reshape(2, 3)))",
                                   args: [dir + "/f.npy"])
        let t = try Npy.load(dir + "/f.npy")
        #expect(t.shape == [2, 3] && t.toDoubles() == [0, 1, 2, 3, 4, 5])
    }

    @Test func numpyReadsWhatWeWrite() throws {
        let t = try Tensor.arange(0, 24, dtype: .f64).reshape([2, 3, 4]).div(3)
        try Npy.save(t, to: dir + "/t.npy")
        try Npy.save(t.to(.i32), to: dir + "/i.npy", as: .i64)
        try Npy.save(t.to(.i32), to: dir + "/u.npy", as: .u8)
        let r = try NumpyOracle.python("""
        import numpy as np, sys
        t = np.load(sys.argv[1]); i = np.load(sys.argv[2]); u = np.load(sys.argv[3])
        assert t.dtype == np.float64 and t.shape == (2, 3, 4), (t.dtype, t.shape)
        assert np.array_equal(t, np.arange(24.).reshape(2, 3, 4) / 3)
        assert i.dtype == np.int64 and u.dtype == np.uint8 and np.array_equal(i, (np.arange(24) // 3).reshape(2, 3, 4))
        print('ok')
        """, args: [dir + "/t.npy", dir + "/i.npy", dir + "/u.npy"])
        #expect(r.status == 0 && r.output.contains("ok"), "\(r.output)")
    }

    @Test func bigHeadersUseVersion2() throws {
        let t = try Tensor.zeros(Array(repeating: 1, count: 8))
        let bytes = try Npy.encode(t)
        #expect(bytes[6] == 1)
        #expect((bytes.count - t.count * 4) % 64 == 0, "data starts on a 64-byte boundary")
        var v2 = bytes
        // Rewrite as a version-2 file by hand: 4-byte header length.
        let hl = Int(bytes[8]) | Int(bytes[9]) << 8
        v2[6] = 2
        v2.replaceSubrange(8..<10, with: [bytes[8], bytes[9], 0, 0])
        #expect(try Npy.decode(v2).shape == t.shape)
        _ = hl
    }

    @Test func brokenAndLyingFilesAreErrors() throws {
        let good = try Npy.encode(Tensor.arange(0, 10, dtype: .f64))
        #expect(throws: RuntimeError.self) { try Npy.decode([]) }
        #expect(throws: RuntimeError.self) { try Npy.decode(Array("not numpy at all".utf8)) }
        #expect(throws: RuntimeError.self) { try Npy.decode(Array(good.dropLast(8))) }          // truncated data
        var lying = good
        lying[8] = 0xff; lying[9] = 0xff                                                             // header longer than file
        #expect(throws: RuntimeError.self) { try Npy.decode(lying) }
        func withShape(_ s: String) -> [UInt8] {
            let h = "{'descr': '<f8', 'fortran_order': False, 'shape': \(s), }\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)] + Array(h.utf8)
        }
        #expect(throws: RuntimeError.self) { try Npy.decode(withShape("(99999999999, 99999999999, 99999999999)")) }
        #expect(throws: RuntimeError.self) { try Npy.decode(withShape("(1000000000,)")) }      // no unbounded allocation
        #expect(throws: RuntimeError.self) { try Npy.decode(withShape("(-3,)")) }
        #expect(throws: RuntimeError.self) { try Npy.decode(withShape("nonsense")) }
        let c8 = [0x93] + Array("NUMPY".utf8) + [1, 0, 60, 0] + Array("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }    \n".utf8)
        #expect(throws: RuntimeError.self) { try Npy.decode(c8) }
        #expect(throws: RuntimeError.self) { try Npy.load(dir + "/missing.npy") }
        #expect(throws: RuntimeError.self) { try Npy.load(dir) }  // a directory
    }

    /// A version-`major`.`minor` file with this header text and 3 f8 values.
    static func file(_ header: String, major: UInt8 = 1, minor: UInt8 = 0) -> [UInt8] {
        let h = Array(header.utf8)
        let length: [UInt8] = major == 1 ? [UInt8(h.count & 0xff), UInt8(h.count >> 8)] : [UInt8(h.count & 0xff), UInt8(h.count >> 8), 0, 0]
        var bytes = [0x93] + Array("NUMPY".utf8) + [major, minor] + length + h
        for v in [1.0, 2, 3] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    /// Headers numpy accepts or refuses; optlab must give the same verdict
    /// on each (numpy's `np.load` run on the same files is the reference).
    static let headers: [(name: String, header: String, major: UInt8, minor: UInt8)] = [
        ("written", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 1, 0),
        ("no trailing comma, double quotes, line breaks", "{\"descr\": \"<f8\",\n 'fortran_order': False,\n 'shape': (3,)}   \n", 1, 0),
        ("version 2", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 2, 0),
        ("an expression for the shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,) + (), }\n", 1, 0),
        ("an extra key", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}\n", 1, 0),
        ("a missing key", "{'descr': '<f8', 'shape': (3,), }\n", 1, 0),
        ("text after the dict", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } x\n", 1, 0),
        ("a second literal", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }{}\n", 1, 0),
        ("a list for the shape", "{'descr': '<f8', 'fortran_order': False, 'shape': [3], }\n", 1, 0),
        ("a parenthesised number for the shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (3), }\n", 1, 0),
        ("0 for fortran_order", "{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }\n", 1, 0),
        ("a call", "{'descr': '<f8', 'fortran_order': bool(0), 'shape': (3,), }\n", 1, 0),
        ("a float in the shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (3.0,), }\n", 1, 0),
        ("version 1.1", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 1, 1),
        ("version 4.0", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 4, 0),
        ("not a dict", "('<f8', False, (3,))\n", 1, 0),
    ]

    @Test func headersAreReadAsNumpyReadsThem() throws {
        var paths: [String] = []
        for (i, h) in Self.headers.enumerated() {
            let path = dir + "/header\(i).npy"
            try Data(Self.file(h.header, major: h.major, minor: h.minor)).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let r = try NumpyOracle.python("""
        import numpy as np, sys
        for p in sys.argv[1:]:
            try:
                np.load(p, allow_pickle=False); print('accepted')
            except Exception:
                print('refused')
        """, args: paths)
        let verdicts = r.output.split(separator: "\n").map(String.init)
        try #require(verdicts.count == paths.count, "\(r.output)")
        for (h, (path, numpy)) in zip(Self.headers, zip(paths, verdicts)) {
            let ours: String
            do { _ = try Npy.load(path); ours = "accepted" } catch { ours = "refused" }
            #expect(ours == numpy, "\(h.name): numpy \(numpy), optlab \(ours)")
        }
        #expect(verdicts.filter { $0 == "accepted" }.count == 3, "the three good files are good")
    }

    @Test func aKeyGivenTwiceIsAnErrorNotTheLastOneWinning() throws {
        // (Python's literal_eval keeps the last; a file that says two things is refused here)
        let twice = Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'descr': '<f8', }\n")
        #expect { try Npy.decode(twice) } throws: { "\($0)".contains("key 'descr' given twice") }
        let expression = Self.file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,) + (1,), }\n")
        #expect { try Npy.decode(expression, source: "x.npy") } throws: {
            "\($0)" == "npy.load: x.npy: header is not a Python literal: expected '}' at character 56"
        }
    }
}
