import CZlib

/// PNG encoding (8-bit grey or RGB), with zlib doing the deflate and the CRCs.
public enum PNG {
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard channels == 1 || channels == 3, width > 0, height > 0, pixels.count == width * height * channels else {
            throw RuntimeError(.argument, "png", "need width×height×channels pixels (channels 1 or 3)")
        }
        var raw = [UInt8]()
        raw.reserveCapacity((width * channels + 1) * height)
        for y in 0..<height {
            raw.append(0)   // filter: none
            raw.append(contentsOf: pixels[(y * width * channels)..<((y + 1) * width * channels)])
        }
        var bound = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        guard compress2(&compressed, &bound, raw, uLong(raw.count), 9) == Z_OK else {
            throw RuntimeError(.io, "png", "zlib could not compress the image")
        }
        compressed.removeLast(compressed.count - Int(bound))
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            out += be32(data.count)
            let body = Array(type.utf8) + data
            out += body
            out += be32(Int(crc32(0, body, uInt(body.count))))
        }
        chunk("IHDR", be32(width) + be32(height) + [8, channels == 1 ? 0 : 2, 0, 0, 0])
        chunk("IDAT", compressed)
        chunk("IEND", [])
        return out
    }

    static func be32(_ v: Int) -> [UInt8] {
        [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }
}
