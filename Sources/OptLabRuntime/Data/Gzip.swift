import CZlib

/// gzip (and zlib) inflation through the system's zlib.
enum Gzip {
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Inflates a whole gzip stream; `limit` bounds the output (a lying or
    /// hostile file cannot make it allocate without end).
    /// The size a single-member gzip stream says it inflates to (its trailer, mod 2^32).
    static func claimedSize(_ input: [UInt8]) -> Int? {
        guard isGzip(input), input.count >= 18 else { return nil }
        return input.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// `prefix`: stop once that many bytes are out (a header, read before the rest is trusted).
    static func inflate(_ input: [UInt8], limit: Int = 1 << 32, prefix: Int? = nil, source: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw RuntimeError(.io, "gzip", "\(source): cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        // A single-member gzip stream ends with its size mod 2^32: reserve it,
        // so the output is not regrown and copied as it fills.
        if prefix == nil, let n = claimedSize(input) {
            output.reserveCapacity(Swift.min(n, limit, 1 << 31))
        }
        var chunk = [UInt8](repeating: 0, count: prefix.map { Swift.min($0, 1 << 20) } ?? 1 << 20)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && stream.avail_in > 0) else {
                        throw RuntimeError(.format, "gzip", "\(source): corrupt or truncated gzip data (zlib error \(status))")
                    }
                    output.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
                }
                guard output.count <= limit else { throw RuntimeError(.format, "gzip", "\(source): inflates past \(limit) bytes") }
                if let prefix, output.count >= prefix { return }
            } while status != Z_STREAM_END && stream.avail_in > 0
        }
        if let prefix, output.count >= prefix { return Array(output.prefix(prefix)) }
        guard status == Z_STREAM_END else {
            throw RuntimeError(.format, "gzip", "\(source): truncated gzip data")
        }
        return output
    }
}
