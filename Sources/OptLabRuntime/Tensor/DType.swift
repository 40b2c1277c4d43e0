import Glibc
import RealModule

/// Element types. `f32` is the default for training; `f64` exists for every
/// op (gradient checks run in it); `i32` holds labels and indices.
public enum DType: String, CaseIterable, Sendable {
    case f32, f64, i32

    public var byteSize: Int { self == .f64 ? 8 : 4 }
    public var isFloatingPoint: Bool { self != .i32 }

    /// The type two operands promote to: i32 < f32 < f64, as in PyTorch.
    static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == .f64 || b == .f64 { return .f64 }
        if a == .f32 || b == .f32 { return .f32 }
        return .i32
    }

    /// Parses "f32"/"float32"/"float", "f64"/"float64"/"double", "i32"/"int32"/"int".
    public init(parsing name: String) throws {
        switch name.lowercased() {
        case "f32", "float32", "float": self = .f32
        case "f64", "float64", "double": self = .f64
        case "i32", "int32", "int": self = .i32
        default:
            throw RuntimeError(.dtype, "dtype", "unknown dtype '\(name)' (expected f32, f64 or i32)")
        }
    }
}

/// The floating-point element types the numeric kernels are generic over.
public protocol FloatElement: BinaryFloatingPoint & Real & SIMDScalar & Codable & Sendable {
    static var dtype: DType { get }
    /// C's pow: unlike `Real.pow`, a negative base with an integral exponent
    /// has a value (`(-2)^2 = 4`), as in numpy.
    static func cpow(_ x: Self, _ y: Self) -> Self
}
extension Float: FloatElement {
    public static var dtype: DType { .f32 }
    @inline(__always) public static func cpow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}
extension Double: FloatElement {
    public static var dtype: DType { .f64 }
    @inline(__always) public static func cpow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}
