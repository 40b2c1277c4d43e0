import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct WeightImageTests {
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
