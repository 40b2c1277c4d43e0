import Glibc
import OptLabRuntime

/// A host's data into and out of tensors, against a bare malloc + memcpy of
/// the same bytes in the same run: interleaved pairs (memcpy, then optlab),
/// 9 pairs, the median ratio and its range in the row's name.
/// memcpy through a pointer looked up at run time: the compiler cannot see
/// that the copy's destination is never read, so it cannot drop the copy.
let opaqueMemcpy = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memcpy"),
                                 to: (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?).self)

enum EmbeddingBenchmarks {
    static let count = 1 << 20

    static func pairs(iterations: Int, reference: () -> Void, ours: () throws -> Void) rethrows -> [(Double, Double)] {
        for _ in 0..<iterations { reference(); try ours() }
        var out: [(Double, Double)] = []
        for _ in 0..<9 {
            var t0 = now()
            for _ in 0..<iterations { reference() }
            let a = (now() - t0) / Double(iterations)
            t0 = now()
            for _ in 0..<iterations { try ours() }
            out.append((a, (now() - t0) / Double(iterations)))
        }
        return out
    }

    static func row(_ name: String, _ p: [(Double, Double)]) -> Row {
        Row.paired(name, ratio: "optlab ÷ memcpy", unit: "µs", scale: 1e6, p)
    }

    static func run() throws -> [Row] {
        let floats = (0..<count).map { Float($0 % 251) / 250 }
        let doubles = floats.map(Double.init)
        let bytes = count * MemoryLayout<Float>.stride
        // the reference: what a host would do by hand, a fresh buffer and one memcpy
        let copyByHand = {
            let p = malloc(bytes)!
            floats.withUnsafeBytes { _ = opaqueMemcpy(p, $0.baseAddress!, bytes) }
            free(p)
        }
        var sink = 0
        let fill = try pairs(iterations: 50, reference: copyByHand) {
            sink &+= try Tensor(shape: [count], floats).count
        }
        let tensor = try Tensor(shape: [count], floats)
        let readBack = try pairs(iterations: 50, reference: copyByHand) {
            sink &+= try [Float](tensor).count
        }
        let perElement = try pairs(iterations: 5, reference: copyByHand) {
            sink &+= try Tensor.from(doubles, shape: [count]).count
        }
        if sink == 42 { print("") }  // keeps the results alive
        return [
            row("Tensor(shape:_:) from a Swift [Float], 1M f32", fill),
            row("[Float](tensor), 1M f32", readBack),
            row("Tensor.from([Double]), 1M, element by element (the path hosts had before)", perElement),
        ]
    }
}
