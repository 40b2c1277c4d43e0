import Foundation
import Glibc

/// TensorBoard event files (`events.out.tfevents.*`), written without
/// TensorFlow: TFRecord framing (length, masked CRC-32C, data, masked
/// CRC-32C) around hand-encoded `Event` protobufs carrying scalars,
/// histograms and PNG images. Appended record by record, so a crash keeps
/// every event written before it.
public final class TensorBoardWriter {
    public let path: String
    private let log: AppendLog

    public init(directory: String) throws {
        try RunFolder.makeDirectories(directory)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        path = "\(directory)/events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)).optlab"
        log = try AppendLog(path, durability: .written, op: "tensorboard")
        var e = Proto()
        e.double(1, Date().timeIntervalSince1970)
        e.string(3, "brain.Event:2")
        try write(e.bytes)
    }

    public func scalar(_ tag: String, _ value: Double, step: Int) throws {
        try scalars([(tag, value)], step: step)
    }

    /// Several scalars of one step as one write (a step record with the
    /// probes has a hundred: a write each cost more than the step).
    public func scalars(_ values: [(tag: String, value: Double)], step: Int) throws {
        var all: [UInt8] = []
        for (tag, value) in values {
            var v = Proto()
            v.string(1, tag)
            v.float(2, Float(value))
            all += record(eventBytes(step: step, value: v))
        }
        if !all.isEmpty { try log.append(all) }
    }

    /// A histogram of `values`' finite elements (TensorBoard's HistogramProto:
    /// right bucket edges and counts).
    public func histogram(_ tag: String, _ values: [Double], step: Int, bins: Int = 30) throws {
        try histogram(tag, count: values.count, step: step, bins: bins) { values[$0] }
    }

    /// The same from a tensor's memory, with no array of Doubles.
    public func histogram(_ tag: String, _ t: Tensor, step: Int, bins: Int = 30) throws {
        try t.readingDoubles { try histogram(tag, count: t.count, step: step, bins: bins, $0) }
    }

    private func histogram(_ tag: String, count n: Int, step: Int, bins: Int, _ value: (Int) -> Double) throws {
        // the finite values' extent (the first of equal ones), count, sum and sum of squares in one pass
        var lo = Double.infinity, hi = -Double.infinity, finite = 0, sum = 0.0, squares = 0.0
        for i in 0..<n {
            let v = value(i)
            guard v.isFinite else { continue }
            if v < lo { lo = v }
            if v > hi { hi = v }
            finite += 1
            sum += v
            squares += v * v
        }
        guard finite > 0 else { return }
        let h = try Histogram(count: n, bins: bins, range: (lo, hi), value)
        var hp = Proto()
        hp.double(1, lo)
        hp.double(2, hi)
        hp.double(3, Double(finite))
        hp.double(4, sum)
        hp.double(5, squares)
        hp.packedDoubles(6, Array(h.edges.dropFirst()))
        hp.packedDoubles(7, h.counts.map(Double.init))
        var v = Proto()
        v.string(1, tag)
        v.message(5, hp)
        try event(step: step, value: v)
    }

    public func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int) throws {
        var img = Proto()
        img.varint(1, UInt64(height))
        img.varint(2, UInt64(width))
        img.varint(3, UInt64(channels))
        img.bytes(4, png)
        var v = Proto()
        v.string(1, tag)
        v.message(4, img)
        try event(step: step, value: v)
    }

    private func event(step: Int, value: Proto) throws {
        try write(eventBytes(step: step, value: value))
    }

    private func eventBytes(step: Int, value: Proto) -> [UInt8] {
        var summary = Proto()
        summary.message(1, value)
        var e = Proto()
        e.double(1, Date().timeIntervalSince1970)
        e.varint(2, UInt64(bitPattern: Int64(step)))
        e.message(5, summary)
        return e.bytes
    }

    private func write(_ data: [UInt8]) throws {
        try log.append(record(data))
    }

    /// TFRecord framing: length, its masked CRC, the data, its masked CRC.
    private func record(_ data: [UInt8]) -> [UInt8] {
        var len = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { len[i] = UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64(i))) }
        return len + le32(CRC32C.masked(len)) + data + le32(CRC32C.masked(data))
    }

    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
}

/// CRC-32C (Castagnoli), which TFRecord uses and zlib does not provide;
/// "masked" as TFRecord stores it.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func masked(_ data: [UInt8]) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}

/// The few protobuf wire types an Event needs.
struct Proto {
    var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ wire: UInt64) { rawVarint(UInt64(field) << 3 | wire) }

    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ field: Int, _ v: UInt64) { key(field, 0); rawVarint(v) }

    mutating func double(_ field: Int, _ v: Double) {
        key(field, 1)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: Int, _ v: Float) {
        key(field, 5)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: Proto) { bytes(field, m.bytes) }

    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var body: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        bytes(field, body)
    }
}
